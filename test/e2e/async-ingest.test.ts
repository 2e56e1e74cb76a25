// Asynchronous ingestion: `Prefer: respond-async` (or an upload above SCANHUB_ASYNC_INGEST_ABOVE) is
// answered 202 with the submission's id; a worker ingests it under that id; GET shows queued →
// completed with its verdict; a repeated Idempotency-Key is the same submission; an unreadable
// report fails the upload with the reason, and nothing partial is ever written; so does a job whose
// workers all died on it, and a failed upload's bytes are dropped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanners } from '../../integrations/index.js';
import { createIngestHandler, INGEST_QUEUE } from '../../src/ingest/async.js';
import { abandonedReason, claim, startWorker, type Worker } from '../../src/jobs/queue.js';
import { startTestApp, submissionForm, type TestApp } from '../helpers/app.js';
import { projectRoot } from '../helpers/corpus.js';
import { tableCounts } from '../helpers/db.js';

const semgrep = readFileSync(join(projectRoot, 'test/apps/demo-reports/semgrep.json'));

describe('asynchronous ingestion', () => {
  let app: TestApp;
  let worker: Worker;
  beforeAll(async () => {
    app = await startTestApp('pglite', { env: { SCANHUB_ASYNC_INGEST_ABOVE: '200kb' } });
    worker = startWorker(app.db, { [INGEST_QUEUE]: createIngestHandler({ db: app.db, scanners }) }, { id: 'ingest-test', autostart: false });
    await app.api('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'async/app' }) });
  });
  afterAll(async () => {
    await worker?.stop();
    await app?.close();
  });

  const post = (files: { name: string; content: string | Buffer }[], headers: Record<string, string> = {}) =>
    app.api('/api/v1/projects/async%2Fapp/submissions', { method: 'POST', headers, body: submissionForm({ ref: 'main' }, files) });
  const get = async (id: string) => (await app.api(`/api/v1/submissions/${id}`)).json() as Promise<{ status: string; verdict: { outcome: string } | null; counts?: { total: number }; error?: { code: string; message: string } }>;

  it('answers 202 at once and completes the submission under the same id in a worker', async () => {
    const res = await post([{ name: 'semgrep.json', content: semgrep }], { prefer: 'respond-async', 'idempotency-key': 'async-1' });
    expect(res.status).toBe(202);
    expect(res.headers.get('preference-applied')).toBe('respond-async');
    const { id } = (await res.json()) as { id: string };
    expect(res.headers.get('location')).toBe(`/api/v1/submissions/${id}`);
    expect(await get(id)).toMatchObject({ status: 'queued', verdict: null });
    expect(await (await app.api(`/api/v1/submissions/${id}/verdict`)).json()).toBeNull();
    // The same key while queued is the same upload.
    expect(((await (await post([{ name: 'semgrep.json', content: semgrep }], { prefer: 'respond-async', 'idempotency-key': 'async-1' })).json()) as { id: string }).id).toBe(id);

    expect(await worker.drain()).toBe(1);
    const done = await get(id);
    expect(done.status).toBe('completed');
    expect(['pass', 'warn', 'fail']).toContain(done.verdict!.outcome);
    expect(done.counts!.total).toBeGreaterThan(0);
    // And once completed, the key replays the submission.
    const again = await post([{ name: 'semgrep.json', content: semgrep }], { prefer: 'respond-async', 'idempotency-key': 'async-1' });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(id);
    expect((await app.db.query(`SELECT count(*)::int AS n FROM submission_uploads`)).rows[0]).toEqual({ n: 0 });
  });

  it('sends uploads above SCANHUB_ASYNC_INGEST_ABOVE to a worker without being asked', async () => {
    const big = JSON.stringify({ ...JSON.parse(semgrep.toString()), padding: 'x'.repeat(250_000) });
    const res = await post([{ name: 'semgrep.json', content: big }]);
    expect(res.status).toBe(202);
    await worker.drain();
    expect((await get(((await res.json()) as { id: string }).id)).status).toBe('completed');
  });

  it('fails an unreadable upload with the reason and writes no submission', async () => {
    const before = await tableCounts(app.db);
    const res = await post([{ name: 'semgrep.json', content: '{"results": [' }], { prefer: 'respond-async' });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await worker.drain();
    const failed = await get(id);
    expect(failed.status).toBe('failed');
    expect(failed.error!.code).toMatch(/^REPORT_/);
    const verdict = await app.api(`/api/v1/submissions/${id}/verdict`);
    expect(verdict.status).toBe(422);
    const after = await tableCounts(app.db);
    for (const table of ['submissions', 'findings', 'occurrences', 'events']) expect(after[table], table).toBe(before[table]);
    // Its report bytes are dropped at once; the row with the reason stays for GET.
    expect(await uploadBytes(id)).toEqual({ chunks: 0, inline: 0 });
  });

  it('fails an upload whose worker died on every attempt, instead of leaving its pipeline polling "queued"', async () => {
    const res = await post([{ name: 'semgrep.json', content: semgrep }], { prefer: 'respond-async' });
    const { id } = (await res.json()) as { id: string };
    expect((await uploadBytes(id))!.chunks).toBeGreaterThan(0);
    // Five workers take the job and die (a report that exhausts their memory): each lease runs out.
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await claim(app.db, INGEST_QUEUE, `doomed-${attempt}`, 1))?.attempts).toBe(attempt);
      await new Promise((r) => setTimeout(r, 15));
    }
    // A sixth would die the same way: it is not handed out; the next worker buries it and fails the upload.
    expect(await claim(app.db, INGEST_QUEUE, 'w', 60_000)).toBeUndefined();
    await worker.drain();
    const failed = await get(id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'INGEST_FAILED' } });
    expect(failed.error!.message).toMatch(/gave up ingesting.*5 attempt/);
    const verdict = await app.api(`/api/v1/submissions/${id}/verdict`);
    expect(verdict.status).toBe(500);
    expect(await verdict.json()).toMatchObject({ error: { code: 'INGEST_FAILED' } });
    expect(await uploadBytes(id)).toEqual({ chunks: 0, inline: 0 });
    const { rows } = await app.db.query<{ state: string; last_error: string }>(`SELECT state, last_error FROM jobs WHERE queue = $1 AND dedupe_key = $2`, [INGEST_QUEUE, id]);
    expect(rows).toEqual([{ state: 'dead', last_error: abandonedReason(5) }]);
  });

  const uploadBytes = async (id: string) =>
    (
      await app.db.query<{ chunks: number; inline: number }>(
        `SELECT (SELECT count(*)::int FROM submission_upload_chunks WHERE upload_id = $1) AS chunks,
                (SELECT count(*)::int FROM submission_upload_reports WHERE upload_id = $1 AND content IS NOT NULL) AS inline`,
        [id],
      )
    ).rows[0];
});
