// Load on loopback: 50 connections for SCANHUB_LOAD_SECONDS (default 60) against a real ScanHub
// process on PostgreSQL — 40 reading filtered, paged findings of a 5,000-finding project and 10
// submitting reports — with no errors, no timeouts and no non-2xx answers. Latency percentiles are
// written to artifacts/load-test.json and printed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import autocannon, { type Result } from 'autocannon';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { semgrepReport, trivyReport } from '../../bench/generate.js';
import { submissionForm } from '../helpers/app.js';
import { projectRoot } from '../helpers/corpus.js';
import { postgresUrl } from '../helpers/db.js';
import { quietEnv, schemaUrl, startInstance, type Instance } from '../helpers/instances.js';

const SECONDS = Number(process.env.SCANHUB_LOAD_SECONDS ?? 60);
const ADMIN = `shk_load-${randomBytes(16).toString('hex')}`;

/** A multipart body as bytes, with its content type (autocannon sends raw bodies). */
async function multipart(fields: Record<string, string>, files: { name: string; content: string }[]): Promise<{ body: Buffer; type: string }> {
  const request = new Request('http://localhost/', { method: 'POST', body: submissionForm(fields, files) });
  return { body: Buffer.from(await request.arrayBuffer()), type: request.headers.get('content-type')! };
}

function summary(r: Result) {
  return {
    requests: r.requests.total,
    perSecond: Math.round(r.requests.average),
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
  };
}

describe.skipIf(!postgresUrl)('load on loopback', () => {
  const schema = `l_${randomBytes(6).toString('hex')}`;
  let admin: pg.Client;
  let instance: Instance;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    instance = await startInstance(['--role', 'all'], { ...quietEnv(schemaUrl(schema), ADMIN), LOG_LEVEL: 'error' });
    const auth = { authorization: `Bearer ${ADMIN}` };
    for (const name of ['load/read', 'load/write']) {
      const res = await fetch(`${instance.url}/api/v1/projects`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
      expect(res.status).toBe(201);
    }
    const seeded = await fetch(`${instance.url}/api/v1/projects/load%2Fread/submissions`, { method: 'POST', headers: auth, body: submissionForm({ ref: 'main' }, [{ name: 'trivy.json', content: trivyReport(5000) }]) });
    expect(seeded.status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await instance?.kill().catch(() => undefined);
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin?.end();
  });

  it(`serves ${SECONDS} s of mixed reads and submissions from 50 connections without an error`, async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    const queries = ['severity=critical', 'severity=high&limit=50', 'status=open&limit=100', 'category=vulnerability&limit=25', 'ref=main&limit=50', 'q=lib1&limit=50'];
    const reports = await Promise.all(Array.from({ length: 8 }, (_, i) => multipart({ ref: `feature-${i}` }, [{ name: 'semgrep.json', content: semgrepReport(50 + i) }])));
    const [reads, writes] = await Promise.all([
      autocannon({
        url: instance.url,
        connections: 40,
        duration: SECONDS,
        // CI runs other test files beside this one on 2 cores: slow is reported, only failures fail.
        timeout: 30,
        headers: auth,
        requests: queries.map((q) => ({ method: 'GET' as const, path: `/api/v1/projects/load%2Fread/findings?${q}` })),
      }),
      autocannon({
        url: instance.url,
        connections: 10,
        duration: SECONDS,
        timeout: 30,
        requests: reports.map((r) => ({ method: 'POST' as const, path: '/api/v1/projects/load%2Fwrite/submissions', headers: { ...auth, 'content-type': r.type }, body: r.body })),
      }),
    ]);
    const figures = { seconds: SECONDS, connections: 50, findingsQueries: summary(reads), submissions: summary(writes) };
    mkdirSync(join(projectRoot, 'artifacts'), { recursive: true });
    writeFileSync(join(projectRoot, 'artifacts/load-test.json'), JSON.stringify(figures, null, 2));
    console.log('load test', JSON.stringify(figures));
    for (const r of [reads, writes]) {
      expect(r.errors).toBe(0);
      expect(r.timeouts).toBe(0);
      expect(r.non2xx).toBe(0);
    }
    expect(reads.requests.total).toBeGreaterThan(SECONDS * 10);
    expect(writes.requests.total).toBeGreaterThan(SECONDS);
  }, (SECONDS + 60) * 1000);
});
