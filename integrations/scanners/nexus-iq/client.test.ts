// NexusIqClient against the fake Nexus IQ on 127.0.0.1: lookup → evaluate → poll → latest report →
// raw + policy → bridge document parsed by the nexus-iq plugin; verify() codes; retry rules (429
// storm honouring Retry-After, 500s, never other 4xx); malformed JSON; credentials never in messages.
import { afterEach, describe, expect, it } from 'vitest';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import { ReportInput } from '../../../src/plugins/report-input.js';
import { createOutbound } from '../../../src/security/outbound.js';
import { describeCorpus } from '../../../test/helpers/corpus.js';
import { startFakeNexusIq, type FakeIqOptions, type FakeNexusIq } from '../../../test/fakes/nexus-iq/index.js';
import { createNexusIqClient, scanIdFrom, type NexusIqClient, type NexusIqClientOptions } from './client.js';
import { nexusIq } from './index.js';

const outbound = createOutbound({ outboundAllow: '127.0.0.0/8' });
const APP = { id: '4537e6fe68c24dd5ac83efd97d4fc2f4', publicId: 'MyApplicationID', name: 'MyApplication' };
const TOKEN = 'pAss-C0de-Sup3rS3cret-987654';

const fakes: FakeNexusIq[] = [];
const clients: NexusIqClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function fake(options: FakeIqOptions = {}): Promise<FakeNexusIq> {
  const f = await startFakeNexusIq({ token: TOKEN, applications: [{ ...APP, waived: ['CVE-2017-7957'] }], ...options });
  fakes.push(f);
  return f;
}

function client(f: { url: string; user: string; token: string }, extra: Partial<NexusIqClientOptions> = {}): NexusIqClient {
  const slept: number[] = [];
  const c = createNexusIqClient({
    url: f.url, user: f.user, token: f.token, outbound,
    limits: { requestsPerSecond: 1000, maxConcurrent: 4 },
    retry: { attempts: 4, baseDelayMs: 2, maxDelayMs: 2000 },
    sleep: async (ms) => { slept.push(ms); await new Promise((r) => setTimeout(r, Math.min(ms, 5))); },
    ...extra,
  });
  clients.push(c);
  return c;
}

async function failure(promise: Promise<unknown>): Promise<IntegrationError> {
  const error = await promise.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);
  expect(error).toBeInstanceOf(IntegrationError);
  expect((error as Error).message).not.toContain(TOKEN);
  return error as IntegrationError;
}

describeCorpus('NexusIqClient against the fake', () => {
  it('looks up the application, evaluates, polls PENDING → COMPLETED, and pulls the new report as a bridge document', async () => {
    const f = await fake({ pendingPolls: 2 });
    const c = client(f);
    const app = await c.applicationByPublicId('MyApplicationID');
    expect(app).toEqual({ id: APP.id, publicId: APP.publicId, name: APP.name, organizationId: 'org-1' });
    expect(f.requests[0]!.path).toBe('/api/v2/applications?publicId=MyApplicationID');
    expect(f.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`${f.user}:${TOKEN}`).toString('base64')}`);

    const before = f.reports.get('MyApplicationID/build')!.scanId;
    const ticket = await c.requestEvaluation(app.id, { kind: 'source-control', branchName: 'main', stageId: 'build' });
    expect(f.requests.at(-1)).toMatchObject({ method: 'POST', path: `/api/v2/evaluation/applications/${APP.id}/sourceControlEvaluation`, json: { branchName: 'main', stageId: 'build' } });
    const done = await c.waitForEvaluation(ticket, { pollIntervalMs: 1, deadline: new Date(Date.now() + 5000) });
    expect(done).toMatchObject({ state: 'completed', polls: 3 });
    expect(done.scanId).not.toBe(before);
    expect(done.scanId).toBe(f.reports.get('MyApplicationID/build')!.scanId);

    const latest = await c.latestReport(app.id, 'build');
    expect(latest?.scanId).toBe(done.scanId);
    expect(await c.latestReport(app.id, 'release')).toBeUndefined();

    const doc = await c.pull({ applicationPublicId: 'MyApplicationID', stage: 'build' });
    expect(doc.scanhub).toMatchObject({ kind: 'nexus-iq-evaluation', applicationPublicId: 'MyApplicationID', applicationId: APP.id, stage: 'build', scanId: done.scanId, serverVersion: 'NexusIQ/1.204.2-01' });
    const paths = f.requests.slice(-4).map((r) => r.path);
    expect(paths).toEqual([
      '/api/v2/applications?publicId=MyApplicationID',
      `/api/v2/reports/applications/${APP.id}`,
      `/api/v2/applications/MyApplicationID/reports/${done.scanId}/raw`,
      `/api/v2/applications/MyApplicationID/reports/${done.scanId}/policy`,
    ]);

    const input = new ReportInput(JSON.stringify(doc));
    expect(nexusIq.detect(input)?.format).toBe('nexus-iq-evaluation');
    const parsed = nexusIq.parse(input);
    // many_vulns.json: six issues; the fake's policy data waives CVE-2017-7957 and adds nothing new.
    expect(parsed.findings.map((x) => [x.ruleId, x.status])).toEqual([
      ['sonatype-2018-0330', 'open'], ['CVE-2016-3674', 'open'], ['CVE-2017-7957', 'accepted_risk'],
      ['CVE-2016-2402', 'open'], ['sonatype-2018-0035', 'open'], ['sonatype-2023-4856', 'not_affected'],
    ]);
  });

  it('promote scan and a failed evaluation; the deadline is enforced', async () => {
    const f = await fake({ failEvaluations: 'Scan data is missing' });
    const c = client(f);
    const ticket = await c.requestEvaluation(APP.id, { kind: 'promote', sourceStageId: 'build', targetStageId: 'release' });
    expect(f.requests.at(-1)).toMatchObject({ path: `/api/v2/evaluation/applications/${APP.id}/promoteScan`, json: { sourceStageId: 'build', targetStageId: 'release' } });
    expect((await failure(c.waitForEvaluation(ticket, { pollIntervalMs: 1, deadline: new Date(Date.now() + 5000) }))).code).toBe('NEXUSIQ_EVALUATION_FAILED');

    const slow = await fake({ pendingPolls: 1000 });
    const c2 = client(slow);
    const t2 = await c2.requestEvaluation(APP.id, { kind: 'source-control', branchName: 'main', stageId: 'build' });
    const e = await failure(c2.waitForEvaluation(t2, { pollIntervalMs: 1, deadline: new Date(Date.now() + 30) }));
    expect(e.code).toBe('NEXUSIQ_EVALUATION_DEADLINE');
  });

  it('refuses a status URL on another host (credentials would follow it)', async () => {
    const f = await fake();
    const e = await failure(client(f).evaluationStatus({ applicationId: APP.id, kind: 'evaluation', statusUrl: 'http://198.51.100.7/api/v2/evaluation/applications/x/status/y' }));
    expect(e.code).toBe('NEXUSIQ_BAD_RESPONSE');
    expect(f.requests).toHaveLength(0);
  });

  it('verify(): all checks pass; unknown application; wrong token; missing permission; nothing listening', async () => {
    const f = await fake();
    expect((await client(f).verify('MyApplicationID')).checks.map((k) => [k.name, k.ok])).toEqual([['reachable', true], ['authenticated', true], ['permission', true], ['application', true]]);
    const missing = (await client(f).verify('NoSuchApp')).checks.at(-1)!;
    expect(missing).toMatchObject({ name: 'application', ok: false, code: 'NEXUSIQ_APPLICATION_NOT_FOUND' });
    expect((await failure(client(f).applicationByPublicId('NoSuchApp'))).code).toBe('NEXUSIQ_APPLICATION_NOT_FOUND');

    const wrong = await client({ ...f, token: 'not-the-token' }).verify('MyApplicationID');
    expect(wrong.checks.map((k) => [k.name, k.ok, k.code])).toEqual([['reachable', true, undefined], ['authenticated', false, 'NEXUSIQ_AUTH_FAILED'], ['permission', false, 'NEXUSIQ_CHECK_SKIPPED'], ['application', false, 'NEXUSIQ_CHECK_SKIPPED']]);
    expect(JSON.stringify(wrong)).not.toContain('not-the-token');

    f.setBehaviour({ forbidden: true });
    const forbidden = await client(f).verify('MyApplicationID');
    expect(forbidden.checks.map((k) => [k.name, k.ok, k.code])).toEqual([['reachable', true, undefined], ['authenticated', true, undefined], ['permission', false, 'NEXUSIQ_FORBIDDEN'], ['application', false, 'NEXUSIQ_CHECK_SKIPPED']]);

    const closed = await startFakeNexusIq();
    const url = closed.url;
    await closed.close();
    const down = await client({ url, user: 'u', token: TOKEN }).verify();
    expect(down.checks[0]).toMatchObject({ name: 'reachable', ok: false, code: 'NEXUSIQ_UNREACHABLE' });
  });

  it('a 429 storm is waited out exactly as Retry-After says, through the one limiter', async () => {
    const f = await fake({ behaviour: { storm429: { count: 2, retryAfterSeconds: 1 } } });
    const slept: number[] = [];
    const c = client(f, { sleep: async (ms) => { slept.push(ms); } });
    expect((await c.applicationByPublicId('MyApplicationID')).id).toBe(APP.id);
    expect(slept).toEqual([1000, 1000]);
    expect(f.requests).toHaveLength(3);
  });

  it('a Retry-After beyond maxDelayMs hands the wait to the job queue (retryable, retryAfterMs)', async () => {
    const f = await fake({ behaviour: { storm429: { count: 1, retryAfterSeconds: 120 } } });
    const e = await failure(client(f).applicationByPublicId('MyApplicationID'));
    expect(e).toMatchObject({ code: 'NEXUSIQ_UNAVAILABLE', retryable: true, options: { status: 429, retryAfterMs: 120_000 } });
    expect(f.requests).toHaveLength(1);
  });

  it('500s are retried with back-off until they stop, or until attempts run out', async () => {
    const f = await fake({ behaviour: { fail500: 2 } });
    const c = client(f, { random: () => 0.5 });
    expect((await c.applicationByPublicId('MyApplicationID')).id).toBe(APP.id);
    expect(f.requests).toHaveLength(3);
    f.setBehaviour({ fail500: 10 });
    const e = await failure(c.applicationByPublicId('MyApplicationID'));
    expect(e).toMatchObject({ code: 'NEXUSIQ_UNAVAILABLE', retryable: true });
    expect(f.requests).toHaveLength(3 + 4);
  });

  it('other 4xx are never retried: 401, 403, 404', async () => {
    const f = await fake();
    const e401 = await failure(client({ ...f, token: 'nope-nope' }).latestReport(APP.id, 'build'));
    expect(e401.code).toBe('NEXUSIQ_AUTH_FAILED');
    f.setBehaviour({ forbidden: true });
    expect((await failure(client(f).latestReport(APP.id, 'build'))).code).toBe('NEXUSIQ_FORBIDDEN');
    f.setBehaviour({});
    expect((await failure(client(f).latestReport('unknown-app', 'build'))).code).toBe('NEXUSIQ_NOT_FOUND');
    expect((await failure(client(f).rawReport('MyApplicationID', 'no-such-scan'))).code).toBe('NEXUSIQ_NOT_FOUND');
    expect(f.requests).toHaveLength(4);
  });

  it('malformed JSON and a slow server are coded failures', async () => {
    const f = await fake({ behaviour: { malformedJson: true } });
    expect((await failure(client(f).applicationByPublicId('MyApplicationID'))).code).toBe('NEXUSIQ_BAD_RESPONSE');
    f.setBehaviour({ slowMs: 300 });
    const e = await failure(client(f, { timeoutMs: 50, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 } }).applicationByPublicId('MyApplicationID'));
    expect(e.code).toBe('NEXUSIQ_UNREACHABLE');
  });

  it('pull() of a stage never evaluated says so', async () => {
    const f = await fake();
    expect((await failure(client(f).pull({ applicationPublicId: 'MyApplicationID', stage: 'release' }))).code).toBe('NEXUSIQ_REPORT_NOT_FOUND');
  });
});

describe('scanIdFrom', () => {
  it('reads the scan id from reportDataUrl, else the last segment of reportHtmlUrl', () => {
    expect(scanIdFrom('api/v2/applications/app/reports/abc123/raw', undefined)).toBe('abc123');
    expect(scanIdFrom(undefined, 'http://iq:8070/ui/links/application/app/report/def456')).toBe('def456');
    expect(scanIdFrom(undefined, undefined)).toBeUndefined();
  });
});
