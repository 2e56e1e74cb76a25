// SonarQubeClient against the fake SonarQube on 127.0.0.1: pulls parsed by the sonarqube plugin,
// version-dependent parameters and authentication, the 10,000-result window (date and rule slices),
// retry / no-retry rules, verify() checks, and that the token never leaks into a message.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import { ReportInput } from '../../../src/plugins/report-input.js';
import { createOutbound } from '../../../src/security/outbound.js';
import { describeCorpus } from '../../../test/helpers/corpus.js';
import { startFakeSonarQube, syntheticIssues, type FakeSonarQube, type FakeSonarQubeOptions } from '../../../test/fakes/sonarqube/index.js';
import { createSonarQubeClient, sonarDate, sonarTime, type SonarQubeClient, type SonarQubeClientOptions } from './client.js';
import { sonarqube } from './index.js';

const outbound = createOutbound({ outboundAllow: '127.0.0.0/8' });
const fakes: FakeSonarQube[] = [];
const clients: SonarQubeClient[] = [];
const messages: string[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function fake(options: FakeSonarQubeOptions = {}): Promise<FakeSonarQube> {
  const f = await startFakeSonarQube({ token: 'squ_S3cretT0ken0123456789abcdef', ...options });
  fakes.push(f);
  return f;
}

function client(f: { url: string; token: string }, extra: Partial<SonarQubeClientOptions> = {}): SonarQubeClient {
  const c = createSonarQubeClient({ url: f.url, token: f.token, outbound, limits: { requestsPerSecond: 1000, maxConcurrent: 8 }, retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 20 }, ...extra });
  clients.push(c);
  return c;
}

async function failure(promise: Promise<unknown>): Promise<IntegrationError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IntegrationError);
  messages.push((error as Error).message);
  return error as IntegrationError;
}

const parse = (doc: unknown) => sonarqube.parse(new ReportInput(JSON.stringify(doc)));

describeCorpus('SonarQubeClient.pull against the fake (corpus projects)', () => {
  it('pulls every issue, hotspot and rule of a 10.x project; the parser reads the document', async () => {
    const f = await fake();
    const doc = await client(f, { issueScope: 'all' }).pull({ projectKey: 'internal.dummy.project' });
    expect(doc.scanhub).toMatchObject({ format: 'sonarqube-pull', projectKey: 'internal.dummy.project', serverUrl: f.url, serverVersion: '10.6.0.92116', analysisDate: '2018-04-05T10:57:29-0400', issueFilter: 'all' });
    expect(doc.issues.map((i) => i.key)).toEqual(['AWKWIl8pZpu0CyehMfc4', 'AWKWIl8pZpu0CyehMfc3', 'AWKWIlkyZpu0CyehMfb7']);
    expect(doc.hotspots).toHaveLength(2);
    expect(doc.rules.map((r) => r.key).sort()).toEqual(['ruby:S2068', 'typescript:S1854']); // scss rule: 404, skipped
    expect(f.calls('api/rules/show').map((c) => c.query.get('key')).sort()).toEqual(['ruby:S2068', 'scss:unknown-type-selector', 'typescript:S1854']);
    const search = f.calls('api/issues/search')[0]!;
    expect(search.query.get('components')).toBe('internal.dummy.project');
    expect(search.query.get('statuses')).toBe('OPEN,CONFIRMED,REOPENED,RESOLVED');
    expect(search.request.headers.authorization).toBe(`Bearer ${f.token}`);
    expect(f.calls('api/hotspots/search')[0]!.query.get('project')).toBe('internal.dummy.project');

    const r = parse(doc);
    expect(r.format).toBe('sonarqube-pull');
    expect(r.findings.map((x) => [x.toolFingerprint, x.category, x.severity, x.status])).toEqual([
      ['AWKWIl8pZpu0CyehMfc4', 'other', 'medium', 'open'],
      ['AWKWIl8pZpu0CyehMfc3', 'other', 'medium', 'false_positive'],
      ['AWKWIlkyZpu0CyehMfb7', 'other', 'high', 'open'],
      ['AXgm6Z-ophPPY0C1qhRq', 'code', 'high', 'open'],
      ['AXgm6Z-ophPPY0C1qhR1', 'code', 'medium', 'open'],
    ]);
    // DefectDojo's importer: cwe 563 from the rule's See links, 798 from the hotspot rule's fixRecommendations.
    expect(r.findings[0]).toMatchObject({ cwes: [563], location: { path: 'src/main/javascript/TranslateDirective.ts', startLine: 242 } });
    expect(r.findings[3]).toMatchObject({ ruleId: 'ruby:S2068', cwes: [798, 259], location: { path: 'spec/support/user_fixture.rb', startLine: 9 } });
    expect(r.findings[3]!.references?.[0]).toBe(`${f.url}/security_hotspots?id=internal.dummy.project&hotspots=AXgm6Z-ophPPY0C1qhRq`);
  });

  it('by default asks only for SECURITY issues; Dependency-Check plugin issues become package vulnerabilities', async () => {
    const f = await fake();
    const c = client(f);
    expect((await c.pull({ projectKey: 'internal.dummy.project' })).issues).toHaveLength(0); // only code smells and bugs there
    const doc = await c.pull({ projectKey: 'testapplication', branch: 'main' });
    expect(f.calls('api/issues/search').at(-1)!.query.get('impactSoftwareQualities')).toBe('SECURITY');
    expect(f.calls('api/issues/search').at(-1)!.query.get('branch')).toBe('main');
    expect(doc.scanhub).toMatchObject({ branch: 'main', issueFilter: 'impactSoftwareQualities=SECURITY', analysisDate: '2024-01-29T13:50:11+0000' });
    const r = parse(doc);
    expect(r.findings).toHaveLength(3);
    expect(r.findings.every((x) => x.category === 'vulnerability')).toBe(true);
    expect(r.target).toBe('testapplication@main');
  });

  it('talks to a 9.6 server the way it understands: Basic token, componentKeys, types, projectKey; no ruleKey on hotspots', async () => {
    const f = await fake({ version: '9.6.1.59531' });
    const doc = await client(f).pull({ projectKey: 'internal.dummy.project' });
    const search = f.calls('api/issues/search')[0]!;
    expect(search.request.headers.authorization).toBe(`Basic ${Buffer.from(`${f.token}:`).toString('base64')}`);
    expect([search.query.get('componentKeys'), search.query.get('types'), search.query.get('components')]).toEqual(['internal.dummy.project', 'VULNERABILITY', null]);
    expect(f.calls('api/hotspots/search')[0]!.query.get('projectKey')).toBe('internal.dummy.project');
    expect(parse(doc).findings.map((x) => x.ruleId)).toEqual(['hotspot:auth', 'hotspot:auth']);
    // The same token as Bearer is refused by a 9.x server: `auto` matters.
    const bearer = client(f, { authScheme: 'bearer' });
    expect((await failure(bearer.pull({ projectKey: 'internal.dummy.project' }))).code).toBe('SONARQUBE_AUTH_FAILED');
  });

  it('reads branches and the quality gate', async () => {
    const f = await fake();
    const c = client(f);
    expect(await c.branches('internal.dummy.project')).toEqual([{ name: 'master', isMain: true, type: 'BRANCH', analysisDate: '2018-04-05T10:57:29-0400', qualityGateStatus: 'OK' }]);
    const gate = await c.qualityGate('internal.dummy.project', { branch: 'master' });
    expect(gate.status).toBe('OK');
    expect(gate.conditions.map((x) => x.metricKey)).toContain('new security rating');
    expect((await failure(c.qualityGate('nope'))).code).toBe('SONARQUBE_PROJECT_NOT_FOUND');
  });
});

describe('SonarQubeClient past the 10,000-result window', () => {
  it('fetches 12,000 issues exactly once by creation-date windows, never asking past p × ps = 10,000', async () => {
    const issues = syntheticIssues('big', 12_000);
    const f = await fake({ projects: [{ key: 'big', issues, hotspots: [] }] });
    const doc = await client(f).pull({ projectKey: 'big' });
    expect(doc.issues).toHaveLength(12_000);
    expect(new Set(doc.issues.map((i) => i.key)).size).toBe(12_000);
    const calls = f.calls('api/issues/search');
    expect(calls.every((c) => Number(c.query.get('p') ?? 1) * Number(c.query.get('ps') ?? 100) <= 10_000)).toBe(true);
    expect(calls.some((c) => c.query.get('createdAfter'))).toBe(true);
    expect(parse(doc).findings).toHaveLength(12_000);
  }, 60_000);

  it('slices by rule when one second holds more than the window, and says so when even a rule is too big', async () => {
    const issues = syntheticIssues('burst', 130, { sameSecond: true, rules: 6 });
    const f = await fake({ projects: [{ key: 'burst', issues, hotspots: [] }], resultWindow: 50 });
    const doc = await client(f, { pageSize: 10, resultWindow: 50 }).pull({ projectKey: 'burst' });
    expect(new Set(doc.issues.map((i) => i.key)).size).toBe(130);
    expect(doc.issues).toHaveLength(130);
    expect(f.calls('api/issues/search').some((c) => c.query.get('rules'))).toBe(true);

    const one = await fake({ projects: [{ key: 'one-rule', issues: syntheticIssues('one-rule', 60, { sameSecond: true, rules: 1 }), hotspots: [] }], resultWindow: 50 });
    const e = await failure(client(one, { pageSize: 10, resultWindow: 50 }).pull({ projectKey: 'one-rule' }));
    expect(e.code).toBe('SONARQUBE_TOO_MANY_RESULTS');
    expect(e.message).toContain('java:S2000');
  });

  it('slices hotspots by status and resolution', async () => {
    const statuses = [{ status: 'TO_REVIEW' }, { status: 'REVIEWED', resolution: 'SAFE' }, { status: 'REVIEWED', resolution: 'FIXED' }, { status: 'REVIEWED', resolution: 'ACKNOWLEDGED' }];
    const hotspots = Array.from({ length: 160 }, (_, i) => ({ key: `H${i}`, component: 'hs:a.py', project: 'hs', vulnerabilityProbability: 'LOW', securityCategory: 'others', line: i + 1, ...statuses[i % 4] }));
    const f = await fake({ projects: [{ key: 'hs', issues: [], hotspots }], resultWindow: 100 });
    const doc = await client(f, { resultWindow: 100 }).pull({ projectKey: 'hs' });
    expect(new Set(doc.hotspots.map((h) => h.key)).size).toBe(160);
    const statusOf: Record<string, number> = {};
    for (const x of parse(doc).findings) statusOf[x.status ?? 'open'] = (statusOf[x.status ?? 'open'] ?? 0) + 1;
    expect(statusOf).toEqual({ open: 40, false_positive: 40, fixed: 40, accepted_risk: 40 });
  });

  it('formats SonarQube dates both ways', () => {
    expect(sonarTime('2023-10-16T15:05:35+0000')).toBe(Date.UTC(2023, 9, 16, 15, 5, 35));
    expect(sonarTime('2018-04-05T10:57:29-0400')).toBe(Date.UTC(2018, 3, 5, 14, 57, 29));
    expect(sonarDate(Date.UTC(2024, 0, 1, 0, 0, 7))).toBe('2024-01-01T00:00:07+0000');
  });
});

describeCorpus('SonarQubeClient retries and failures', () => {
  it('rides out a 429 storm honouring Retry-After, 500s and a re-indexing 503, through the one limiter', async () => {
    const f = await fake({ behaviour: { storm429: { count: 2, retryAfterSeconds: 0 } } });
    const slept: number[] = [];
    const c = client(f, { sleep: async (ms) => void slept.push(ms), random: () => 0.5, retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5000 } });
    await c.branches('internal.dummy.project');
    expect(f.requests.slice(0, 3).map((r) => new URL(r.path, 'http://x').pathname)).toEqual(['/api/system/status', '/api/system/status', '/api/system/status']);
    expect(slept.slice(0, 2)).toEqual([0, 0]); // Retry-After: 0 wins over back-off
    f.setBehaviour({ storm429: { count: 1, retryAfterSeconds: 1 } });
    await c.branches('internal.dummy.project');
    expect(slept.at(-1)).toBe(1000);
    f.setBehaviour({ fail500: 2, indexing503: 1 });
    expect((await c.pull({ projectKey: 'testapplication' })).issues).toHaveLength(3);
    expect(slept.length).toBe(6);
  });

  it('gives up after the configured attempts with a retryable code, and hands long Retry-After waits to the job queue', async () => {
    const f = await fake({ behaviour: { fail500: 100 } });
    const e = await failure(client(f).serverStatus());
    expect(e).toMatchObject({ code: 'SONARQUBE_UNAVAILABLE', retryable: true });
    expect(f.requests).toHaveLength(4); // retry.attempts
    f.setBehaviour({ storm429: { count: 10, retryAfterSeconds: 120 } });
    const slow = await failure(client(f).serverStatus());
    expect(slow).toMatchObject({ code: 'SONARQUBE_RATE_LIMITED', retryable: true, options: { retryAfterMs: 120_000 } });
  });

  it('never retries other 4xx: unknown project, forbidden project, bad token', async () => {
    const f = await fake({ projects: [{ key: 'secret-project', issues: [], hotspots: [], forbidden: true }] });
    const c = client(f);
    expect(await failure(c.pull({ projectKey: 'missing' }))).toMatchObject({ code: 'SONARQUBE_PROJECT_NOT_FOUND', retryable: false });
    expect(f.calls('api/issues/search')).toHaveLength(1);
    expect(await failure(c.pull({ projectKey: 'secret-project' }))).toMatchObject({ code: 'SONARQUBE_FORBIDDEN', retryable: false });
    const bad = client({ url: f.url, token: 'squ_wrongwrongwrong' });
    expect(await failure(bad.pull({ projectKey: 'secret-project' }))).toMatchObject({ code: 'SONARQUBE_AUTH_FAILED' });
    expect(f.calls('api/issues/search')).toHaveLength(3);
  });

  it('reports malformed JSON and a slow server with codes; the token is in no message', async () => {
    const f = await fake({ behaviour: { malformedJson: true } });
    expect((await failure(client(f, { retry: { attempts: 1 } }).serverStatus())).code).toBe('SONARQUBE_BAD_RESPONSE');
    f.setBehaviour({ slowMs: 300 });
    expect((await failure(client(f, { timeoutMs: 50, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } }).serverStatus())).code).toBe('SONARQUBE_UNREACHABLE');
    for (const m of messages) expect(m).not.toContain('S3cretT0ken');
  });

  it('spaces request starts by the configured rate', async () => {
    const f = await fake();
    const c = client(f, { limits: { requestsPerSecond: 20, maxConcurrent: 4 } });
    await Promise.all(Array.from({ length: 6 }, () => c.branches('internal.dummy.project')));
    const times = f.requests.map((r) => r.at.getTime());
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(6 * 50 - 10);
  });
});

describeCorpus('SonarQubeClient.verify', () => {
  it('passes every check with a good token and project', async () => {
    const f = await fake();
    const { checks } = await client(f).verify('internal.dummy.project');
    expect(checks.map((x) => [x.name, x.ok])).toEqual([['reachable', true], ['authenticated', true], ['project-access', true]]);
  });

  it('names the failing check with its code, skipping the ones after it', async () => {
    const f = await fake({ projects: [{ key: 'locked', issues: [], hotspots: [], forbidden: true }] });
    expect((await client(f).verify('locked')).checks.map((x) => x.code)).toEqual([undefined, undefined, 'SONARQUBE_FORBIDDEN']);
    expect((await client(f).verify('absent')).checks.at(-1)).toMatchObject({ ok: false, code: 'SONARQUBE_PROJECT_NOT_FOUND' });
    expect((await client({ url: f.url, token: 'squ_wrong' }).verify('locked')).checks.map((x) => x.code)).toEqual([undefined, 'SONARQUBE_AUTH_FAILED', 'SONARQUBE_CHECK_SKIPPED']);
    const starting = await fake({ status: 'STARTING' });
    expect((await client(starting).verify()).checks.map((x) => x.code)).toEqual(['SONARQUBE_NOT_READY', 'SONARQUBE_CHECK_SKIPPED']);
  });

  it('says SONARQUBE_UNREACHABLE when nothing listens', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const { checks } = await client({ url: `http://127.0.0.1:${port}`, token: 'squ_x' }, { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } }).verify('p');
    expect(checks[0]).toMatchObject({ name: 'reachable', ok: false, code: 'SONARQUBE_UNREACHABLE' });
    expect(checks.slice(1).every((x) => x.code === 'SONARQUBE_CHECK_SKIPPED')).toBe(true);
  });

  it('refuses a bad configuration before any request', () => {
    expect(() => createSonarQubeClient({ url: 'not a url', token: 't', outbound })).toThrow(expect.objectContaining({ code: 'SONARQUBE_BAD_CONFIG' }));
    expect(() => createSonarQubeClient({ url: 'https://sonar.example.com', token: '', outbound })).toThrow(expect.objectContaining({ code: 'SONARQUBE_BAD_CONFIG' }));
  });
});
