// Retention of what only matters for a while: finished jobs (done or dead), failed uploads (their
// report bytes are already gone; the row answers GET /submissions/{id} with the reason) and recorded
// events (their notifications were planned when they were recorded). Without it the queue grows with
// every notification, push and upload, for ever. And, when the operator sets
// SCANHUB_SUBMISSION_RETENTION, the findings (occurrences) of old submissions that are no longer the
// latest of their ref (migration 0018): the table that grows fastest.
//
// Several workers may run it at once: each batch takes its rows FOR UPDATE SKIP LOCKED, so they share
// the work instead of queueing on each other's locks, and a delete is idempotent. Batches keep each
// transaction short (no long lock, no huge WAL record) whatever the backlog.
import { MIN_RETENTION_DAYS, MIN_SUBMISSION_RETENTION_DAYS } from '../config/schema.js';
import { rowsPruned } from '../observability/metrics.js';
import type { Database } from '../store/db.js';
import type { Task } from './scheduler.js';

const BATCH = 5_000;

const TARGETS = {
  jobs: `DELETE FROM jobs WHERE id IN (
           SELECT id FROM jobs WHERE state IN ('done', 'dead') AND finished_at < $1 ORDER BY finished_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)`,
  submission_uploads: `DELETE FROM submission_uploads WHERE id IN (
           SELECT id FROM submission_uploads WHERE state = 'failed' AND created_at < $1 LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)`,
  events: `DELETE FROM events WHERE id IN (
           SELECT id FROM events WHERE created_at < $1 ORDER BY created_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)`,
} as const;

export type PrunedCounts = Record<keyof typeof TARGETS, number>;

/** Removes what finished more than `days` days before `now`; returns the rows removed per table. */
export async function pruneFinished(db: Database, now: Date, days: number): Promise<PrunedCounts> {
  const cutoff = new Date(now.getTime() - Math.max(days, MIN_RETENTION_DAYS) * 86_400_000);
  const counts = { jobs: 0, submission_uploads: 0, events: 0 };
  for (const table of Object.keys(TARGETS) as (keyof typeof TARGETS)[]) {
    for (;;) {
      const { rowCount: n } = await db.query(TARGETS[table], [cutoff]);
      counts[table] += n;
      rowsPruned.inc({ table }, n);
      if (n < BATCH) break;
    }
  }
  return counts;
}

/** Submissions per transaction: one submission may hold 100,000 occurrences. */
const SUBMISSIONS_PER_BATCH = 5;

/**
 * Drops the findings (occurrences) of submissions created more than `days` days before `now` that are
 * not the latest of their ref, keeping each one's row, its findings by severity (for the trend) and a
 * mark (its report then answers 410). The latest submission of a ref is never touched: ingest compares
 * the next push with it, and "last seen" reads it. Returns the submissions and occurrences pruned.
 */
export async function pruneSubmissionDetail(db: Database, now: Date, days: number): Promise<{ submissions: number; occurrences: number }> {
  const cutoff = new Date(now.getTime() - Math.max(days, MIN_SUBMISSION_RETENTION_DAYS) * 86_400_000);
  const total = { submissions: 0, occurrences: 0 };
  for (;;) {
    const batch = await db.transaction(async (tx) => {
      // An ingest reads only its ref's latest submission (the one it compares with), which stays
      // excluded until that ingest commits a newer one. SKIP LOCKED: workers share the backlog.
      const { rows } = await tx.query<{ id: string }>(
        `SELECT s.id FROM submissions s
          WHERE s.detail_pruned_at IS NULL AND s.created_at < $1
            AND NOT EXISTS (SELECT 1 FROM refs r WHERE r.last_submission_id = s.id)
          ORDER BY s.created_at LIMIT ${SUBMISSIONS_PER_BATCH} FOR UPDATE SKIP LOCKED`,
        [cutoff],
      );
      const ids = rows.map((r) => r.id);
      if (ids.length === 0) return { submissions: 0, occurrences: 0 };
      await tx.query(
        `UPDATE submissions s SET detail_pruned_at = now(), severity_counts = (
           SELECT COALESCE(jsonb_object_agg(x.severity, x.n), '{}'::jsonb)
             FROM (SELECT f.severity, count(DISTINCT o.finding_id)::int AS n FROM occurrences o JOIN findings f ON f.id = o.finding_id
                    WHERE o.submission_id = s.id GROUP BY f.severity) x)
          WHERE s.id = ANY($1::uuid[])`,
        [ids],
      );
      const { rowCount } = await tx.query(`DELETE FROM occurrences WHERE submission_id = ANY($1::uuid[])`, [ids]);
      return { submissions: ids.length, occurrences: rowCount };
    });
    total.submissions += batch.submissions;
    total.occurrences += batch.occurrences;
    rowsPruned.inc({ table: 'occurrences' }, batch.occurrences);
    if (batch.submissions < SUBMISSIONS_PER_BATCH) return total;
  }
}

/** The workers' hourly retention run (src/jobs/scheduler.ts); its count is the rows removed. */
export function retentionTask(db: Database, options: { jobDays: number; submissionDays: number }): Task {
  return {
    name: 'retention',
    everyMs: 60 * 60_000,
    run: async (at) => {
      const counts = await pruneFinished(db, at, options.jobDays);
      const detail = options.submissionDays > 0 ? await pruneSubmissionDetail(db, at, options.submissionDays) : { occurrences: 0 };
      return counts.jobs + counts.submission_uploads + counts.events + detail.occurrences;
    },
  };
}
