// The durable job queue on both backends: dedupe of live jobs, leases that expire, retries with
// back-off, dead letters with the reason, and two workers never taking the same job.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { claim, complete, enqueue, fail, startWorker } from '../../src/jobs/queue.js';
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
});
