// Outbound URL guard: URLs users set through the API (webhooks, JFrog, GitLab, Jenkins, mirrors)
// may not reach loopback, link-local (cloud metadata), private or reserved addresses unless the
// operator allows them (SCANHUB_OUTBOUND_ALLOW). Checked on use, after DNS, so rebinding is caught.
import { lookup } from 'node:dns/promises';
import { lookup as lookupCallback, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { AppError } from '../errors.js';

const DENIED: [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 3, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

export interface UrlPolicy {
  /** Hosts or CIDRs allowed even though they are private (e.g. "127.0.0.1/8", "jenkins.internal"). */
  allow: readonly string[];
}

export function parseAllowList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

function buildAllow(entries: readonly string[]): { list: BlockList; hosts: Set<string> } {
  const list = new BlockList();
  const hosts = new Set<string>();
  for (const entry of entries) {
    const [addr, bits] = entry.split('/');
    const family = isIP(addr ?? '');
    if (family) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits !== undefined) list.addSubnet(addr!, Number(bits), type);
      else list.addAddress(addr!, type);
    } else {
      hosts.add(entry.toLowerCase());
    }
  }
  return { list, hosts };
}

const denied = new BlockList();
for (const [addr, bits, type] of DENIED) denied.addSubnet(addr, bits, type);

function addressDenied(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return denied.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return denied.check(mapped[1]!, 'ipv4');
    return denied.check(address, 'ipv6');
  }
  return true;
}

/**
 * Resolves the URL's host and refuses it unless every address is public or allowed. Returns the
 * parsed URL. Throws AppError OUTBOUND_URL_REFUSED naming the host, never credentials in the URL.
 */
export async function checkOutboundUrl(raw: string, policy: UrlPolicy, resolve: (host: string) => Promise<string[]> = defaultResolve): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('OUTBOUND_URL_REFUSED', 'The URL is not valid.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AppError('OUTBOUND_URL_REFUSED', `Only http and https URLs are allowed, not ${url.protocol}`);
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const allow = buildAllow(policy.allow);
  if (allow.hosts.has(host)) return url;
  const addresses = isIP(host) ? [host] : await resolve(host).catch(() => {
    throw new AppError('OUTBOUND_URL_REFUSED', `The host ${host} does not resolve.`);
  });
  for (const address of addresses) {
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (allow.list.check(address, family)) continue;
    if (addressDenied(address)) {
      throw new AppError(
        'OUTBOUND_URL_REFUSED',
        `The host ${host} resolves to ${address}, a private, loopback, link-local or reserved address. An operator can allow it with SCANHUB_OUTBOUND_ALLOW.`,
      );
    }
  }
  return url;
}

async function defaultResolve(host: string): Promise<string[]> {
  const results = await lookup(host, { all: true, verbatim: true });
  return results.map((r) => r.address);
}

/**
 * A `lookup` for http(s).Agent that refuses denied addresses at connect time, so a host that resolves
 * to a public address when checked and to 169.254.169.254 when connected (DNS rebinding) is caught.
 */
export function guardedLookup(policy: UrlPolicy) {
  const allow = buildAllow(policy.allow);
  return (hostname: string, options: object, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    lookupCallback(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, []);
      const host = hostname.toLowerCase();
      const permitted = allow.hosts.has(host)
        ? addresses
        : addresses.filter((a) => allow.list.check(a.address, a.family === 6 ? 'ipv6' : 'ipv4') || !addressDenied(a.address));
      if (permitted.length === 0) {
        const refused = Object.assign(new Error(`The host ${host} resolves only to private, loopback, link-local or reserved addresses. An operator can allow it with SCANHUB_OUTBOUND_ALLOW.`), { code: 'OUTBOUND_URL_REFUSED' });
        return callback(refused, []);
      }
      if ((options as { all?: boolean }).all) return callback(null, permitted);
      callback(null, permitted[0]!.address, permitted[0]!.family);
    });
  };
}
