// The durable job queue on both backends: dedupe of live jobs, leases that expire, retries with
// back-off, dead letters with the reason, and two workers never taking the same job; a job whose
// workers keep dying is buried (not handed out for ever) and its handler told; retention.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { abandonedReason, claim, complete, enqueue, enqueueOnce, fail, startWorker, type JobHandler } from '../../src/jobs/queue.js';
import { pruneFinished } from '../../src/jobs/retention.js';
import type { Database } from '../../src/store/db.js';
import { describeEachBackend, openTestDatabase } from '../helpers/db.js';

describeEachBackend('job queue', (backend) => {
  let db: Database;
  beforeEach(async () => {
    db = await openTestDatabase(backend);
  });
  afterEach(async () => db.close());

  it('keeps one live job per dedupe key, and allows a new one once it is done', async () => {
    const a = await enqueue(db, 'scan', { digest: 'sha256:1' }, { dedupeKey: 'sha256:1' });
    const b = await enqueue(db, 'scan', { digest: 'sha256:1' }, { dedupeKey: 'sha256:1' });
    expect(b).toEqual({ id: a.id, duplicate: true });
    const job = (await claim(db, 'scan', 'w1', 60_000))!;
    expect((await enqueue(db, 'scan', {}, { dedupeKey: 'sha256:1' })).duplicate).toBe(true);
    await complete(db, job, { findings: 3 });
    expect((await enqueue(db, 'scan', {}, { dedupeKey: 'sha256:1' })).duplicate).toBe(false);
  });

  it('reclaims a job whose worker stopped renewing its lease (a restart mid-scan)', async () => {
    await enqueue(db, 'scan', { n: 1 });
    const first = (await claim(db, 'scan', 'crashed', 1))!;
    await new Promise((r) => setTimeout(r, 20));
    const again = (await claim(db, 'scan', 'w2', 60_000))!;
    expect(again.id).toBe(first.id);
    expect(again.attempts).toBe(2);
    expect(await claim(db, 'scan', 'w3', 60_000)).toBeUndefined();
    // The first worker was only slow: it no longer decides the job's state, the second one does.
    expect(await complete(db, first, { late: true })).toBe(false);
    expect(await fail(db, first, 'late failure', { retryable: true })).toBe('lost');
    expect((await db.query(`SELECT state, locked_by, last_error FROM jobs`)).rows).toEqual([{ state: 'running', locked_by: 'w2', last_error: null }]);
    expect(await complete(db, again, { ok: true })).toBe(true);
    expect((await db.query(`SELECT state, result FROM jobs`)).rows).toEqual([{ state: 'done', result: { ok: true } }]);
  });

  it('retries with back-off and keeps the reason of a dead job', async () => {
    await enqueue(db, 'notify', { n: 1 }, { maxAttempts: 2 });
    const job = (await claim(db, 'notify', 'w', 60_000))!;
    expect(await fail(db, job, 'HTTP 503', { retryable: true, retryAfterMs: 10 })).toBe('retry');
    expect(await claim(db, 'notify', 'w', 60_000)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 30));
    const second = (await claim(db, 'notify', 'w', 60_000))!;
    expect(await fail(db, second, 'HTTP 503 again', { retryable: true })).toBe('dead');
    const { rows } = await db.query<{ state: string; last_error: string }>(`SELECT state, last_error FROM jobs`);
    expect(rows).toEqual([{ state: 'dead', last_error: 'HTTP 503 again' }]);
  });

  it('runs handlers through a worker: each job once, failures not retried when they say so', async () => {
    for (let i = 0; i < 5; i++) await enqueue(db, 'work', { i });
    await enqueue(db, 'work', { i: 'bad' });
    const seen: unknown[] = [];
    const work = async (job: { payload: Record<string, unknown> }) => {
      if (job.payload.i === 'bad') throw Object.assign(new Error('refused'), { retryable: false });
      seen.push(job.payload.i);
    };
    const a = startWorker(db, { work }, { id: 'a', autostart: false });
    const b = startWorker(db, { work }, { id: 'b', autostart: false });
    await Promise.all([a.drain(), b.drain()]);
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4]);
    const { rows } = await db.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM jobs GROUP BY state ORDER BY state`);
    expect(rows).toEqual([{ state: 'dead', n: 1 }, { state: 'done', n: 5 }]);
  });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const jobStates = async () => (await db.query<{ queue: string; state: string; last_error: string | null }>(`SELECT queue, state, last_error FROM jobs ORDER BY id`)).rows;

  it('buries a job whose worker died on every attempt, telling its handler in the same transaction, and never runs it again', async () => {
    await enqueue(db, 'poison', { report: 'huge' }, { maxAttempts: 2 });
    await enqueue(db, 'poison', { report: 'fine' }, { maxAttempts: 2 });
    for (const worker of ['oom-1', 'oom-2']) {
      expect((await claim(db, 'poison', worker, 1))!.payload).toEqual({ report: 'huge' });
      await sleep(15);
    }
    const ran: unknown[] = [];
    const told: unknown[] = [];
    const handler: JobHandler = async (job) => void ran.push(job.payload.report);
    handler.onDead = async (tx, job, reason) => {
      told.push([job.payload.report, job.attempts, reason]);
      await enqueue(tx, 'compensate', { for: job.id });
    };
    // Its attempts are spent: claiming skips it (another worker takes the next job instead).
    const next = (await claim(db, 'poison', 'other', 60_000))!;
    expect(next.payload).toEqual({ report: 'fine' });
    await complete(db, next);
    const worker = startWorker(db, { poison: handler }, { id: 'w', autostart: false });
    expect(await worker.drain()).toBe(1);
    expect(ran).toEqual([]);
    expect(told).toEqual([['huge', 2, abandonedReason(2)]]);
    expect(await jobStates()).toEqual([
      { queue: 'poison', state: 'dead', last_error: abandonedReason(2) },
      { queue: 'poison', state: 'done', last_error: null },
      { queue: 'compensate', state: 'queued', last_error: null },
    ]);
    expect(await worker.drain()).toBe(0);
  });

  it('leaves a job to be buried again when its dead handler fails (nothing half-done)', async () => {
    await enqueue(db, 'poison', {}, { maxAttempts: 1 });
    await claim(db, 'poison', 'oom', 1);
    await sleep(15);
    let fails = true;
    const handler: JobHandler = async () => undefined;
    handler.onDead = async (tx) => {
      await enqueue(tx, 'compensate', {});
      if (fails) throw new Error('database went away');
    };
    const worker = startWorker(db, { poison: handler }, { id: 'w', autostart: false });
    await expect(worker.drain()).rejects.toThrow('database went away');
    expect((await jobStates()).map((j) => j.state)).toEqual(['running']);
    fails = false;
    await worker.drain();
    expect((await jobStates()).map((j) => j.state)).toEqual(['dead', 'queued']);
  });

  it('tells the handler when a failing job dies, with its failure recorded in the same transaction', async () => {
    await enqueue(db, 'refused', { n: 1 });
    const told: string[] = [];
    const handler: JobHandler = async () => {
      throw Object.assign(new Error('HTTP 400 from the channel'), { retryable: false });
    };
    handler.onDead = async (_tx, _job, reason) => void told.push(reason);
    await startWorker(db, { refused: handler }, { id: 'w', autostart: false }).drain();
    expect(told).toEqual(['HTTP 400 from the channel']);
    expect(await jobStates()).toEqual([{ queue: 'refused', state: 'dead', last_error: 'HTTP 400 from the channel' }]);
  });

  it('prunes finished jobs, failed uploads and recorded events past the retention, in batches, and keeps everything else', async () => {
    const now = new Date();
    const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
    const add = async (state: string, finished: Date | null, key: string) =>
      db.query(`INSERT INTO jobs (queue, dedupe_key, payload, state, run_at, finished_at) VALUES ('q', $1, '{}', $2, $3, $4)`, [key, state, daysAgo(30), finished]);
    await add('done', daysAgo(15), 'old-done');
    await add('dead', daysAgo(20), 'old-dead');
    await add('done', daysAgo(3), 'recent-done');
    await add('dead', daysAgo(13), 'recent-dead');
    await add('queued', null, 'old-queued');
    await add('running', null, 'old-running');
    // A backlog larger than one batch (5,000).
    await db.query(`INSERT INTO jobs (queue, payload, state, finished_at) SELECT 'bulk', '{}', 'done', $1 FROM generate_series(1, 12001)`, [daysAgo(40)]);
    const project = (await db.query<{ id: string }>(`INSERT INTO projects (name) VALUES ('retention') RETURNING id`)).rows[0]!.id;
    for (const [state, created] of [['failed', daysAgo(15)], ['failed', daysAgo(2)], ['queued', daysAgo(15)]] as const) {
      await db.query(`INSERT INTO submission_uploads (id, project_id, request, state, created_at) VALUES (gen_random_uuid(), $1, '{"ref":"main"}', $2, $3)`, [project, state, created]);
    }
    await db.query(`INSERT INTO events (type, project_id, payload, created_at) VALUES ('scan.completed', $1, '{"n":"old"}', $2), ('scan.completed', $1, '{"n":"recent"}', $3)`, [project, daysAgo(15), daysAgo(13)]);

    expect(await pruneFinished(db, now, 14)).toEqual({ jobs: 12003, submission_uploads: 1, events: 1 });
    expect((await db.query(`SELECT payload->>'n' AS n FROM events`)).rows).toEqual([{ n: 'recent' }]);
    const kept = (await db.query<{ dedupe_key: string }>(`SELECT dedupe_key FROM jobs ORDER BY dedupe_key`)).rows.map((r) => r.dedupe_key);
    expect(kept).toEqual(['old-queued', 'old-running', 'recent-dead', 'recent-done']);
    expect((await db.query(`SELECT state FROM submission_uploads ORDER BY state`)).rows).toEqual([{ state: 'failed' }, { state: 'queued' }]);

    // Never shorter than a week: a scheduled pull's slot (up to 7 days) is remembered through its job.
    expect(await pruneFinished(db, now, 1)).toEqual({ jobs: 1, submission_uploads: 0, events: 1 });
    expect((await db.query(`SELECT dedupe_key FROM jobs WHERE state = 'done'`)).rows).toEqual([{ dedupe_key: 'recent-done' }]);
    expect(await enqueueOnce(db, 'q', {}, 'recent-done')).toBe(false);
    expect(await pruneFinished(db, daysAgo(-6), 1)).toEqual({ jobs: 1, submission_uploads: 1, events: 0 });
  });

  it('polls with one query when idle, whatever the number of queues, and still takes each due job', async () => {
    let queries = 0;
    const counted = new Proxy(db, { get: (target, key) => (key === 'query' ? (...args: Parameters<Database['query']>) => (queries++, target.query(...args)) : Reflect.get(target, key)) });
    const seen: string[] = [];
    const handlers = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`q${i}`, (async (job) => void seen.push(job.queue)) as JobHandler]));
    const worker = startWorker(counted, handlers, { id: 'w', autostart: false });
    expect(await worker.drain()).toBe(0);
    expect(queries).toBe(1);
    await enqueue(db, 'q3', {});
    await enqueue(db, 'q7', {});
    await enqueue(db, 'q7', {});
    expect(await worker.drain()).toBe(3);
    // Round by round, one job of each queue that has one: q3 and q7, then q7 again.
    expect(seen).toEqual(['q3', 'q7', 'q7']);
  });
});
