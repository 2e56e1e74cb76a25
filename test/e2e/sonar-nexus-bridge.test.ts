// The SonarQube and Nexus IQ bridges end to end, against their fakes on loopback: a signed SonarQube
// analysis webhook → pull (issues, hotspots, rules) → findings in the mapped project with a verdict;
// a bad signature → 401; a Nexus IQ evaluation asked for on demand → polled → findings, followed
// through GET /scans/{id}; an IQ webhook; an Xray scan on demand; scheduled pulls once per slot;
// and cross-tool identity (IQ + Dependency-Check meet, SonarQube + Semgrep stay apart).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { scanners } from '../../integrations/index.js';
import { createSonarPullHandler, SONARQUBE_PULL_QUEUE } from '../../integrations/scanners/sonarqube/bridge.js';
import { createNexusIqPullHandler, NEXUSIQ_PULL_QUEUE } from '../../integrations/scanners/nexus-iq/bridge.js';
import { createXrayScanHandler } from '../../integrations/scanners/xray/bridge.js';
import { XRAY_SCAN_QUEUE } from '../../src/http/routes/webhooks.js';
import { enqueueScheduledPulls } from '../../src/bridges/schedule.js';
import { abandonedReason, claim, startWorker, type Worker } from '../../src/jobs/queue.js';
import { createLogger } from '../../src/logger.js';
import { sendSonarWebhook, sonarWebhookBody, startFakeSonarQube, type FakeSonarQube } from '../fakes/sonarqube/index.js';
import { iqCorpusJson, sendIqWebhook, startFakeNexusIq, type FakeNexusIq } from '../fakes/nexus-iq/index.js';
import { startFakeJfrog } from '../fakes/jfrog/index.js';
import { startTestApp, submissionForm, type TestApp } from '../helpers/app.js';
import { describeCorpus } from '../helpers/corpus.js';

const SONAR_SECRET = 'sonar-webhook-secret';
const IQ_SECRET = 'iq-webhook-secret';
const json = { 'content-type': 'application/json' };

interface Finding {
  id: string;
  tool?: string;
  ruleId: string;
  category: string;
  sources: string[];
  vulnerabilityIds: string[];
  location?: { path?: string; startLine?: number };
}

describeCorpus('SonarQube and Nexus IQ bridges', () => {
  let app: TestApp;
  let sonar: FakeSonarQube;
  let iq: FakeNexusIq;
  let jfrog: Awaited<ReturnType<typeof startFakeJfrog>>;
  let worker: Worker;
  const ids: Record<string, string> = {};

  async function integration(kind: string, config: Record<string, unknown>): Promise<string> {
    const res = await app.api(`/api/v1/integrations/${kind}`, { method: 'POST', headers: json, body: JSON.stringify({ name: `${kind}-main`, config }) });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  const findings = async (project: string, query = '') =>
    ((await (await app.api(`/api/v1/projects/${encodeURIComponent(project)}/findings?limit=500${query}`)).json()) as { items: Finding[] }).items;
  const submissions = async (project: string) =>
    (await app.db.query<{ id: string; ref: string; verdict: { outcome: string } | null; source: Record<string, unknown> }>(
      `SELECT s.id, s.ref, s.verdict, s.source FROM submissions s JOIN projects p ON p.id = s.project_id WHERE p.name = $1 ORDER BY s.created_at`,
      [project],
    )).rows;

  beforeAll(async () => {
    sonar = await startFakeSonarQube();
    iq = await startFakeNexusIq({ pendingPolls: 2 });
    jfrog = await startFakeJfrog({ scanSteps: { pending: 1, scanning: 1 } });
    app = await startTestApp('pglite');
    const log = createLogger('silent');
    const deps = { db: app.db, scanners, secrets: app.deps.secrets, outbound: app.deps.outbound, log };
    const retry = { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 };
    worker = startWorker(
      app.db,
      {
        [SONARQUBE_PULL_QUEUE]: createSonarPullHandler({ ...deps, client: { retry } }),
        [NEXUSIQ_PULL_QUEUE]: createNexusIqPullHandler({ ...deps, client: { retry, pollIntervalMs: 10, deadlineMs: 20_000 } }),
        [XRAY_SCAN_QUEUE]: createXrayScanHandler({ ...deps, client: { retry, pollIntervalMs: 10 } }),
      },
      { id: 'bridge-test', autostart: false, leaseMs: 60_000 },
    );
    ids.sonar = await integration('sonarqube', {
      url: sonar.url, token: sonar.token, webhookSecret: SONAR_SECRET,
      projects: [{ sonarProject: 'testapplication', scanhubProject: 'team/sonar-app' }],
    });
    ids.iq = await integration('nexus-iq', {
      url: iq.url, user: iq.user, token: iq.token, webhookSecret: IQ_SECRET,
      applications: { map: { MyApplicationID: 'team/iq-app' } },
    });
    ids.jfrog = await integration('jfrog', { baseUrl: jfrog.url, accessToken: jfrog.token });
  });
  afterAll(async () => {
    await worker?.stop();
    await app?.close();
    await Promise.all([sonar?.close(), iq?.close(), jfrog?.close()]);
  });

  it('turns a signed SonarQube analysis webhook into findings in the mapped project, with a verdict, once', async () => {
    const body = sonarWebhookBody({ projectKey: 'testapplication', branch: { name: 'main', isMain: true }, taskId: 'AXtask-1' });
    const sent = await sendSonarWebhook(`${app.url}/webhooks/sonarqube`, body, { secret: SONAR_SECRET });
    expect(sent.status).toBe(202);
    expect(JSON.parse(sent.text)).toMatchObject({ status: 'queued' });
    // SonarQube redelivers: the same background task is one job.
    expect(JSON.parse((await sendSonarWebhook(`${app.url}/webhooks/sonarqube`, body, { secret: SONAR_SECRET })).text)).toMatchObject({ duplicate: true });
    await worker.drain();

    const subs = await submissions('team/sonar-app');
    expect(subs).toHaveLength(1);
    expect(subs[0]).toMatchObject({ ref: 'main', source: { kind: 'sonarqube', sonarProject: 'testapplication', trigger: 'webhook' } });
    expect(['pass', 'warn', 'fail']).toContain(subs[0]!.verdict!.outcome);
    const found = await findings('team/sonar-app');
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((f) => f.sources.includes('sonarqube'))).toBe(true);
    // The corpus page's Dependency-Check plugin issue is a library vulnerability with its CVE.
    expect(found.some((f) => f.category === 'vulnerability' && f.vulnerabilityIds.includes('CVE-2024-2529'))).toBe(true);
    expect(sonar.requests.some((r) => r.path.startsWith('/api/issues/search'))).toBe(true);
    expect(sonar.requests.some((r) => r.path.startsWith('/api/hotspots/search'))).toBe(true);

    // A scheduled pull of the same analysis replays the submission instead of adding one.
    await app.db.query(`UPDATE integrations SET config = jsonb_set(config, '{pullIntervalMinutes}', '60') WHERE id = $1`, [ids.sonar]);
    const at = new Date();
    expect(await enqueueScheduledPulls(app.db, at)).toBe(1);
    expect(await enqueueScheduledPulls(app.db, at), 'a slot fires once').toBe(0);
    await worker.drain();
    expect(await submissions('team/sonar-app')).toHaveLength(1);
    await app.db.query(`UPDATE integrations SET config = jsonb_set(config, '{pullIntervalMinutes}', '0') WHERE id = $1`, [ids.sonar]);
  });

  it('refuses a SonarQube webhook with a bad or missing signature (401), queuing nothing', async () => {
    const before = (await app.db.query(`SELECT count(*)::int AS n FROM jobs`)).rows[0] as { n: number };
    const body = sonarWebhookBody({ projectKey: 'testapplication', taskId: 'AXtask-forged' });
    expect((await sendSonarWebhook(`${app.url}/webhooks/sonarqube`, body, { secret: 'not-the-secret' })).status).toBe(401);
    expect((await sendSonarWebhook(`${app.url}/webhooks/sonarqube`, body)).status).toBe(401);
    expect((await sendIqWebhook(`${app.url}/webhooks/nexus-iq`, { applicationEvaluation: {} }, { secret: 'wrong' })).status).toBe(401);
    const after = (await app.db.query(`SELECT count(*)::int AS n FROM jobs`)).rows[0] as { n: number };
    expect(after.n).toBe(before.n);
  });

  it('asks Nexus IQ for an evaluation on demand, polls it, and shows the scan through to its findings', async () => {
    expect((await app.api('/api/v1/projects', { method: 'POST', headers: json, body: JSON.stringify({ name: 'team/iq-app' }) })).status).toBe(201);
    const res = await app.api('/api/v1/projects/team%2Fiq-app/scans', { method: 'POST', headers: json, body: JSON.stringify({ source: 'nexus-iq', target: 'build' }) });
    expect(res.status, await res.clone().text()).toBe(202);
    const scan = (await res.json()) as { id: string; status: string; source: string };
    expect(scan).toMatchObject({ status: 'queued', source: 'nexus-iq', target: 'build', project: 'team/iq-app' });
    expect(res.headers.get('location')).toBe(`/api/v1/scans/${scan.id}`);
    await worker.drain();

    const done = (await (await app.api(`/api/v1/scans/${scan.id}`)).json()) as { status: string; submission: { id: string; outcome: string } | null };
    expect(done.status).toBe('succeeded');
    expect(done.submission).not.toBeNull();
    expect(['pass', 'warn', 'fail']).toContain(done.submission!.outcome);
    expect(iq.requests.some((r) => r.method === 'POST' && r.path.includes('/promoteScan'))).toBe(true);
    expect(iq.requests.filter((r) => r.path.includes('/status/')).length).toBeGreaterThanOrEqual(3);
    const found = await findings('team/iq-app');
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((f) => f.sources.includes('nexus-iq'))).toBe(true);
  });

  it('pulls the report a signed Nexus IQ webhook names', async () => {
    const report = [...iq.reports.values()].find((r) => r.stage === 'build')!;
    const body = { applicationEvaluation: { policyEvaluationId: 'pe-1', stage: 'build', ownerId: iq.applications[0]!.id, evaluationDate: new Date().toISOString(), affectedComponentCount: 1, criticalComponentCount: 0, severeComponentCount: 1, moderateComponentCount: 0, outcome: 'warn', reportId: report.scanId } };
    const sent = await sendIqWebhook(`${app.url}/webhooks/nexus-iq`, body, { secret: IQ_SECRET });
    expect(sent.status, sent.body).toBe(202);
    await worker.drain();
    const subs = await submissions('team/iq-app');
    // The on-demand evaluation already submitted this report: the webhook's pull replays it.
    expect(subs.map((s) => s.source.trigger)).toEqual(['on-demand']);
  });

  it('scans an image through Xray on demand', async () => {
    const res = await app.api('/api/v1/projects', { method: 'POST', headers: json, body: JSON.stringify({ name: 'team/image' }) });
    expect(res.status).toBe(201);
    const asked = await app.api('/api/v1/projects/team%2Fimage/scans', { method: 'POST', headers: json, body: JSON.stringify({ source: 'xray', target: 'docker-local/shop/api:1.4.0' }) });
    expect(asked.status, await asked.clone().text()).toBe(202);
    const { id } = (await asked.json()) as { id: string };
    await worker.drain();
    const scan = (await (await app.api(`/api/v1/scans/${id}`)).json()) as { status: string; submission: { id: string } | null };
    expect(scan.status).toBe('succeeded');
    expect((await submissions('team/image'))[0]).toMatchObject({ ref: '1.4.0', source: { kind: 'artifactory', scanId: id } });
    expect((await findings('team/image')).length).toBeGreaterThan(0);
  });

  it('shows an on-demand scan as failed, with the reason, when every worker running it died', async () => {
    const asked = await app.api('/api/v1/projects/team%2Fimage/scans', { method: 'POST', headers: json, body: JSON.stringify({ source: 'xray', target: 'docker-local/shop/api:1.5.0' }) });
    expect(asked.status, await asked.clone().text()).toBe(202);
    const { id } = (await asked.json()) as { id: string };
    const { rows } = await app.db.query<{ queue: string; max_attempts: number }>(`SELECT queue, max_attempts FROM jobs WHERE payload->>'scanId' = $1`, [id]);
    for (let i = 0; i < rows[0]!.max_attempts; i++) {
      expect((await claim<{ scanId: string }>(app.db, rows[0]!.queue, `dying-${i}`, 1))?.payload.scanId).toBe(id);
      await new Promise((r) => setTimeout(r, 15));
    }
    await worker.drain();
    const scan = (await (await app.api(`/api/v1/scans/${id}`)).json()) as { status: string; error: string | null };
    expect(scan).toMatchObject({ status: 'failed', error: abandonedReason(rows[0]!.max_attempts) });
  });

  it('refuses on-demand scans it cannot perform, saying why', async () => {
    const ask = (body: object) => app.api('/api/v1/projects/team%2Fimage/scans', { method: 'POST', headers: json, body: JSON.stringify(body) });
    const bad = async (body: object) => ((await (await ask(body)).json()) as { error: { code: string; message: string } }).error;
    expect(await bad({ source: 'xray', target: 'no-tag' })).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('<repository>/<image>:<tag>') });
    expect(await bad({ source: 'sonarqube', target: 'main' })).toMatchObject({ message: expect.stringContaining('sourceProject') });
    expect(await bad({ source: 'nexus-iq', target: 'nightly', sourceProject: 'MyApplicationID' })).toMatchObject({ message: expect.stringContaining('stage') });
    const viewer = await app.token('viewer');
    expect((await app.api('/api/v1/projects/team%2Fimage/scans', { method: 'POST', headers: json, token: viewer, body: JSON.stringify({ source: 'xray', target: 'docker-local/a:1' }) })).status).toBe(403);
  });
});

describeCorpus('cross-tool identity with SonarQube and Nexus IQ', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite');
  });
  afterAll(async () => {
    await app?.close();
  });

  const submit = async (project: string, files: { name: string; content: string }[]) => {
    await app.api('/api/v1/projects', { method: 'POST', headers: json, body: JSON.stringify({ name: project }) });
    const res = await app.api(`/api/v1/projects/${encodeURIComponent(project)}/submissions`, { method: 'POST', body: submissionForm({ ref: 'main' }, files) });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await (await app.api(`/api/v1/projects/${encodeURIComponent(project)}/findings?limit=500`)).json()) as { items: Finding[] }).items;
  };

  it('makes the same CVE in the same package@version from Nexus IQ and Dependency-Check one finding with two sources', async () => {
    // Dependency-Check of the same application on a build machine: okhttp 2.6.0 from the Maven cache.
    const dependencyCheck = {
      reportSchema: '1.1',
      scanInfo: { engineVersion: '12.1.1', dataSource: [] },
      projectInfo: { name: 'web' },
      dependencies: [{
        isVirtual: false, fileName: 'okhttp-2.6.0.jar', filePath: '/home/ci/.m2/repository/com/squareup/okhttp/okhttp/2.6.0/okhttp-2.6.0.jar',
        packages: [{ id: 'pkg:maven/com.squareup.okhttp/okhttp@2.6.0' }],
        vulnerabilities: [{ source: 'NVD', name: 'CVE-2016-2402', severity: 'MEDIUM', cvssv3: { baseScore: 5.9, baseSeverity: 'MEDIUM', version: '3.1' }, cwes: ['CWE-295'], description: 'OkHttp before 2.7.4 and 3.x before 3.1.2 allows man-in-the-middle attackers to bypass certificate pinning.', references: [] }],
      }],
    };
    const found = await submit('team/identity', [
      { name: 'two_vulns.json', content: JSON.stringify(iqCorpusJson('two_vulns.json')) },
      { name: 'dependency-check-report.json', content: JSON.stringify(dependencyCheck) },
    ]);
    const cve = found.filter((f) => f.vulnerabilityIds.includes('CVE-2016-2402'));
    expect(cve).toHaveLength(1);
    expect([...cve[0]!.sources].sort()).toEqual(['dependency-check', 'nexus-iq']);
    // IQ's own advisory on the same component stays its own finding.
    expect(found.some((f) => f.vulnerabilityIds.some((id) => /^sonatype-2018-0035$/i.test(id)))).toBe(true);
  });

  it('keeps a SonarQube and a Semgrep finding on the same line with the same CWE as two findings', async () => {
    const semgrep = {
      version: '1.185.0',
      results: [{
        check_id: 'python.django.security.injection.sql.sql-injection-using-raw', path: 'app/views.py',
        start: { line: 12, col: 5, offset: 300 }, end: { line: 12, col: 60, offset: 355 },
        extra: { message: 'SQL built from user input', severity: 'ERROR', lines: 'cursor.execute("SELECT * FROM t WHERE id=" + request.GET["id"])', metadata: { cwe: ['CWE-89: Improper Neutralization of Special Elements used in an SQL Command'] }, fingerprint: 'f1' },
      }],
      errors: [],
    };
    const sonarPage = {
      total: 1, p: 1, ps: 100, paging: { pageIndex: 1, pageSize: 100, total: 1 },
      issues: [{
        key: 'AYsql1', rule: 'pythonsecurity:S3649', severity: 'BLOCKER', component: 'web:app/views.py', project: 'web', line: 12,
        textRange: { startLine: 12, endLine: 12, startOffset: 4, endOffset: 59 }, message: 'Change this code to not construct SQL queries directly from user-controlled data.',
        type: 'VULNERABILITY', status: 'OPEN', tags: ['cwe', 'owasp-a1'], creationDate: '2026-11-20T10:00:00+0000',
      }],
      components: [{ key: 'web:app/views.py', path: 'app/views.py', qualifier: 'FIL' }],
      rules: [{ key: 'pythonsecurity:S3649', name: 'Database queries should not be vulnerable to injection attacks', securityStandards: ['cwe:89', 'owaspTop10:a1'] }],
    };
    const found = await submit('team/code', [
      { name: 'semgrep.json', content: JSON.stringify(semgrep) },
      { name: 'sonarqube-issues.json', content: JSON.stringify(sonarPage) },
    ]);
    const onLine = found.filter((f) => f.location?.path === 'app/views.py' && f.location?.startLine === 12);
    // Code findings are identified by the tool's rule: different rules are different findings,
    // even for one weakness (docs: integrations/scanners/sonarqube/readme.md, "Identity").
    expect(onLine).toHaveLength(2);
    expect(onLine.map((f) => f.sources).flat().sort()).toEqual(['semgrep', 'sonarqube']);
  });
});
