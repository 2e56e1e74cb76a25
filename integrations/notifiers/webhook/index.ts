// Generic webhook channel: one JSON POST per notification, signed with HMAC-SHA256 of the exact
// body bytes (X-ScanHub-Signature: sha256=<hex>). The body is serialized once; those bytes are
// signed and those bytes are sent.
import type { z } from 'zod';
import type { NotificationMessage, NotifierPlugin } from '../../../src/plugins/notifier.js';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import { hmacSha256Hex } from '../../../src/security/signatures.js';
import { postRaw, statusError } from '../http-delivery.js';
import { webhookConnection } from './connection.js';

export type WebhookConfig = z.output<typeof webhookConnection.configSchema>;

/** The JSON body receivers get (documented in readme.md). */
export interface WebhookBody {
  id: string;
  event: string;
  /** Unix seconds when ScanHub sent it; also in X-ScanHub-Timestamp. Inside the signed bytes. */
  timestamp: number;
  subject: string;
  text: string;
  severity: NotificationMessage['severity'] | null;
  facts: { label: string; value: string }[];
  link: string | null;
  data: Record<string, unknown> | null;
}

export const webhookNotifier: NotifierPlugin<WebhookConfig> = {
  kind: 'notifier',
  id: 'webhook',
  connection: webhookConnection,
  async send(config, message, ctx) {
    const timestamp = Math.floor(ctx.now().getTime() / 1000);
    const { body, headers } = signedRequest(message, config.signingSecret, timestamp);
    const response = await postRaw(ctx, { url: config.url, body, headers, prefix: 'WEBHOOK', target: 'The webhook receiver' });
    if (response.status >= 200 && response.status < 300) return {};
    const secrets = [config.url, config.signingSecret];
    if (response.status === 410) {
      throw new IntegrationError('WEBHOOK_GONE', 'The webhook receiver answered 410 Gone: it no longer wants these deliveries. Remove or update the webhook channel.', {
        retryable: false,
        status: 410,
      });
    }
    // 408, 429 and 5xx: retryable, with Retry-After; other 4xx: WEBHOOK_REJECTED, not retryable.
    throw statusError(response, ctx, {
      prefix: 'WEBHOOK',
      target: 'The webhook receiver',
      secrets,
      hint: response.status === 401 || response.status === 403 ? 'check that the receiver uses the same signing secret and that its clock is right' : undefined,
    });
  },
};

export function webhookBody(message: NotificationMessage, timestamp: number): WebhookBody {
  return {
    id: message.id,
    event: message.event,
    timestamp,
    subject: message.subject,
    text: message.text,
    severity: message.severity ?? null,
    facts: message.facts.map((f) => ({ label: f.label, value: f.value })),
    link: message.link ?? null,
    data: message.data ?? null,
  };
}

/** Serializes once and signs those bytes; returns exactly what is sent. */
export function signedRequest(message: NotificationMessage, signingSecret: string, timestamp: number): { body: Buffer; headers: Record<string, string> } {
  const body = Buffer.from(JSON.stringify(webhookBody(message, timestamp)), 'utf8');
  return {
    body,
    headers: {
      'Content-Type': 'application/json',
      'X-ScanHub-Event': headerSafe(message.event),
      'X-ScanHub-Delivery': headerSafe(message.id),
      'X-ScanHub-Timestamp': String(timestamp),
      'X-ScanHub-Signature': `sha256=${hmacSha256Hex(signingSecret, body)}`,
    },
  };
}

/** Header values are visible ASCII only (the body carries the exact values). */
function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '_').trim().slice(0, 200);
}
