// The event outbox: rows written in the transaction that caused them, consumed by notifications.
import type { Queryable } from './db.js';

export type EventType =
  | 'scan.completed'
  | 'gate.failed'
  | 'gate.passed'
  | 'gate.warned'
  | 'gate.error'
  | 'finding.new'
  | 'exception.expiring'
  | 'image.promoted'
  | 'image.removed'
  | 'scan.failed'
  | 'data.stale'
  | 'data.update_failed';

export async function recordEvent(q: Queryable, type: EventType, projectId: string | null, payload: unknown): Promise<void> {
  await q.query(`INSERT INTO events (type, project_id, payload) VALUES ($1, $2, $3)`, [type, projectId, JSON.stringify(payload)]);
}

export async function recordSubmissionEvents(
  q: Queryable,
  projectId: string,
  submissionId: string,
  ref: string,
  counts: { new: number },
  verdict: { outcome: string; summary: string },
): Promise<void> {
  const base = { submissionId, ref };
  await recordEvent(q, 'scan.completed', projectId, { ...base, counts, outcome: verdict.outcome });
  const gate = { pass: 'gate.passed', warn: 'gate.warned', fail: 'gate.failed', error: 'gate.error' }[verdict.outcome] as EventType | undefined;
  if (gate) await recordEvent(q, gate, projectId, { ...base, summary: verdict.summary });
  if (counts.new > 0) await recordEvent(q, 'finding.new', projectId, { ...base, count: counts.new });
}
