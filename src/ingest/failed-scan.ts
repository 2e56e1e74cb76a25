// A scan that could not finish (Xray down, deadline passed, the pipeline's scanner job failed) still
// leaves a submission: verdict "error" with the reason, and its events — never a silent drop.
import { createHash } from 'node:crypto';
import type { Database } from '../store/db.js';
import { recordEvent } from '../store/events.js';

export async function recordFailedScan(db: Database, projectId: string, ref: string, reason: string, source: Record<string, unknown>, idempotencyKey: string, tool = 'xray', commit?: string): Promise<string> {
  return db.transaction(async (tx) => {
    const existing = await tx.query<{ id: string }>(`SELECT id FROM submissions WHERE project_id = $1 AND idempotency_key = $2`, [projectId, idempotencyKey]);
    if (existing.rows[0]) return existing.rows[0].id;
    const verdict = { outcome: 'error', summary: `No verdict: ${reason}`, reasons: [reason], rules: [], exceptions: [], expiredExceptions: [], counts: { findings: 0, excepted: 0, assessed: 0 }, evaluatedAt: new Date().toISOString() };
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO submissions (project_id, ref, status, idempotency_key, request_hash, tools, reports, counts, verdict, source, commit_sha)
       VALUES ($1, $2, 'failed', $3, $4, $8, '[]'::jsonb, $5, $6, $7, $9) RETURNING id`,
      [projectId, ref, idempotencyKey, createHash('sha256').update(idempotencyKey).digest('hex'), JSON.stringify({ new: 0, existing: 0, fixed: 0, reopened: 0, total: 0 }), JSON.stringify(verdict), JSON.stringify(source), [tool], commit ?? null],
    );
    await recordEvent(tx, 'scan.failed', projectId, { submissionId: rows[0]!.id, ref, summary: verdict.summary, source });
    await recordEvent(tx, 'gate.error', projectId, { submissionId: rows[0]!.id, ref, summary: verdict.summary });
    return rows[0]!.id;
  });
}

