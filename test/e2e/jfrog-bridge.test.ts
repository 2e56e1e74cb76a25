// The JFrog bridge end to end, against the fake JFrog on loopback: a signed push webhook → the
// queued job → Xray scan (PENDING → SCANNING → DONE) → summary and violations → findings in the
// mapped project with a verdict from its policy and events; a 429 storm under the configured rate;
// a restart mid-scan completing exactly once; a deadline turning into verdict "error".
import { afterEach, beforeEach, expect, it } from 'vitest';
import { scanners } from '../../integrations/index.js';
import { createXrayScanHandler } from '../../integrations/scanners/xray/bridge.js';
import { claim, enqueue, startWorker, type Worker } from '../../src/jobs/queue.js';
import { createLogger } from '../../src/logger.js';
import { XRAY_SCAN_QUEUE } from '../../src/http/routes/webhooks.js';
import { artifactoryPushBody, sendArtifactoryWebhook, startFakeJfrog } from '../fakes/jfrog/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SEED, startFakeGitlab } from '../fakes/gitlab/index.js';
import { CI_TRIGGER_QUEUE, createCiTriggerHandler } from '../../integrations/ci/gitlab/publish-job.js';
import { describeEachBackend } from '../helpers/db.js';

type Fake = Awaited<ReturnType<typeof startFakeJfrog>>;
const SECRET = 'artifactory-hook-secret';
const DIGEST = 'a'.repeat(64);

describeEachBackend('JFrog bridge', (backend) => {
  let app: TestApp;
  let fake: Fake;
  let worker: Worker;
  let integrationId: string;

  async function configure(extra: Record<string, unknown> = {}) {
    const res = await app.api('/api/v1/integrations/jfrog', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `acme-${Object.keys(extra).length}`, config: { baseUrl: fake.url, accessToken: fake.token, webhookSecret: SECRET, ...extra } }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  function startBridgeWorker(id: string, requestsPerSecond = 50): Worker {
    const handler = createXrayScanHandler({
      db: app.db, scanners, secrets: app.deps.secrets, outbound: app.deps.outbound, log: createLogger('silent'),
      client: { pollIntervalMs: 10, limits: { requestsPerSecond, maxConcurrent: 2 }, retry: { attempts: 30, baseDelayMs: 20, maxDelayMs: 2000 } },
    });
    return startWorker(app.db, { [XRAY_SCAN_QUEUE]: handler }, { id, autostart: false, leaseMs: 60_000 });
  }

  const push = async (tag = '1.4.0', digest = DIGEST) => {
    const sent = await sendArtifactoryWebhook(`${app.url}/webhooks/artifactory`, artifactoryPushBody({ repoKey: 'docker-local', imageName: 'shop/api', tag, sha256: digest }), { secret: SECRET, mode: 'hmac' });
    return { status: sent.status, body: (typeof sent.body === 'string' ? JSON.parse(sent.body) : sent.body) as Record<string, unknown> };
  };

  beforeEach(async () => {
    fake = await startFakeJfrog({ scanSteps: { pending: 2, scanning: 2 } });
    app = await startTestApp(backend);
    integrationId = await configure();
    worker = startBridgeWorker('bridge-1');
  });
  afterEach(async () => {
    await worker.stop();
    await app.close();
    await fake.close();
  });

  const submissions = async () =>
    (await app.db.query<{ id: string; status: string; ref: string; verdict: { outcome: string; summary: string } | null; source: { digest: string } | null; project: string; findings: number }>(
      `SELECT s.id, s.status, s.ref, s.verdict, s.source, p.name AS project, (SELECT count(*)::int FROM occurrences o WHERE o.submission_id = s.id) AS findings
         FROM submissions s JOIN projects p ON p.id = s.project_id ORDER BY s.created_at`,
    )).rows;

  it('turns a signed push into findings in the mapped project, with a verdict and events; a replay is one scan', async () => {
    const first = await push();
    expect(first.status).toBe(202);
    expect((await push()).body).toMatchObject({ duplicate: true });
    await worker.drain();
    const subs = await submissions();
    expect(subs).toHaveLength(1);
    expect(subs[0]).toMatchObject({ status: 'completed', ref: '1.4.0', project: 'docker-local/shop/api', source: { digest: `sha256:${DIGEST}` } });
    expect(subs[0]!.findings).toBeGreaterThan(0);
    expect(['pass', 'warn', 'fail']).toContain(subs[0]!.verdict!.outcome);
    const events = (await app.db.query<{ type: string }>(`SELECT type FROM events ORDER BY id`)).rows.map((r) => r.type);
    expect(events).toContain('scan.completed');
    expect(fake.requests.filter((r) => r.path.includes('scanArtifact'))).toHaveLength(1);
    // Replayed after the scan finished: still one scan.
    expect((await push()).body).toMatchObject({ status: 'duplicate' });
    await worker.drain();
    expect(await submissions()).toHaveLength(1);
    expect(fake.requests.filter((r) => r.path.includes('scanArtifact'))).toHaveLength(1);
  });

  it('stays under its request rate through a 429 storm and still completes', async () => {
    await worker.stop();
    worker = startBridgeWorker('bridge-slow', 5);
    fake.setBehaviour({ storm429: { count: 12, retryAfterSeconds: 1 } });
    await push('2.0.0', 'b'.repeat(64));
    await worker.drain();
    expect(fake.maxRequestsInAnyWindow(1000)).toBeLessThanOrEqual(6);
    expect(fake.requests.filter((r) => r.status === 429).length).toBe(12);
    const subs = await submissions();
    expect(subs).toHaveLength(1);
    expect(subs[0]!.status).toBe('completed');
  }, 60_000);

  it('completes a scan exactly once after the worker that held it died', async () => {
    await push('3.0.0', 'c'.repeat(64));
    // A worker claims the job and dies with it (its lease runs out unrenewed).
    expect(await claim(app.db, XRAY_SCAN_QUEUE, 'crashed', 1)).toBeDefined();
    await new Promise((r) => setTimeout(r, 20));
    await worker.drain();
    await worker.drain();
    const subs = await submissions();
    expect(subs).toHaveLength(1);
    expect(subs[0]!.status).toBe('completed');
    const jobs = (await app.db.query<{ state: string; attempts: number }>(`SELECT state, attempts FROM jobs`)).rows;
    expect(jobs).toEqual([{ state: 'done', attempts: 2 }]);
  });

  it('records verdict "error" with the reason when Xray never finishes before the deadline', async () => {
    await fake.close();
    fake = await startFakeJfrog({ scanSteps: { pending: 100_000, scanning: 1 } });
    const slow = await configure({ deadlineSeconds: 30 });
    // Received 29.8 s ago: the 30 s deadline passes during the first polls.
    await enqueue(app.db, XRAY_SCAN_QUEUE, {
      integrationId: slow,
      image: { repository: 'docker-local', image: 'shop/api', tag: '4.0.0', path: 'shop/api/4.0.0/manifest.json', digest: 'd'.repeat(64) },
      receivedAt: new Date(Date.now() - 29_800).toISOString(),
    });
    await worker.drain();
    const subs = await submissions();
    expect(subs).toHaveLength(1);
    expect(subs[0]).toMatchObject({ status: 'failed', ref: '4.0.0', verdict: { outcome: 'error' } });
    expect(subs[0]!.verdict!.summary).toContain('JFROG_SCAN_DEADLINE');
    const events = (await app.db.query<{ type: string }>(`SELECT type FROM events ORDER BY id`)).rows.map((r) => r.type);
    expect(events).toEqual(expect.arrayContaining(['scan.failed', 'gate.error']));
    void integrationId;
  });

  it('verifies an integration: each failing check with its own code', async () => {
    const ok = await app.api(`/api/v1/integrations/jfrog/${integrationId}/verify`, { method: 'POST' });
    expect(await ok.json()).toMatchObject({ ok: true });
    fake.setBehaviour({ unauthorized: true });
    const bad = (await (await app.api(`/api/v1/integrations/jfrog/${integrationId}/verify`, { method: 'POST' })).json()) as { ok: boolean; checks: { name: string; ok: boolean; code?: string }[] };
    expect(bad.ok).toBe(false);
    expect(bad.checks.find((c) => c.name === 'authenticated')).toMatchObject({ ok: false, code: 'JFROG_UNAUTHORIZED' });
    expect(JSON.stringify(bad)).not.toContain(fake.token);
  });

  it('drives the Xray database sync and records when Xray data was last updated, shown in verdicts', async () => {
    const res = await app.api('/api/v1/data/update', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tool: 'xray' }) });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: { instance: string; outcome: string; lastUpdated: string | null }[] };
    expect(results).toEqual([expect.objectContaining({ instance: 'acme-0', outcome: 'sync-started' })]);
    expect(fake.requests.some((r) => r.path.endsWith('/updates/startOfflineSync'))).toBe(true);
    const sources = (await (await app.api('/api/v1/data/sources')).json()) as { scanners: { source: string }[] };
    expect(sources.scanners.map((s) => s.source)).toEqual(['xray:acme-0']);
    await push('5.0.0', 'e'.repeat(64));
    await worker.drain();
    const verdict = (await app.db.query<{ verdict: { data: { source: string }[] } }>(`SELECT verdict FROM submissions ORDER BY created_at DESC LIMIT 1`)).rows[0]!.verdict;
    expect(verdict.data.map((d) => d.source)).toContain('xray:acme-0');
  });

  it('asks the image\'s source project for a rescan: a GitLab pipeline triggered with the image as variables', async () => {
    const gitlab = await startFakeGitlab();
    try {
      await app.api('/api/v1/integrations/gitlab', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'gl', config: { url: gitlab.url, token: gitlab.token } }) });
      const rescanning = await configure({ sourceRescan: { gitlabProject: SEED.project.path, ref: 'master', on: ['pass', 'warn', 'fail', 'error'] }, watch: { repositories: ['docker-*'], images: ['rescan/**'] } });
      await enqueue(app.db, XRAY_SCAN_QUEUE, {
        integrationId: rescanning,
        image: { repository: 'docker-local', image: 'rescan/api', tag: '6.0.0', path: 'rescan/api/6.0.0/manifest.json', digest: 'f'.repeat(64) },
        receivedAt: new Date().toISOString(),
      });
      await worker.drain();
      const trigger = startWorker(app.db, { [CI_TRIGGER_QUEUE]: createCiTriggerHandler({ db: app.db, secrets: app.deps.secrets, outbound: app.deps.outbound, log: createLogger('silent') }) }, { id: 't', autostart: false });
      await trigger.drain();
      await trigger.stop();
      expect(gitlab.state.pipelines).toHaveLength(1);
      expect(gitlab.state.pipelines[0]!.ref).toBe('master');
      expect(gitlab.state.pipelines[0]!.variables).toEqual(expect.arrayContaining([
        expect.objectContaining({ key: 'SCANHUB_IMAGE', value: 'rescan/api:6.0.0' }),
        expect.objectContaining({ key: 'SCANHUB_IMAGE_DIGEST', value: `sha256:${'f'.repeat(64)}` }),
      ]));
    } finally {
      await gitlab.close();
    }
  });
});
