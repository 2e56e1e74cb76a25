// The outbound side of the JFrog bridge: a JFrog Xray REST client (issue: JFrog bridge). One
// Bottleneck limiter per client carries every request — first attempts and retries alike — so the
// configured rate is never exceeded; 429/5xx/network failures are retried with full-jitter
// exponential back-off that honours Retry-After. Responses are returned as raw JSON (`unknown`)
// for the xray parser plugin; only the fields the client itself needs are checked.
// Wire contract: shared/notes/xray-contract.md (sections 0, 1.1–1.3, 1.5, 1.10).
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import Bottleneck from 'bottleneck';
import { z } from 'zod';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import type { Outbound } from '../../../src/security/outbound.js';
import { clientPacing, type ClientLogger, type ClientTransportOptions } from '../../../src/plugins/client-options.js';

export type XrayLogger = ClientLogger;

export interface XrayClientOptions extends ClientTransportOptions {
  /** Platform URL, e.g. https://acme.jfrog.io (Xray answers under /xray/api/...). */
  baseUrl: string;
  accessToken: string;
  outbound: Outbound;
  /** Sent as `projectKey` on Get Violations (contract §1.5). */
  projectKey?: string;
}

export type ScanStatus = 'PENDING' | 'SCANNING' | 'DONE' | 'FAILED' | 'NOT_SUPPORTED' | 'NOT_SCANNED';

export interface ArtifactRef {
  /** Repository key, e.g. `docker-local`. */
  repo: string;
  /** Path inside the repository including the file name, e.g. `app/1.0/manifest.json`. */
  path: string;
}

export interface ArtifactStatusResult {
  status: ScanStatus;
  /** `overall.status` exactly as Xray sent it (e.g. PARTIAL, which normalises to DONE). */
  rawStatus: string;
  body: unknown;
}

export interface SummaryResult {
  apiVersion: 'v2' | 'v1';
  body: unknown;
  /** Per-identifier failures Xray reports with HTTP 200 (`errors[]`); non-empty means some paths/checksums had no summary. */
  errors: { error: string; identifier: string }[];
}

export interface ViolationsResult {
  violations: unknown[];
  /** `total_violations` of the last page. */
  totalViolations: number;
  /** Every page body, in order. */
  pages: unknown[];
  /** `{ total_violations, violations }` over all pages — a violations-list body the xray parser reads. */
  body: { total_violations: number; violations: unknown[] };
}

export type VerifyCheckName = 'reachable' | 'authenticated' | 'xray-permission';
export interface VerifyCheck {
  name: VerifyCheckName;
  ok: boolean;
  code?: string;
  message: string;
}

interface RequestOptions {
  body?: unknown;
  params?: Record<string, string>;
  /** Overrides retry.attempts for this request. */
  attempts?: number;
  signal?: AbortSignal;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNABORTED', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ERR_SOCKET_CONNECTION_TIMEOUT']);
const MAX_VIOLATION_PAGES = 10_000;

const statusBodySchema = z.looseObject({ overall: z.looseObject({ status: z.string() }) });
const summaryBodySchema = z.looseObject({
  artifacts: z.array(z.unknown()).optional(),
  errors: z.array(z.looseObject({ error: z.string().optional(), identifier: z.string().optional() })).nullish(),
});
const violationsPageSchema = z.looseObject({ total_violations: z.number().int().nonnegative(), violations: z.array(z.unknown()).nullable() });

/**
 * Parses a Retry-After value — delay-seconds or an HTTP date — into milliseconds from `now`.
 * Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfter(value: string | undefined | null, now: number = Date.now()): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Full-jitter exponential back-off: uniform in [0, min(maxDelay, base · 2^(attempt−1))). */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Maps an Xray scan status (artifact status API, or the older generic scan-status words) to ScanHub's set. */
export function normaliseScanStatus(raw: string): ScanStatus | undefined {
  const s = raw.trim().toUpperCase().replace(/[\s-]+/g, '_');
  switch (s) {
    case 'PENDING':
    case 'SCANNING':
    case 'DONE':
    case 'FAILED':
    case 'NOT_SUPPORTED':
    case 'NOT_SCANNED':
      return s;
    case 'PARTIAL': // some scanners finished, others did not: results exist, treat as terminal
    case 'SCANNED':
      return 'DONE';
    case 'IN_PROGRESS':
      return 'SCANNING';
    default:
      return undefined;
  }
}

export class XrayClient {
  readonly #http: AxiosInstance;
  readonly #limiter: Bottleneck;
  readonly #token: string;
  readonly #host: string;
  readonly #projectKey: string | undefined;
  readonly #attempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #log: XrayLogger | undefined;
  /** Set once v2 summary answered 404/405, so later calls go straight to v1. */
  #summaryVersion: 'v2' | 'v1' = 'v2';

  constructor(options: XrayClientOptions) {
    const baseUrl = options.baseUrl.replace(/\/+$/, '');
    let host: string;
    try {
      host = new URL(baseUrl).host;
    } catch {
      throw new IntegrationError('JFROG_BAD_CONFIG', 'The JFrog base URL is not a valid URL: set it to the platform URL, e.g. https://acme.jfrog.io.');
    }
    if (!options.accessToken) throw new IntegrationError('JFROG_BAD_CONFIG', 'No JFrog access token is configured: create one in Administration → User Management → Access Tokens.');
    const pacing = clientPacing(options, { requestsPerSecond: 10, maxConcurrent: 4 }, (message) => new IntegrationError('JFROG_BAD_CONFIG', message));
    this.#host = host;
    this.#token = options.accessToken;
    this.#projectKey = options.projectKey;
    ({ attempts: this.#attempts, baseDelayMs: this.#baseDelayMs, maxDelayMs: this.#maxDelayMs, sleep: this.#sleep, random: this.#random, limiter: this.#limiter } = pacing);
    this.#log = options.log;
    this.#http = options.outbound.client({
      userSet: true,
      timeoutMs: options.timeoutMs ?? 15_000,
      baseURL: baseUrl,
      headers: { Authorization: `Bearer ${options.accessToken}`, Accept: 'application/json' },
    });
  }

  /** GET /xray/api/v1/system/ping → `{"status":"pong"}`. */
  async ping(options: { signal?: AbortSignal } = {}): Promise<unknown> {
    return (await this.#request('GET', '/xray/api/v1/system/ping', options)).data;
  }

  /**
   * Checks reachability (ping), authentication and Xray read permission (a one-row Get Violations
   * call). Expected failures are reported as failed checks with a code and a fix; never thrown.
   */
  async verify(): Promise<{ checks: VerifyCheck[] }> {
    const checks: VerifyCheck[] = [];
    const skipped = (name: VerifyCheckName, why: string): VerifyCheck => ({ name, ok: false, code: 'JFROG_CHECK_SKIPPED', message: `Not checked: ${why}.` });
    try {
      await this.#request('GET', '/xray/api/v1/system/ping', { attempts: 2 });
      checks.push({ name: 'reachable', ok: true, message: `Xray answers at ${this.#host}.` });
    } catch (error) {
      const e = this.#asIntegrationError(error);
      // An authentication refusal still proves the server is there.
      if (e.code === 'JFROG_UNAUTHORIZED' || e.code === 'JFROG_FORBIDDEN') {
        checks.push({ name: 'reachable', ok: true, message: `Xray answers at ${this.#host}.` });
      } else {
        const message = e.code === 'JFROG_NOT_FOUND'
          ? `Nothing answers ${this.#host}/xray/api/v1/system/ping: set the base URL to the JFrog Platform URL (e.g. https://acme.jfrog.io), without /xray or /artifactory, and check that Xray is installed.`
          : e.message;
        checks.push({ name: 'reachable', ok: false, code: e.code, message });
        checks.push(skipped('authenticated', 'Xray is not reachable'), skipped('xray-permission', 'Xray is not reachable'));
        return { checks };
      }
    }
    try {
      await this.#request('POST', '/xray/api/v1/violations', { body: { filters: {}, pagination: { limit: 1, offset: 1 } }, params: this.#projectParams(), attempts: 2 });
      checks.push({ name: 'authenticated', ok: true, message: 'The access token is accepted.' });
      checks.push({ name: 'xray-permission', ok: true, message: 'The token can read Xray data.' });
    } catch (error) {
      const e = this.#asIntegrationError(error);
      if (e.code === 'JFROG_UNAUTHORIZED') {
        checks.push({ name: 'authenticated', ok: false, code: e.code, message: e.message });
        checks.push(skipped('xray-permission', 'the token is not accepted'));
      } else if (e.code === 'JFROG_FORBIDDEN') {
        checks.push({ name: 'authenticated', ok: true, message: 'The access token is accepted.' });
        checks.push({ name: 'xray-permission', ok: false, code: e.code, message: e.message });
      } else {
        checks.push({ name: 'authenticated', ok: false, code: e.code, message: `Could not check the token: ${e.message}` });
        checks.push(skipped('xray-permission', 'the authenticated call failed'));
      }
    }
    return { checks };
  }

  /** POST /xray/api/v1/scanArtifact `{componentID}` — e.g. `docker://image:tag`. Needs "Manage Xray Metadata". */
  async scanArtifact(componentId: string, options: { signal?: AbortSignal } = {}): Promise<{ info: string | undefined; body: unknown }> {
    if (!/^[a-z][a-z0-9+.-]*:\/\/.+/i.test(componentId)) {
      throw new IntegrationError('JFROG_BAD_REQUEST', `"${componentId.slice(0, 200)}" is not an Xray component id: use <type>://<name>, e.g. docker://image:tag.`);
    }
    const { data } = await this.#request('POST', '/xray/api/v1/scanArtifact', { body: { componentID: componentId }, ...options });
    const info = typeof data === 'object' && data !== null && typeof (data as { info?: unknown }).info === 'string' ? (data as { info: string }).info : undefined;
    return { info, body: data };
  }

  /** POST /xray/api/v1/artifact/status `{repo, path}` (Xray ≥ 3.80.9). */
  async artifactStatus(ref: ArtifactRef, options: { signal?: AbortSignal } = {}): Promise<ArtifactStatusResult> {
    const { data } = await this.#request('POST', '/xray/api/v1/artifact/status', { body: { repo: ref.repo, path: ref.path }, ...options });
    const parsed = statusBodySchema.safeParse(data);
    if (!parsed.success) throw new IntegrationError('JFROG_BAD_RESPONSE', `Xray's artifact status for ${ref.repo}/${ref.path} has no overall.status.`, { status: 200 });
    const rawStatus = parsed.data.overall.status;
    const status = normaliseScanStatus(rawStatus);
    if (!status) {
      this.#log?.warn({ repo: ref.repo, path: ref.path, rawStatus }, 'unknown Xray scan status; treating it as PENDING');
    }
    return { status: status ?? 'PENDING', rawStatus, body: data };
  }

  /**
   * POST /xray/api/v2/summary/artifact, falling back to v1 when v2 answers 404/405. Paths start with
   * the artifactory id (`default/<repo>/<path>/`); Xray ignores checksums when paths are given.
   */
  async artifactSummary(query: { paths?: string[]; checksums?: string[] }, options: { signal?: AbortSignal } = {}): Promise<SummaryResult> {
    const body: { paths?: string[]; checksums?: string[] } = {};
    if (query.paths?.length) body.paths = query.paths;
    else if (query.checksums?.length) body.checksums = query.checksums;
    else throw new IntegrationError('JFROG_BAD_REQUEST', 'An artifact summary needs at least one path (default/<repo>/<path>/) or checksum.');
    let apiVersion = this.#summaryVersion;
    let data: unknown;
    try {
      data = (await this.#request('POST', `/xray/api/${apiVersion}/summary/artifact`, { body, ...options })).data;
    } catch (error) {
      const status = error instanceof IntegrationError ? error.options.status : undefined;
      if (apiVersion !== 'v2' || (status !== 404 && status !== 405)) throw error;
      this.#log?.debug({ status }, 'Xray summary v2 unavailable; using v1');
      apiVersion = 'v1';
      this.#summaryVersion = 'v1';
      data = (await this.#request('POST', '/xray/api/v1/summary/artifact', { body, ...options })).data;
    }
    const parsed = summaryBodySchema.safeParse(data);
    if (!parsed.success) throw new IntegrationError('JFROG_BAD_RESPONSE', `Xray's artifact summary (${apiVersion}) is not an {artifacts, errors} object.`, { status: 200 });
    const errors = (parsed.data.errors ?? []).map((e) => ({ error: e.error ?? '', identifier: e.identifier ?? '' }));
    return { apiVersion, body: data, errors };
  }

  /**
   * POST /xray/api/v1/violations for one artifact (`filters.resources.artifacts`, Xray ≥ 3.88.10)
   * or one watch (`filters.watch_name`), following every page: `pagination.offset` is a 1-based
   * PAGE number; stops at a short page or once `total_violations` rows are in.
   */
  async violations(target: ArtifactRef | { watchName: string }, options: { pageSize?: number; signal?: AbortSignal } = {}): Promise<ViolationsResult> {
    const limit = Math.max(1, Math.floor(options.pageSize ?? 100));
    const filters = 'watchName' in target ? { watch_name: target.watchName } : { resources: { artifacts: [{ repo: target.repo, path: target.path }] } };
    const pages: unknown[] = [];
    const violations: unknown[] = [];
    let total = 0;
    for (let page = 1; page <= MAX_VIOLATION_PAGES; page++) {
      const { data } = await this.#request('POST', '/xray/api/v1/violations', {
        // `direction` is left out: it needs Xray ≥ 3.88.10 and `created` ascending is the default order.
        body: { filters, pagination: { limit, offset: page, order_by: 'created' } },
        params: this.#projectParams(),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const parsed = violationsPageSchema.safeParse(data);
      if (!parsed.success) throw new IntegrationError('JFROG_BAD_RESPONSE', `Xray's violations page ${page} is not a {total_violations, violations} object.`, { status: 200 });
      pages.push(data);
      const rows = parsed.data.violations ?? [];
      violations.push(...rows);
      total = parsed.data.total_violations;
      if (rows.length < limit || violations.length >= total) {
        return { violations, totalViolations: total, pages, body: { total_violations: total, violations } };
      }
    }
    throw new IntegrationError('JFROG_BAD_RESPONSE', `Xray's violations kept returning full pages past page ${MAX_VIOLATION_PAGES}.`);
  }

  /** GET /xray/api/v1/updates/getStatus (admin) → `{last_updated, state, sync_mode, status}`. */
  async dbSyncStatus(options: { signal?: AbortSignal } = {}): Promise<unknown> {
    return (await this.#request('GET', '/xray/api/v1/updates/getStatus', options)).data;
  }

  /**
   * POST /xray/api/v1/updates/startOfflineSync → `{"info":"Local updates started"}`. The contract
   * documents no request body (see bridge.md); `body` is passed through as given (default none).
   */
  async triggerDbSync(options: { body?: Record<string, unknown>; signal?: AbortSignal } = {}): Promise<{ info: string | undefined; body: unknown }> {
    const { data } = await this.#request('POST', '/xray/api/v1/updates/startOfflineSync', { ...(options.body ? { body: options.body } : {}), ...(options.signal ? { signal: options.signal } : {}) });
    const info = typeof data === 'object' && data !== null && typeof (data as { info?: unknown }).info === 'string' ? (data as { info: string }).info : undefined;
    return { info, body: data };
  }

  /**
   * Polls the artifact status (through the limiter) until DONE, FAILED or NOT_SUPPORTED. Throws
   * JFROG_SCAN_DEADLINE once `deadline` passes (one last poll is made at the deadline), and
   * JFROG_CANCELLED when `signal` aborts.
   */
  async waitForScan(ref: ArtifactRef, options: { pollIntervalMs: number; deadline: Date; signal?: AbortSignal }): Promise<ArtifactStatusResult & { polls: number }> {
    const deadline = options.deadline.getTime();
    let polls = 0;
    let last: ArtifactStatusResult | undefined;
    for (;;) {
      this.#throwIfAborted(options.signal);
      last = await this.artifactStatus(ref, options.signal ? { signal: options.signal } : {});
      polls++;
      if (last.status === 'DONE' || last.status === 'FAILED' || last.status === 'NOT_SUPPORTED') return { ...last, polls };
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new IntegrationError(
          'JFROG_SCAN_DEADLINE',
          `Xray did not finish scanning ${ref.repo}/${ref.path} by ${options.deadline.toISOString()} (last status ${last.rawStatus} after ${polls} polls): raise deadlineSeconds or check Xray's indexing of the repository.`,
          { retryable: false },
        );
      }
      await this.#abortableSleep(Math.min(Math.max(0, options.pollIntervalMs), remaining), options.signal);
    }
  }

  /** Stops the limiter: queued requests are dropped. */
  async close(): Promise<void> {
    await this.#limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
  }

  #projectParams(): Record<string, string> | undefined {
    return this.#projectKey ? { projectKey: this.#projectKey } : undefined;
  }

  #throwIfAborted(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw new IntegrationError('JFROG_CANCELLED', 'The Xray request was cancelled.', { retryable: false });
  }

  async #abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (!signal) return this.#sleep(ms);
    this.#throwIfAborted(signal);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([this.#sleep(ms), aborted]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
    this.#throwIfAborted(signal);
  }

  /** Removes the token from any text that came from the server or the network stack. */
  #redact(text: string): string {
    return this.#token ? text.split(this.#token).join('[redacted]') : text;
  }

  #asIntegrationError(error: unknown): IntegrationError {
    if (error instanceof IntegrationError) return error;
    const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
    const message = error instanceof Error ? error.message : String(error);
    if (code === 'OUTBOUND_URL_REFUSED') return new IntegrationError('JFROG_URL_REFUSED', this.#redact(message), { retryable: false });
    return new IntegrationError('JFROG_UNAVAILABLE', this.#redact(`Xray request failed: ${message}`), { retryable: true });
  }

  async #request(method: 'GET' | 'POST', path: string, options: RequestOptions = {}): Promise<{ status: number; data: unknown }> {
    const attempts = Math.max(1, options.attempts ?? this.#attempts);
    const what = `${method} ${path}`;
    for (let attempt = 1; ; attempt++) {
      this.#throwIfAborted(options.signal);
      let response: AxiosResponse<string>;
      try {
        response = await this.#limiter.schedule(() =>
          this.#http.request<string>({
            method,
            url: path,
            ...(options.body !== undefined ? { data: options.body } : {}),
            ...(options.params ? { params: options.params } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
            responseType: 'text',
            transformResponse: [(raw: unknown) => raw],
            validateStatus: () => true,
          }),
        );
      } catch (error) {
        if (options.signal?.aborted) throw new IntegrationError('JFROG_CANCELLED', 'The Xray request was cancelled.', { retryable: false });
        const code = networkCode(error);
        if (code === 'OUTBOUND_URL_REFUSED' || (!axios.isAxiosError(error) && !code)) throw this.#asIntegrationError(error);
        if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO|ERR_TLS/i.test(code)) {
          throw new IntegrationError('JFROG_TLS', `The TLS certificate of ${this.#host} is not trusted (${code}): fix the certificate or add its CA with SCANHUB_CA_BUNDLE.`, { retryable: false });
        }
        if (!code || !RETRYABLE_NETWORK.has(code)) {
          throw new IntegrationError('JFROG_UNAVAILABLE', this.#redact(`Xray at ${this.#host} could not be reached (${code ?? 'network error'}) for ${what}: check the platform URL, DNS, firewall and TLS settings.`), { retryable: true });
        }
        if (attempt >= attempts) {
          throw new IntegrationError('JFROG_UNAVAILABLE', `Xray at ${this.#host} could not be reached (${code}) after ${attempts} attempts for ${what}: check the platform URL, DNS and firewall, or retry later.`, { retryable: true });
        }
        const delay = backoffDelay(attempt, this.#baseDelayMs, this.#maxDelayMs, this.#random);
        this.#log?.debug({ path, attempt, code, delay }, 'Xray request failed; retrying');
        await this.#abortableSleep(delay, options.signal);
        continue;
      }

      const { status } = response;
      if (status >= 200 && status < 300) return { status, data: this.#parseJson(response.data, what, status) };

      if (RETRYABLE_STATUS.has(status)) {
        const retryAfterMs = parseRetryAfter(headerValue(response.headers['retry-after']));
        const reason = status === 429 ? 'is rate limiting ScanHub (429)' : `answered ${status}`;
        if (attempt >= attempts) {
          throw new IntegrationError('JFROG_UNAVAILABLE', `Xray at ${this.#host} ${reason} for ${what} after ${attempts} attempts: retry later${status === 429 ? ' or lower the request rate' : ''}.`, {
            retryable: true,
            status,
            ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
          });
        }
        if (retryAfterMs !== undefined && retryAfterMs > this.#maxDelayMs) {
          // Holding a worker longer than maxDelayMs helps nobody: hand the wait to the job queue.
          throw new IntegrationError('JFROG_UNAVAILABLE', `Xray at ${this.#host} ${reason} for ${what} and asks to wait ${Math.ceil(retryAfterMs / 1000)} s: the job will be retried later.`, { retryable: true, status, retryAfterMs });
        }
        const delay = retryAfterMs ?? backoffDelay(attempt, this.#baseDelayMs, this.#maxDelayMs, this.#random);
        this.#log?.debug({ path, attempt, status, delay }, 'Xray request refused; retrying');
        await this.#abortableSleep(delay, options.signal);
        continue;
      }
      throw this.#statusError(status, response.data, what, response.headers['location']);
    }
  }

  #parseJson(raw: unknown, what: string, status: number): unknown {
    if (typeof raw !== 'string') return raw;
    if (raw.trim() === '') return undefined;
    try {
      return JSON.parse(raw);
    } catch {
      throw new IntegrationError('JFROG_BAD_RESPONSE', `Xray answered ${what} with a body that is not valid JSON (${raw.length} bytes): check that the base URL points at the JFrog Platform and not at a proxy or login page.`, { status });
    }
  }

  #statusError(status: number, raw: unknown, what: string, location: unknown): IntegrationError {
    const detail = serverMessage(raw);
    const said = detail ? ` Xray said: "${this.#redact(detail)}".` : '';
    switch (status) {
      case 400:
        return new IntegrationError('JFROG_BAD_REQUEST', `Xray refused ${what} as a bad request (400).${said}`, { status });
      case 401:
        return new IntegrationError('JFROG_UNAUTHORIZED', `Xray at ${this.#host} refused the credentials (401): the access token is invalid or expired: create a new one in Administration → User Management → Access Tokens.`, { status });
      case 403:
        return new IntegrationError('JFROG_FORBIDDEN', `Xray at ${this.#host} refused ${what} (403): the token lacks Xray permission — give its user or group the Xray "Read" (and "Manage Xray Metadata" to trigger scans) permission in Administration → User Management → Permissions, or use an admin-scoped token for DB sync.${said}`, { status });
      case 404:
        return new IntegrationError('JFROG_NOT_FOUND', `Xray at ${this.#host} has no ${what} (404): check the base URL, the Xray version, and that the repository/path exists and is indexed.${said}`, { status });
      case 405:
        return new IntegrationError('JFROG_NOT_FOUND', `Xray at ${this.#host} does not support ${what} (405): the Xray version may be too old.`, { status });
      case 415:
        return new IntegrationError('JFROG_BAD_REQUEST', `Xray could not parse the artifact in ${what} (415).${said}`, { status });
      default:
        if (status >= 300 && status < 400) {
          const to = typeof location === 'string' ? ` to ${this.#redact(location).slice(0, 200)}` : '';
          return new IntegrationError('JFROG_REDIRECT', `Xray at ${this.#host} redirected ${what}${to} (${status}): set the base URL to the final address (https, no trailing path).`, { status });
        }
        return new IntegrationError(`JFROG_HTTP_${status}`, `Xray answered ${what} with HTTP ${status}.${said}`, { retryable: status >= 500, status });
    }
  }
}

function headerValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

function networkCode(error: unknown): string | undefined {
  const direct = (error as { code?: unknown })?.code;
  if (typeof direct === 'string' && direct !== 'ERR_NETWORK' && direct !== 'ERR_BAD_RESPONSE') return direct;
  const cause = (error as { cause?: { code?: unknown } })?.cause?.code;
  if (typeof cause === 'string') return cause;
  if (error instanceof Error && /socket hang up/i.test(error.message)) return 'ECONNRESET';
  return typeof direct === 'string' ? direct : undefined;
}

/** The human message of an Xray error body: `{error}`, `{errors:[{message|error}]}`, `{info}` or a bare string. */
function serverMessage(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    return undefined; // an HTML error page says nothing useful
  }
  const pick = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim().slice(0, 300) : undefined);
  if (typeof doc === 'string') return pick(doc);
  if (typeof doc !== 'object' || doc === null) return undefined;
  const d = doc as { error?: unknown; errors?: unknown; info?: unknown; message?: unknown };
  if (pick(d.error)) return pick(d.error);
  if (Array.isArray(d.errors)) {
    const first = d.errors[0] as { message?: unknown; error?: unknown } | undefined;
    if (first) return pick(first.message) ?? pick(first.error);
  }
  return pick(d.message) ?? pick(d.info);
}
