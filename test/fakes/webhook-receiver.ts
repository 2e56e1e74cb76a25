// A third-party webhook receiver, written the way integrations/notifiers/webhook/readme.md tells
// people to: node:crypto only (no ScanHub code), HMAC-SHA256 over the raw body bytes compared in
// constant time, then the signed `timestamp` must be within 5 minutes and match X-ScanHub-Timestamp.
// Answers 204 when the delivery verifies, 401 when it does not; scripted replies go first.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { startRecordingServer, type FakeServer, type ScriptedReply } from './http.js';

export interface ReceiverOptions {
  secret: string;
  /** The receiver's clock (default: real time). */
  now?: () => Date;
  script?: ScriptedReply[];
}

export interface Verdict {
  ok: boolean;
  reason?: 'missing signature' | 'bad signature' | 'not json' | 'stale timestamp' | 'timestamp mismatch';
}

export interface Delivery extends Verdict {
  raw: Buffer;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface WebhookReceiver extends FakeServer {
  deliveries: Delivery[];
  /** The check the receiver applies, for tests that tamper with a recorded delivery. */
  verify(raw: Buffer, headers: IncomingHttpHeaders): Verdict;
}

const TOLERANCE_SECONDS = 5 * 60;

export async function start(options: ReceiverOptions): Promise<WebhookReceiver> {
  const now = options.now ?? (() => new Date());
  const verify = (raw: Buffer, headers: IncomingHttpHeaders): Verdict => {
    const header = headers['x-scanhub-signature'];
    if (typeof header !== 'string' || !header.startsWith('sha256=')) return { ok: false, reason: 'missing signature' };
    const expected = Buffer.from(`sha256=${createHmac('sha256', options.secret).update(raw).digest('hex')}`, 'utf8');
    const given = Buffer.from(header, 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad signature' };
    let body: { timestamp?: unknown };
    try {
      body = JSON.parse(raw.toString('utf8')) as { timestamp?: unknown };
    } catch {
      return { ok: false, reason: 'not json' };
    }
    if (typeof body.timestamp !== 'number' || String(body.timestamp) !== headers['x-scanhub-timestamp']) return { ok: false, reason: 'timestamp mismatch' };
    if (Math.abs(now().getTime() / 1000 - body.timestamp) > TOLERANCE_SECONDS) return { ok: false, reason: 'stale timestamp' };
    return { ok: true };
  };
  const deliveries: Delivery[] = [];
  const server = await startRecordingServer((request) => {
    const verdict = verify(request.raw, request.headers);
    deliveries.push({ ...verdict, raw: request.raw, headers: request.headers, body: request.json });
    return verdict.ok ? { status: 204 } : { status: 401, body: { error: verdict.reason } };
  });
  server.script.push(...(options.script ?? []));
  return { ...server, deliveries, verify };
}
