// The outbox worker: sends one notification row through its channel under a per-channel rate limit.
// A row already sent is never sent again; a failure the channel calls retryable goes back to the
// queue with back-off; when the job ends for good (the last failure, or a worker that died on every
// attempt) the row is left dead with the reason and notification.failed raised for a fallback rule.
// Delivery is at least once: a worker that dies between the send and the acknowledgement sends again
// after its lease, with the same message id (X-ScanHub-Delivery, Message-ID) so receivers can drop
// the duplicate.
import Bottleneck from 'bottleneck';
import type { Job, JobHandler } from '../jobs/queue.js';
import type { Logger } from '../logger.js';
import type { ConnectionSpec } from '../plugins/connection.js';
import { IntegrationError } from '../plugins/integration-error.js';
import type { NotificationAttachment, NotificationMessage, NotifierPlugin } from '../plugins/notifier.js';
import type { Outbound } from '../security/outbound.js';
import type { SecretBox } from '../security/secrets.js';
import type { Database } from '../store/db.js';
import { recordEvent } from '../store/events.js';
import { loadIntegrationSecrets } from '../store/repositories/integrations.js';
import { loadSubmissionReport } from '../reports/load-report.js';
import { renderReport } from '../reports/render.js';
import { findChromium } from '../reports/pdf.js';
import { AppError } from '../errors.js';

export interface DeliveryDeps {
  db: Database;
  notifiers: readonly NotifierPlugin<never>[];
  connections: readonly ConnectionSpec[];
  secrets: SecretBox | undefined;
  outbound: Outbound;
  log: Logger;
  chromium?: string | undefined;
  now?: () => Date;
  /** Test seam: runs after the channel accepted the message, before the row is marked sent. */
  afterSend?: ((notificationId: string) => Promise<void> | void) | undefined;
}

interface Row {
  id: string;
  channel_id: string | null;
  state: string;
  recipients: string[];
  message: NotificationMessage;
  attach_report: string | null;
  event_type: string;
  rule_id: string | null;
  project_id: string | null;
  escalates: string | null;
  channel_kind: string | null;
}

/** Sends a message through a stored channel (also the channel test endpoint). */
export async function sendThroughChannel(
  deps: Pick<DeliveryDeps, 'db' | 'notifiers' | 'connections' | 'secrets' | 'outbound' | 'now'>,
  channelId: string,
  message: NotificationMessage,
  recipients: readonly string[] = [],
): Promise<{ providerId?: string | undefined }> {
  const { rows } = await deps.db.query<{ kind: string; enabled: boolean }>(`SELECT kind, enabled FROM integrations WHERE id = $1`, [channelId]);
  const kind = rows[0]?.kind;
  const notifier = deps.notifiers.find((n) => n.id === kind);
  const spec = deps.connections.find((c) => c.kind === kind && c.family === 'channel');
  if (!rows[0] || !notifier || !spec) throw new IntegrationError('CHANNEL_NOT_FOUND', 'The channel was deleted or is not a notification channel.');
  if (!rows[0].enabled) throw new IntegrationError('CHANNEL_DISABLED', 'The channel is disabled.');
  const settings = await loadIntegrationSecrets<Record<string, unknown>>(deps.db, deps.secrets, spec, channelId);
  // Recipients named by the rule replace the channel's default list (email addresses, phone numbers).
  if (recipients.length && Array.isArray(settings.to)) settings.to = [...recipients];
  return (notifier as NotifierPlugin<Record<string, unknown>>).send(settings, message, { outbound: deps.outbound, now: deps.now ?? (() => new Date()) });
}

export function createDeliveryHandler(deps: DeliveryDeps): JobHandler {
  const limiters = new Map<string, Bottleneck>();
  // Chat webhooks allow about one message a second; SMTP relays and SMS APIs a few more.
  const limiterFor = (channelId: string) => {
    let limiter = limiters.get(channelId);
    if (!limiter) {
      limiter = new Bottleneck({ maxConcurrent: 2, minTime: 250 });
      limiters.set(channelId, limiter);
    }
    return limiter;
  };

  async function attachments(row: Row, kind: string | undefined): Promise<NotificationAttachment[] | undefined> {
    if (kind !== 'email' || !row.attach_report) return undefined;
    const model = await loadSubmissionReport(deps.db, row.attach_report, deps.now?.() ?? new Date());
    // PDF when Chromium is installed, the self-contained HTML otherwise.
    const format = findChromium(deps.chromium) ? 'pdf' : 'html';
    const report = await renderReport(model, format, { chromium: deps.chromium });
    return [{ filename: report.filename, contentType: report.contentType.split(';')[0]!, content: report.body }];
  }

  const handler: JobHandler = async (job: Job) => {
    const id = String(job.payload.notificationId);
    const { rows } = await deps.db.query<Row>(
      `SELECT n.id, n.channel_id, n.state, n.recipients, n.message, n.attach_report, n.event_type, n.rule_id, n.project_id, n.escalates, i.kind AS channel_kind
         FROM notifications n LEFT JOIN integrations i ON i.id = n.channel_id WHERE n.id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row || row.state === 'sent' || row.state === 'suppressed' || row.state === 'dead') return { skipped: row?.state ?? 'missing' };
    if (row.escalates) {
      const original = await deps.db.query<{ acknowledged_at: Date | null }>(`SELECT acknowledged_at FROM notifications WHERE id = $1`, [row.escalates]);
      if (original.rows[0]?.acknowledged_at) {
        await deps.db.query(`UPDATE notifications SET state = 'suppressed', reason = 'acknowledged before escalation' WHERE id = $1`, [id]);
        return { skipped: 'acknowledged' };
      }
    }
    if (!row.channel_id) {
      await deps.db.query(`UPDATE notifications SET state = 'dead', reason = 'the channel was deleted' WHERE id = $1`, [id]);
      return { skipped: 'no channel' };
    }
    await deps.db.query(`UPDATE notifications SET state = 'sending', attempts = attempts + 1 WHERE id = $1`, [id]);
    try {
      const message: NotificationMessage = { ...row.message, attachments: await attachments(row, row.channel_kind ?? undefined) };
      const result = await limiterFor(row.channel_id).schedule(() => sendThroughChannel(deps, row.channel_id!, message, row.recipients));
      await deps.afterSend?.(id);
      await deps.db.query(`UPDATE notifications SET state = 'sent', sent_at = now(), provider_id = $2, reason = NULL WHERE id = $1`, [id, result.providerId ?? null]);
      return { sent: true };
    } catch (error) {
      const retryable = error instanceof IntegrationError ? error.retryable : !(error instanceof AppError);
      const reason = `${error instanceof IntegrationError ? error.code + ': ' : error instanceof AppError ? error.code + ': ' : ''}${(error as Error).message}`;
      // Pending again; if the queue decides this was the last attempt, onDead makes it dead.
      await deps.db.query(`UPDATE notifications SET state = 'pending', reason = $2 WHERE id = $1`, [id, reason.slice(0, 1000)]);
      deps.log.warn({ notification: id, channel: row.channel_id, reason, retryable }, 'notification not delivered');
      const retryAfterMs = error instanceof IntegrationError ? error.options.retryAfterMs : undefined;
      throw Object.assign(new Error(reason), { retryable, options: { retryAfterMs } });
    }
  };
  // The job ended for good (the channel refused, attempts ran out, or the worker sending it died on
  // every attempt): the row is dead with the reason, and notification.failed lets a fallback rule act.
  handler.onDead = async (tx, job, reason) => {
    const { rows } = await tx.query<{ project_id: string | null; channel_id: string | null; event_type: string }>(
      `UPDATE notifications SET state = 'dead', reason = $2 WHERE id = $1 AND state IN ('pending', 'sending') RETURNING project_id, channel_id, event_type`,
      [String(job.payload.notificationId), reason.slice(0, 1000)],
    );
    const row = rows[0];
    // A failed failure-notice raises nothing more: no loops.
    if (row && row.event_type !== 'notification.failed') {
      await recordEvent(tx, 'notification.failed', row.project_id, { notificationId: job.payload.notificationId, channelId: row.channel_id, event: row.event_type, summary: reason.slice(0, 300) }, deps.now?.() ?? new Date());
    }
  };
  return handler;
}
