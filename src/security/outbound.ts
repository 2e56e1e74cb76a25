// Outbound HTTP for every integration: TLS verification always on (plus an optional CA bundle),
// timeouts, and — for URLs users set through the API — the outbound URL guard, checked before the
// request and again at connect time. URLs the operator set by environment variables are trusted.
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import axios, { type AxiosInstance, type CreateAxiosDefaults } from 'axios';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import { checkOutboundUrl, guardedLookup, parseAllowList, type UrlPolicy } from './url-guard.js';

export interface Outbound {
  readonly policy: UrlPolicy;
  /** Extra trusted CAs (PEM), added to Node's roots. */
  readonly ca: readonly string[] | undefined;
  /**
   * An axios instance for one integration. `userSet`: the base URL came through the API and is
   * guarded; false only for targets the operator configured in the environment.
   */
  client(options: { userSet: boolean; timeoutMs?: number } & CreateAxiosDefaults): AxiosInstance;
  /** Refuses a user-set URL the policy does not allow (OUTBOUND_URL_REFUSED). */
  check(url: string): Promise<URL>;
}

export function createOutbound(config: Pick<Config, 'outboundAllow' | 'caBundle'>): Outbound {
  const policy: UrlPolicy = { allow: parseAllowList(config.outboundAllow) };
  let ca: string[] | undefined;
  if (config.caBundle) {
    try {
      ca = [...rootCertificates, readFileSync(config.caBundle, 'utf8')];
    } catch (error) {
      throw new ConfigError(`SCANHUB_CA_BUNDLE: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
  }
  const lookup = guardedLookup(policy);
  return {
    policy,
    ca,
    check: (url) => checkOutboundUrl(url, policy),
    client({ userSet, timeoutMs = 15_000, ...defaults }) {
      const connect = userSet ? { lookup } : {};
      const instance = axios.create({
        timeout: timeoutMs,
        maxRedirects: 0,
        maxContentLength: 50 * 1024 * 1024,
        proxy: false,
        ...defaults,
        httpAgent: new HttpAgent({ keepAlive: true, ...connect }),
        httpsAgent: new HttpsAgent({ keepAlive: true, rejectUnauthorized: true, ...(ca ? { ca } : {}), ...connect }),
      });
      if (userSet) {
        instance.interceptors.request.use(async (request) => {
          await checkOutboundUrl(axios.getUri(request), policy);
          return request;
        });
      }
      return instance;
    },
  };
}
