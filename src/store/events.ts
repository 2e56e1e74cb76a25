// The event outbox: rows written in the transaction that caused them, consumed by notifications.
import type { Queryable } from './db.js';
import { planNotifications } from '../notify/plan.js';

export type EventType =
  | 'scan.completed'
  | 'gate.failed'
  | 'gate.passed'
  | 'gate.warned'
  | 'gate.error'
  | 'finding.new'
  | 'finding.kev_added'
  | 'gate.changed'
  | 'exception.expiring'
  | 'image.promoted'
  | 'image.removed'
  | 'scan.failed'
  | 'notification.failed'
  | 'data.stale'
  | 'data.update_failed';

/** Records an event and, in the same transaction, the notifications its alert rules ask for. */
export async function recordEvent(q: Queryable, type: EventType, projectId: string | null, payload: Record<string, unknown>, now: Date = new Date()): Promise<void> {
  const { rows } = await q.query<{ id: string }>(`INSERT INTO events (type, project_id, payload) VALUES ($1, $2, $3) RETURNING id`, [type, projectId, JSON.stringify(payload)]);
  await planNotifications(q, { id: String(rows[0]!.id), type, projectId, payload }, now);
}

export async function recordSubmissionEvents(
  q: Queryable,
  projectId: string,
  submissionId: string,
  ref: string,
  counts: { new: number },
  verdict: { outcome: string; summary: string },
  now: Date = new Date(),
): Promise<void> {
  const base = { submissionId, ref };
  await recordEvent(q, 'scan.completed', projectId, { ...base, counts, outcome: verdict.outcome, summary: verdict.summary }, now);
  const gate = { pass: 'gate.passed', warn: 'gate.warned', fail: 'gate.failed', error: 'gate.error' }[verdict.outcome] as EventType | undefined;
  if (gate) await recordEvent(q, gate, projectId, { ...base, summary: verdict.summary }, now);
  if (counts.new > 0) await recordEvent(q, 'finding.new', projectId, { ...base, count: counts.new }, now);
}
