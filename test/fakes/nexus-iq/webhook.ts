// The IQ side of a webhook delivery (contract B.7): X-Nexus-Webhook-Id (event type),
// X-Nexus-Webhook-Delivery (UUID), and — with a secret key — X-Nexus-Webhook-Signature = lowercase
// hex HMAC-SHA1 of the exact body bytes.
import { createHmac, randomUUID } from 'node:crypto';

export function signIqBody(secret: string, raw: Buffer | string): string {
  return createHmac('sha1', secret).update(raw).digest('hex');
}

export interface SendIqWebhookOptions {
  eventType?: string;
  /** Absent: no signature header (IQ without a secret key). */
  secret?: string;
  deliveryId?: string;
  /** Extra or overriding headers (e.g. a forged signature). */
  headers?: Record<string, string>;
}

/** POSTs an IQ webhook; a string/Buffer body is sent byte for byte, an object JSON.stringify'd. */
export async function sendIqWebhook(url: string, body: object | string | Buffer, options: SendIqWebhookOptions = {}): Promise<{ status: number; body: string; raw: Buffer; headers: Record<string, string> }> {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  const headers: Record<string, string> = {
    'Content-Type': 'application/json; charset=UTF-8',
    'User-Agent': 'Sonatype_CLM_Server/1.204.2-01 (Java 17)',
    'X-Nexus-Webhook-Id': options.eventType ?? 'iq:applicationEvaluation',
    'X-Nexus-Webhook-Delivery': options.deliveryId ?? randomUUID(),
    ...(options.secret !== undefined ? { 'X-Nexus-Webhook-Signature': signIqBody(options.secret, raw) } : {}),
    ...options.headers,
  };
  const response = await fetch(url, { method: 'POST', headers, body: raw, redirect: 'manual' });
  return { status: response.status, body: await response.text(), raw, headers };
}
