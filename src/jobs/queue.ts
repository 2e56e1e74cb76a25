// The durable job queue (migrations/0004_jobs.sql). Enqueue inside the transaction that decides the
// work; workers claim one job at a time under a lease; a job whose worker died is claimed again when
// its lease runs out; failures retry with back-off and end in 'dead' with the reason kept. A job whose
// workers keep dying on it (a report that exhausts memory, say) is buried once its attempts are spent,
// instead of taking down every worker in turn; the queue's handler then hears of it (onDead) in the
// same transaction, so whoever waits on the job learns it will not happen.
import { jobsRun } from '../observability/metrics.js';
import type { Database, Queryable } from '../store/db.js';

export interface Job<P = Record<string, unknown>> {
  id: string;
  queue: string;
  dedupeKey: string | null;
  payload: P;
  attempts: number;
  maxAttempts: number;
  /** The worker holding it (claim): completing or failing it is that worker's alone. */
  lockedBy: string | null;
}

interface JobRow {
  id: string;
  queue: string;
  dedupe_key: string | null;
  payload: Record<string, unknown>;
  attempts: number;
  max_attempts: number;
  locked_by: string | null;
}

const toJob = <P>(r: JobRow): Job<P> => ({
  id: String(r.id),
  queue: r.queue,
  dedupeKey: r.dedupe_key,
  payload: r.payload as P,
  attempts: r.attempts,
  maxAttempts: r.max_attempts,
  lockedBy: r.locked_by,
});

export async function enqueue(
  q: Queryable,
  queue: string,
  payload: Record<string, unknown>,
  options: { dedupeKey?: string; runAt?: Date; maxAttempts?: number } = {},
): Promise<{ id: string; duplicate: boolean }> {
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO jobs (queue, dedupe_key, payload, run_at, max_attempts) VALUES ($1, $2, $3, COALESCE($4, now()), $5)
     ON CONFLICT (queue, dedupe_key) WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running') DO NOTHING RETURNING id`,
    [queue, options.dedupeKey ?? null, JSON.stringify(payload), options.runAt ?? null, options.maxAttempts ?? 5],
  );
  if (rows[0]) return { id: String(rows[0].id), duplicate: false };
  const live = await q.query<{ id: string }>(`SELECT id FROM jobs WHERE queue = $1 AND dedupe_key = $2 AND state IN ('queued', 'running')`, [queue, options.dedupeKey]);
  return { id: String(live.rows[0]?.id ?? ''), duplicate: true };
}

/**
 * Enqueues unless a job with this key was EVER queued on `queue` (not only a live one): a schedule
 * slot fires once across instances even after its job has finished. Atomic in one statement; two
 * instances racing meet the live-key unique index.
 */
export async function enqueueOnce(q: Queryable, queue: string, payload: Record<string, unknown>, dedupeKey: string, options: { maxAttempts?: number } = {}): Promise<boolean> {
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO jobs (queue, dedupe_key, payload, max_attempts)
     SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE queue = $1 AND dedupe_key = $2)
     ON CONFLICT (queue, dedupe_key) WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running') DO NOTHING RETURNING id`,
    [queue, dedupeKey, JSON.stringify(payload), options.maxAttempts ?? 5],
  );
  return rows.length > 0;
}

/** Queued and due. */
const DUE = `(state = 'queued' AND run_at <= now())`;
/** Running under a lease its worker stopped renewing (it died, or is stuck). */
const LAPSED = `(state = 'running' AND locked_until < now())`;

/**
 * Claims the next due job of `queue` (or one whose lease expired with attempts left), or undefined.
 * A job whose lease expired on its last attempt is not claimed: buryAbandoned ends it.
 */
export async function claim<P>(db: Database, queue: string, worker: string, leaseMs: number): Promise<Job<P> | undefined> {
  const { rows } = await db.query<JobRow>(
    `UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $2, locked_until = now() + ($3 || ' milliseconds')::interval
      WHERE id = (
        SELECT id FROM jobs
         WHERE queue = $1 AND (${DUE} OR (${LAPSED} AND attempts < max_attempts))
         ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING id, queue, dedupe_key, payload, attempts, max_attempts, locked_by`,
    [queue, worker, String(leaseMs)],
  );
  return rows[0] ? toJob<P>(rows[0]) : undefined;
}

/** Why a job was buried (format(), %s = attempts): its worker stopped (crash, kill -9, out of memory) on every attempt. */
const ABANDONED = 'the worker running it stopped without finishing %s time(s) (its lease expired each time); not retried again';
export const abandonedReason = (attempts: number) => ABANDONED.replace('%s', String(attempts));

/**
 * Ends the jobs of `queues` whose lease expired on their last attempt: state 'dead' with the reason,
 * and each queue's `onDead` in the same transaction (rows locked SKIP LOCKED: two workers never bury
 * the same job). Returns how many were buried.
 */
export async function buryAbandoned(db: Database, handlers: Readonly<Record<string, JobHandler>>, log?: WorkerLog): Promise<number> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<JobRow>(
      `UPDATE jobs SET state = 'dead', finished_at = now(), locked_until = NULL, last_error = format($2, attempts)
        WHERE id IN (SELECT id FROM jobs WHERE queue = ANY($1::text[]) AND ${LAPSED} AND attempts >= max_attempts
                      ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED)
        RETURNING id, queue, dedupe_key, payload, attempts, max_attempts, locked_by`,
      [Object.keys(handlers), ABANDONED],
    );
    for (const row of rows) {
      const job = toJob<Record<string, unknown>>(row);
      await handlers[job.queue]?.onDead?.(tx, job, abandonedReason(job.attempts));
      jobsRun.inc({ queue: job.queue, outcome: 'dead' });
      log?.error({ queue: job.queue, job: job.id, attempts: job.attempts }, 'job abandoned: its worker stopped on every attempt');
    }
    return rows.length;
  });
}

/**
 * Which of `queues` have a job to take now, and whether any holds a job to bury: one query per poll
 * (on the partial index jobs_ready), instead of a claim per queue, most of which find nothing.
 */
export async function pendingWork(db: Queryable, queues: readonly string[]): Promise<{ due: Set<string>; abandoned: boolean }> {
  const { rows } = await db.query<{ queue: string; claimable: boolean; abandoned: boolean }>(
    `SELECT queue, bool_or(state = 'queued' OR attempts < max_attempts) AS claimable, bool_or(state = 'running' AND attempts >= max_attempts) AS abandoned
       FROM jobs WHERE queue = ANY($1::text[]) AND (${DUE} OR ${LAPSED})
      GROUP BY queue`,
    [queues],
  );
  return { due: new Set(rows.filter((r) => r.claimable).map((r) => r.queue)), abandoned: rows.some((r) => r.abandoned) };
}

/**
 * The claim still held: a worker whose lease ran out (and whose job another worker took up, or the
 * queue buried, or a shutdown released) no longer decides the job's state.
 */
const HELD = `id = $1 AND state = 'running' AND locked_by IS NOT DISTINCT FROM $2`;

/** Extends the lease of a long job (a scan that keeps polling), while this worker still holds it. */
export async function heartbeat(q: Queryable, job: Job<unknown>, leaseMs: number): Promise<void> {
  await q.query(`UPDATE jobs SET locked_until = now() + ($3 || ' milliseconds')::interval WHERE ${HELD}`, [job.id, job.lockedBy, String(leaseMs)]);
}

/** Marks the job done; false when this worker no longer held it (its effects are idempotent: nothing to undo). */
export async function complete(q: Queryable, job: Job<unknown>, result: unknown = null): Promise<boolean> {
  const { rowCount } = await q.query(`UPDATE jobs SET state = 'done', result = $3, finished_at = now(), locked_until = NULL WHERE ${HELD}`, [job.id, job.lockedBy, JSON.stringify(result)]);
  return rowCount > 0;
}

/** Back-off: 5 s, 20 s, 80 s … capped at 30 min, unless the failure says when to retry. */
export function backoffMs(attempt: number): number {
  return Math.min(30 * 60_000, 5_000 * 4 ** Math.max(0, attempt - 1));
}

/**
 * Records a failed attempt: queued again after a back-off, or dead when no attempt is left or retrying
 * cannot help; 'lost' when this worker no longer held the job (nothing recorded).
 */
export async function fail(q: Queryable, job: Job<unknown>, reason: string, options: { retryable: boolean; retryAfterMs?: number | undefined }): Promise<'retry' | 'dead' | 'lost'> {
  const dead = !options.retryable || job.attempts >= job.maxAttempts;
  const { rowCount } = await q.query(
    dead
      ? `UPDATE jobs SET state = 'dead', last_error = $3, finished_at = now(), locked_until = NULL WHERE ${HELD}`
      : `UPDATE jobs SET state = 'queued', last_error = $3, run_at = now() + ($4 || ' milliseconds')::interval, locked_until = NULL WHERE ${HELD}`,
    dead ? [job.id, job.lockedBy, reason.slice(0, 2000)] : [job.id, job.lockedBy, reason.slice(0, 2000), String(options.retryAfterMs ?? backoffMs(job.attempts))],
  );
  if (rowCount === 0) return 'lost';
  return dead ? 'dead' : 'retry';
}

export interface JobHandlerContext {
  /** Keeps the lease alive; call it while a long job waits. */
  heartbeat(): Promise<void>;
}

/** Told, in the transaction that ends a job for good, that it will not be done (e.g. to fail what waits on it). */
export type DeadHandler = (tx: Queryable, job: Job, reason: string) => Promise<void>;

export type JobHandler = ((job: Job, ctx: JobHandlerContext) => Promise<unknown>) & { onDead?: DeadHandler };

type WorkerLog = { error(obj: unknown, msg: string): void; info(obj: unknown, msg: string): void };

/** A failure that says whether retrying may help (IntegrationError has this shape). */
interface RetryHint {
  retryable?: boolean;
  options?: { retryAfterMs?: number };
}

export interface Worker {
  /** Runs every due job of every queue once (tests drive workers with this). */
  drain(): Promise<number>;
  /**
   * Takes no new job and waits for the one in hand; after `graceMs` (default: as long as it takes)
   * its lease is released so another worker takes it up at once instead of when the lease runs out.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
}

export function startWorker(
  db: Database,
  handlers: Record<string, JobHandler>,
  options: { id: string; leaseMs?: number; pollMs?: number; log?: WorkerLog; autostart?: boolean },
): Worker {
  const leaseMs = options.leaseMs ?? 120_000;
  let stopped = false;
  let current: Promise<number> | undefined;

  async function runOne(queue: string, handler: JobHandler): Promise<boolean> {
    const job = await claim<Record<string, unknown>>(db, queue, options.id, leaseMs);
    if (!job) return false;
    // The lease is renewed for as long as this process works on the job; a killed worker stops
    // renewing and its job is claimed again once the lease runs out.
    const renew = setInterval(() => void heartbeat(db, job, leaseMs).catch(() => undefined), Math.max(1000, Math.floor(leaseMs / 3)));
    renew.unref();
    try {
      const result = await handler(job, { heartbeat: () => heartbeat(db, job, leaseMs) });
      clearInterval(renew);
      jobsRun.inc({ queue, outcome: (await complete(db, job, result ?? null)) ? 'done' : 'lost' });
    } catch (error) {
      clearInterval(renew);
      const hint = error as RetryHint;
      const reason = (error as Error).message ?? String(error);
      const failure = { retryable: hint.retryable ?? true, retryAfterMs: hint.options?.retryAfterMs };
      const { onDead } = handler;
      // A job that ends here ends with its onDead in one transaction: no dead job whose waiter still waits.
      const outcome = onDead
        ? await db.transaction(async (tx) => {
            const o = await fail(tx, job, reason, failure);
            if (o === 'dead') await onDead(tx, job, reason);
            return o;
          })
        : await fail(db, job, reason, failure);
      jobsRun.inc({ queue, outcome });
      options.log?.error({ err: error, queue, job: job.id, outcome }, 'job failed');
    }
    return true;
  }

  const queues = Object.keys(handlers);

  // Round by round, one job from each queue that has one: a backlog in one queue (a burst of uploads)
  // does not hold up another (an alert) for more than a job.
  async function drain(): Promise<number> {
    let done = 0;
    for (let progressed = true; progressed && !stopped; ) {
      progressed = false;
      const work = await pendingWork(db, queues);
      if (work.abandoned) {
        const buried = await buryAbandoned(db, handlers, options.log);
        done += buried;
        progressed = buried > 0; // what onDead queued (a fallback alert) is due next round
      }
      for (const [queue, handler] of Object.entries(handlers)) {
        if (work.due.has(queue) && (await runOne(queue, handler))) {
          done++;
          progressed = true;
        }
      }
    }
    return done;
  }

  const tick = () => {
    if (stopped || current) return;
    current = drain()
      .catch((error: unknown) => {
        options.log?.error({ err: error }, 'job worker tick failed');
        return 0;
      })
      .finally(() => {
        current = undefined;
      });
  };
  const timer = options.autostart === false ? undefined : setInterval(tick, options.pollMs ?? 1000);
  timer?.unref();
  return {
    drain: async () => {
      await current;
      return drain();
    },
    async stop({ graceMs }: { graceMs?: number } = {}) {
      stopped = true;
      if (timer) clearInterval(timer);
      if (!current) return;
      if (graceMs === undefined) {
        await current;
        return;
      }
      let timeout: NodeJS.Timeout | undefined;
      const finished = await Promise.race([current.then(() => true), new Promise<false>((resolve) => (timeout = setTimeout(() => resolve(false), graceMs)))]);
      clearTimeout(timeout);
      if (finished) return;
      // The job's effects are idempotent (submission keys, dedupe keys): another worker may redo it safely.
      const released = await db.query(
        `UPDATE jobs SET state = 'queued', locked_by = NULL, locked_until = NULL, run_at = now(), attempts = GREATEST(attempts - 1, 0)
          WHERE locked_by = $1 AND state = 'running' RETURNING id`,
        [options.id],
      );
      options.log?.info({ released: released.rows.length }, 'shutting down: in-flight jobs released to other workers');
    },
  };
}
