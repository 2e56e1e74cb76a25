// Retention of what only matters for a while: finished jobs (done or dead) and failed uploads (their
// report bytes are already gone; the row answers GET /submissions/{id} with the reason). Without it
// the queue grows with every notification, push and upload, for ever.
//
// Several workers may run it at once: each batch takes its rows FOR UPDATE SKIP LOCKED, so they share
// the work instead of queueing on each other's locks, and a delete is idempotent. Batches keep each
// transaction short (no long lock, no huge WAL record) whatever the backlog.
import { MIN_RETENTION_DAYS } from '../config/schema.js';
import { rowsPruned } from '../observability/metrics.js';
import type { Database } from '../store/db.js';
import type { Task } from './scheduler.js';

const BATCH = 5_000;

const TARGETS = {
  jobs: `DELETE FROM jobs WHERE id IN (
           SELECT id FROM jobs WHERE state IN ('done', 'dead') AND finished_at < $1 ORDER BY finished_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)`,
  submission_uploads: `DELETE FROM submission_uploads WHERE id IN (
           SELECT id FROM submission_uploads WHERE state = 'failed' AND created_at < $1 LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)`,
} as const;

export type PrunedCounts = Record<keyof typeof TARGETS, number>;

/** Removes what finished more than `days` days before `now`; returns the rows removed per table. */
export async function pruneFinished(db: Database, now: Date, days: number): Promise<PrunedCounts> {
  const cutoff = new Date(now.getTime() - Math.max(days, MIN_RETENTION_DAYS) * 86_400_000);
  const counts = { jobs: 0, submission_uploads: 0 };
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

/** The workers' hourly retention run (src/jobs/scheduler.ts); its count is the rows removed. */
export function retentionTask(db: Database, days: number): Task {
  return {
    name: 'retention',
    everyMs: 60 * 60_000,
    run: async (at) => {
      const counts = await pruneFinished(db, at, days);
      return counts.jobs + counts.submission_uploads;
    },
  };
}
