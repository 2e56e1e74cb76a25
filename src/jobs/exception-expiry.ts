// Emits `exception.expiring` once per exception, `days` before it expires. Safe with several
// workers: rows are claimed with FOR UPDATE SKIP LOCKED and marked in the same transaction.
import type { Database } from '../store/db.js';
import { recordEvent } from '../store/events.js';

export async function emitExpiringExceptions(db: Database, now: Date, days = 7): Promise<number> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string; project_id: string | null; kind: string; owner: string; reason: string; expires_at: Date; scope: unknown }>(
      `SELECT id, project_id, kind, owner, reason, expires_at, scope FROM exceptions
        WHERE status = 'approved' AND expires_at IS NOT NULL AND expiry_notified_at IS NULL
          AND expires_at > $1 AND expires_at <= $1::timestamptz + make_interval(days => $2::int)
        ORDER BY expires_at FOR UPDATE SKIP LOCKED LIMIT 500`,
      [now.toISOString(), days],
    );
    for (const r of rows) {
      await recordEvent(tx, 'exception.expiring', r.project_id, {
        exceptionId: r.id,
        kind: r.kind,
        owner: r.owner,
        reason: r.reason,
        scope: r.scope,
        expiresAt: new Date(r.expires_at).toISOString(),
      });
    }
    if (rows.length) {
      await tx.query(`UPDATE exceptions SET expiry_notified_at = $2 WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id), now.toISOString()]);
    }
    return rows.length;
  });
}
