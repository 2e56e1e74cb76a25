// Several real ScanHub processes on one PostgreSQL (the built CLI, roles api and worker):
// - 1,000 queued units of work — 500 asynchronous submissions and 500 registry push webhooks (each an
//   Xray scan against the fake JFrog) — taken by two worker processes: every one processed exactly
//   once, none lost, none duplicated, both workers busy;
// - a worker killed with SIGKILL in the middle of a large (streamed) ingestion: nothing partial is
//   visible, and after another worker takes the job up the submission completes once;
// - SIGTERM: the instance turns not-ready, finishes, and exits 0.
// Loopback only; bounded in count and time. PostgreSQL only (PGlite is one process by design).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { semgrepReport, trivyReport } from '../../bench/generate.js';
import { artifactoryPushBody, sendArtifactoryWebhook, startFakeJfrog } from '../fakes/jfrog/index.js';
import { submissionForm } from '../helpers/app.js';
import { postgresUrl } from '../helpers/db.js';
import { quietEnv, schemaUrl, startInstance, type Instance } from '../helpers/instances.js';

const ADMIN = `shk_reliability-${randomBytes(16).toString('hex')}`;
const HOOK_SECRET = 'reliability-hook-secret';
const SUBMISSIONS = 500;
const PUSHES = 500;

describe.skipIf(!postgresUrl)('several instances on one PostgreSQL', () => {
  const schema = `r_${randomBytes(6).toString('hex')}`;
  let admin: pg.Client;
  let jfrog: Awaited<ReturnType<typeof startFakeJfrog>>;
  let api: Instance;
  const workers: Instance[] = [];
  let env: NodeJS.ProcessEnv;

  const sql = async <T extends pg.QueryResultRow>(text: string, params: unknown[] = []) => (await admin.query<T>(text, params)).rows;
  const call = (path: string, init: RequestInit = {}) => fetch(api.url + path, { ...init, headers: { authorization: `Bearer ${ADMIN}`, ...(init.headers as Record<string, string>) } });

  /** Waits until no job is queued or running (or the time is up), returning what is left. */
  async function settle(ms: number): Promise<number> {
    const deadline = Date.now() + ms;
    for (;;) {
      const [{ n }] = (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'running')`)) as [{ n: number }];
      if (n === 0 || Date.now() > deadline) return n;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`SET search_path = ${schema}`);
    jfrog = await startFakeJfrog({ scanSteps: { pending: 0, scanning: 0 } });
    env = {
      ...quietEnv(schemaUrl(schema), ADMIN),
      SCANHUB_JFROG_URL: jfrog.url,
      SCANHUB_JFROG_TOKEN: jfrog.token,
      SCANHUB_JFROG_WEBHOOK_SECRET: HOOK_SECRET,
      SCANHUB_JOB_LEASE: '15',
      // The large ingestion below is read the way a 500 MB report is: streamed from its stored chunks.
      SCANHUB_STREAM_INGEST_ABOVE: '1mb',
    };
    api = await startInstance(['--role', 'api'], env);
    workers.push(await startInstance(['--role', 'worker'], env), await startInstance(['--role', 'worker'], env));
  }, 120_000);
  afterAll(async () => {
    for (const w of workers) await w.kill().catch(() => undefined);
    await api?.kill().catch(() => undefined);
    await jfrog?.close();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin?.end();
  });

  it('processes 1,000 queued submissions and webhooks exactly once across two workers', async () => {
    // A worker serves probes and metrics only.
    expect((await fetch(`${workers[0]!.url}/api/v1/projects`)).status).toBe(404);
    expect((await call('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'load/app' }) })).status).toBe(201);
    const report = semgrepReport(20);
    const accepted: string[] = [];
    const send = async (i: number) => {
      const res = await call('/api/v1/projects/load%2Fapp/submissions', {
        method: 'POST',
        headers: { prefer: 'respond-async', 'idempotency-key': `load-${i}` },
        body: submissionForm({ ref: `branch-${i % 10}` }, [{ name: 'semgrep.json', content: report }]),
      });
      expect(res.status).toBe(202);
      accepted.push(((await res.json()) as { id: string }).id);
    };
    const push = async (i: number) => {
      const body = artifactoryPushBody({ repoKey: 'docker-local', imageName: 'load/api', tag: `v${i}`, sha256: i.toString(16).padStart(64, '0') });
      const sent = await sendArtifactoryWebhook(`${api.url}/webhooks/artifactory`, body, { secret: HOOK_SECRET, mode: 'hmac' });
      expect(sent.status).toBe(202);
    };
    // Ten at a time: the point is the workers' concurrency, not the API's.
    for (let i = 0; i < Math.max(SUBMISSIONS, PUSHES); i += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, k) => i + k).flatMap((n) => [...(n < SUBMISSIONS ? [send(n)] : []), ...(n < PUSHES ? [push(n)] : [])]));
    }
    expect(new Set(accepted).size).toBe(SUBMISSIONS);
    expect(await settle(240_000)).toBe(0);

    const jobs = await sql<{ queue: string; state: string; n: number; workers: number }>(
      `SELECT queue, state, count(*)::int AS n, count(DISTINCT locked_by)::int AS workers FROM jobs WHERE queue IN ('ingest.submission', 'xray.scan') GROUP BY queue, state ORDER BY queue`,
    );
    expect(jobs).toEqual([
      { queue: 'ingest.submission', state: 'done', n: SUBMISSIONS, workers: 2 },
      { queue: 'xray.scan', state: 'done', n: PUSHES, workers: 2 },
    ]);
    // Every accepted submission exists exactly once, under the id it was promised.
    const ingested = await sql<{ id: string }>(`SELECT s.id FROM submissions s JOIN projects p ON p.id = s.project_id WHERE p.name = 'load/app'`);
    expect(ingested.map((r) => r.id).sort()).toEqual([...accepted].sort());
    expect(await sql(`SELECT id FROM submission_uploads`)).toEqual([]);
    // Every push became one scan and one submission of its digest.
    const scans = await sql<{ n: number; digests: number }>(`SELECT count(*)::int AS n, count(DISTINCT source->>'digest')::int AS digests FROM submissions WHERE source->>'kind' = 'artifactory'`);
    expect(scans).toEqual([{ n: PUSHES, digests: PUSHES }]);
    // At least one scan request per push; a job whose lease lapsed under load may ask Xray again
    // (scanArtifact is idempotent there), and the submission key keeps the effect single.
    expect(jfrog.requests.filter((r) => r.path.includes('scanArtifact')).length).toBeGreaterThanOrEqual(PUSHES);
  }, 300_000);

  it('completes a large ingestion once after its worker is killed mid-way, with nothing partial visible', async () => {
    expect((await call('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'load/big' }) })).status).toBe(201);
    const findings = 20_000;
    const res = await call('/api/v1/projects/load%2Fbig/submissions', { method: 'POST', headers: { prefer: 'respond-async' }, body: submissionForm({ ref: 'main' }, [{ name: 'trivy.json', content: trivyReport(findings) }]) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };

    // Wait for a worker to take it, then kill that worker.
    let owner: string | undefined;
    for (const deadline = Date.now() + 60_000; !owner && Date.now() < deadline; ) {
      owner = (await sql<{ locked_by: string | null }>(`SELECT locked_by FROM jobs WHERE queue = 'ingest.submission' AND dedupe_key = $1 AND state = 'running'`, [id]))[0]?.locked_by ?? undefined;
      if (!owner) await new Promise((r) => setTimeout(r, 20));
    }
    expect(owner).toBeDefined();
    const victim = workers.find((w) => owner!.endsWith(`:${w.pid}`))!;
    expect(victim).toBeDefined();
    await victim.kill();
    workers.splice(workers.indexOf(victim), 1);

    // Nothing of it is visible while no one holds it.
    const partial = await sql<{ subs: number; findings: number }>(
      `SELECT (SELECT count(*)::int FROM submissions WHERE id = $1) AS subs, (SELECT count(*)::int FROM findings f JOIN projects p ON p.id = f.project_id WHERE p.name = 'load/big') AS findings`,
      [id],
    );
    expect(partial).toEqual([{ subs: 0, findings: 0 }]);
    expect(((await (await call(`/api/v1/submissions/${id}`)).json()) as { status: string }).status).toMatch(/^(queued|processing)$/);

    // A replacement worker (and the surviving one) take it up once the lease runs out.
    workers.push(await startInstance(['--role', 'worker'], env));
    expect(await settle(180_000)).toBe(0);
    const done = (await (await call(`/api/v1/submissions/${id}`)).json()) as { status: string; counts: { total: number } };
    expect(done.status).toBe('completed');
    expect(done.counts.total).toBe(findings);
    expect(await sql(`SELECT count(*)::int AS n FROM submissions WHERE id = $1`, [id])).toEqual([{ n: 1 }]);
    const job = await sql<{ state: string; attempts: number }>(`SELECT state, attempts FROM jobs WHERE queue = 'ingest.submission' AND dedupe_key = $1`, [id]);
    expect(job).toEqual([{ state: 'done', attempts: 2 }]);
  }, 300_000);

  it('turns not ready on SIGTERM and exits cleanly', async () => {
    const worker = workers.pop()!;
    const exit = worker.stop();
    // Once the signal lands it answers 503 while it drains, or has already closed its port.
    let draining = false;
    for (let i = 0; i < 100 && !draining; i++) {
      const status = await fetch(`${worker.url}/readyz`).then((r) => r.status, () => 0);
      draining = status === 503 || status === 0;
      if (!draining) await new Promise((r) => setTimeout(r, 20));
    }
    expect(draining).toBe(true);
    expect(await exit).toBe(0);
  }, 60_000);
});
