// Webhook signatures, checked in constant time: HMAC-SHA256 over the raw body (Artifactory/Xray
// X-JFrog-Event-Auth, generic "sha256=<hex>" headers), or a shared secret token (GitLab).
import { createHmac } from 'node:crypto';
import { safeEqual } from './secrets.js';

export function hmacSha256Hex(secret: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Outbound: the header value ScanHub sends with a signed webhook body. */
export function signBody(secret: string, body: Buffer | string, timestamp?: number): { signature: string; timestamp?: number } {
  if (timestamp === undefined) return { signature: `sha256=${hmacSha256Hex(secret, body)}` };
  return { signature: `sha256=${hmacSha256Hex(secret, `${timestamp}.${typeof body === 'string' ? body : body.toString('utf8')}`)}`, timestamp };
}

export interface VerifyOptions {
  /** Accept the plain shared secret as the header value too (JFrog "secret" mode, GitLab token). */
  allowPlainSecret?: boolean;
  /** Unix seconds the sender signed at; checked against `now` within `toleranceSeconds`. */
  timestamp?: number | undefined;
  now?: Date;
  toleranceSeconds?: number;
}

/** True when `header` proves the body came from a holder of `secret`. */
export function verifySignature(secret: string, body: Buffer | string, header: string | undefined, options: VerifyOptions = {}): boolean {
  if (!header || !secret) return false;
  const value = header.trim();
  if (options.timestamp !== undefined) {
    const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
    if (Math.abs(now - options.timestamp) > (options.toleranceSeconds ?? 300)) return false;
    const expected = hmacSha256Hex(secret, `${options.timestamp}.${typeof body === 'string' ? body : body.toString('utf8')}`);
    return safeEqual(value.replace(/^sha256=/i, '').toLowerCase(), expected);
  }
  const expected = hmacSha256Hex(secret, body);
  const given = value.replace(/^sha256=/i, '').toLowerCase();
  if (safeEqual(given, expected)) return true;
  return options.allowPlainSecret === true && safeEqual(value, secret);
}
