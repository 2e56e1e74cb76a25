// The audit log: who changed what, when, with before/after. Written inside the changing transaction.
import type { Queryable } from './db.js';

export interface AuditEntry {
  actor: string;
  action: string;
  targetType: string;
  targetId?: string | undefined;
  before?: unknown;
  after?: unknown;
  requestId?: string | undefined;
}

export async function audit(q: Queryable, entry: AuditEntry): Promise<void> {
  await q.query(
    `INSERT INTO audit_log (actor, action, target_type, target_id, before, after, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      entry.actor,
      entry.action,
      entry.targetType,
      entry.targetId ?? null,
      entry.before === undefined ? null : JSON.stringify(entry.before),
      entry.after === undefined ? null : JSON.stringify(entry.after),
      entry.requestId ?? null,
    ],
  );
}
