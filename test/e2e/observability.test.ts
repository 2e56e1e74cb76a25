// Probes and metrics: /readyz turns 503 while draining; /metrics speaks Prometheus text with request
// latency by route pattern, ingest counters, queue depth and age, notification states and data age,
// and is closed to anyone without SCANHUB_METRICS_TOKEN when one is set.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueue } from '../../src/jobs/queue.js';
import { startTestApp, submissionForm, type TestApp } from '../helpers/app.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../helpers/corpus.js';

const METRICS_TOKEN = 'metrics-token-0123456789';

describe('probes and metrics', () => {
  let app: TestApp;
  const lifecycle = { draining: false };
  beforeAll(async () => {
    app = await startTestApp('pglite', { lifecycle, env: { SCANHUB_METRICS_TOKEN: METRICS_TOKEN } });
  });
  afterAll(async () => {
    await app?.close();
  });

  const metrics = async () => (await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const sample = (text: string, name: string, labels: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((kv) => l.includes(kv)));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  };

  it('is ready, then not ready while draining', async () => {
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    lifecycle.draining = true;
    const res = await fetch(`${app.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'draining', checks: { database: true, draining: true } });
    lifecycle.draining = false;
  });

  it('refuses /metrics without the token', async () => {
    expect((await fetch(`${app.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${app.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
  });

  it('reports request latency by route pattern, ingests, queue depth and age', async () => {
    await app.api('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'obs/app' }) });
    const report = readFileSync(join(projectRoot, 'test/apps/demo-reports/semgrep.json'));
    const before = sample(await metrics(), 'scanhub_findings_ingested_total', 'tool="semgrep"') ?? 0;
    const res = await app.api('/api/v1/projects/obs%2Fapp/submissions', { method: 'POST', body: submissionForm({ ref: 'main' }, [{ name: 'semgrep.json', content: report }]) });
    expect(res.status).toBe(201);
    const parsed = (JSON.parse(report.toString()) as { results: unknown[] }).results.length;
    await enqueue(app.db, 'metrics.test', { n: 1 });
    const text = await metrics();
    expect(text).toContain('# TYPE scanhub_http_request_duration_seconds histogram');
    // The route pattern, never the raw path: bounded label values.
    expect(sample(text, 'scanhub_http_request_duration_seconds_count', 'route="/api/v1/projects/:project/submissions",method="POST"')).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('obs%2Fapp');
    expect(sample(text, 'scanhub_findings_ingested_total', 'tool="semgrep"')).toBe(before + parsed);
    expect(sample(text, 'scanhub_submissions_total', 'outcome=')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'scanhub_queue_jobs', 'queue="metrics.test",state="queued"')).toBe(1);
    expect(sample(text, 'scanhub_queue_oldest_due_seconds', 'queue="metrics.test"')).toBeGreaterThanOrEqual(0);
    expect(text).toContain('scanhub_process_resident_memory_bytes');
  });
});
