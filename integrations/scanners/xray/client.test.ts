// XrayClient against the fake JFrog on 127.0.0.1: the push → scan → wait → summary → violations
// flow parsed by the xray plugin, the rate the fake MEASURES under a 429 storm, retry/no-retry
// rules, error codes, verify() checks, and that the token never leaks into a message.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createOutbound } from '../../../src/security/outbound.js';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import { ReportInput } from '../../../src/plugins/report-input.js';
import { startFakeJfrog, type FakeJfrog, type FakeJfrogOptions } from '../../../test/fakes/jfrog/index.js';
import { backoffDelay, normaliseScanStatus, parseRetryAfter, XrayClient, type XrayClientOptions } from './client.js';
import { xray } from './index.js';

const outbound = createOutbound({ outboundAllow: '127.0.0.0/8' });
const DOCKER = { repo: 'docker-local', path: 'foo/bar/84a28a42/manifest.json' };
const STUCK = { repo: 'docker-local', path: 'path/to/pending-artifact' };

const fakes: FakeJfrog[] = [];
const servers: Server[] = [];
const clients: XrayClient[] = [];
const messages: string[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); })));
});

async function fake(options: FakeJfrogOptions = {}): Promise<FakeJfrog> {
  const f = await startFakeJfrog({ token: 'tok-Sup3rS3cret-0123456789', ...options });
  fakes.push(f);
  return f;
}

/** Fast by default: no rate limit to speak of, millisecond back-off. */
function client(f: { url: string; token: string }, extra: Partial<XrayClientOptions> = {}): XrayClient {
  const c = new XrayClient({ baseUrl: f.url, accessToken: f.token, outbound, limits: { requestsPerSecond: 1000, maxConcurrent: 8 }, retry: { attempts: 5, baseDelayMs: 2, maxDelayMs: 20 }, ...extra });
  clients.push(c);
  return c;
}

/** Awaits a rejection, checks it is an IntegrationError, and keeps its message for the token check. */
async function failure(promise: Promise<unknown>): Promise<IntegrationError> {
  const error = await promise.then(
    () => { throw new Error('expected a rejection'); },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IntegrationError);
  messages.push((error as Error).message);
  return error as IntegrationError;
}

async function rawServer(handler: Parameters<typeof createServer>[1]): Promise<{ url: string }> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('XrayClient happy path', () => {
  it('scanArtifact → waitForScan through PENDING/SCANNING to DONE → summary v2 → all violation pages, all parsed into findings', async () => {
    const f = await fake();
    const c = client(f);
    const scan = await c.scanArtifact('docker://foo/bar:84a28a42');
    expect(scan.info).toBe('Scan of artifact is in progress');
    expect(f.requests[0]).toMatchObject({ method: 'POST', path: '/xray/api/v1/scanArtifact', body: { componentID: 'docker://foo/bar:84a28a42' }, status: 200 });

    const done = await c.waitForScan(DOCKER, { pollIntervalMs: 5, deadline: new Date(Date.now() + 5000) });
    expect(done).toMatchObject({ status: 'DONE', rawStatus: 'DONE', polls: 3 });
    const polled = f.requests.filter((r) => r.path === '/xray/api/v1/artifact/status');
    expect(polled.map((r) => r.body)).toEqual([DOCKER, DOCKER, DOCKER]);

    const summary = await c.artifactSummary({ paths: ['default/docker-local/foo/bar/84a28a42/'] });
    expect(summary).toMatchObject({ apiVersion: 'v2', errors: [] });
    expect(f.requests.at(-1)).toMatchObject({ path: '/xray/api/v2/summary/artifact', body: { paths: ['default/docker-local/foo/bar/84a28a42/'] } });

    const v = await c.violations(DOCKER, { pageSize: 10 });
    expect(v.violations).toHaveLength(25);
    expect(v.totalViolations).toBe(25);
    expect(v.pages).toHaveLength(3);
    const pages = f.requests.filter((r) => r.path === '/xray/api/v1/violations');
    expect(pages.map((r) => r.body)).toEqual([1, 2, 3].map((offset) => ({
      filters: { resources: { artifacts: [DOCKER] } },
      pagination: { limit: 10, offset, order_by: 'created' },
    })));
    expect(new Set(v.violations.map((x) => (x as { violation_details_url: string }).violation_details_url)).size).toBe(25);

    const parsedSummary = xray.parse(new ReportInput(JSON.stringify(summary.body)));
    expect(parsedSummary.format).toBe('xray-summary');
    expect(parsedSummary.findings.length).toBeGreaterThan(0);
    expect(parsedSummary.findings.some((x) => x.vulnerabilityIds?.includes('CVE-2021-41771') || x.ruleId === 'CVE-2021-41771')).toBe(true);
    const parsedViolations = xray.parse(new ReportInput(JSON.stringify(v.body)));
    expect(parsedViolations.format).toBe('xray-violations');
    expect(parsedViolations.findings.length).toBeGreaterThan(0);
    for (const page of v.pages) expect(xray.parse(new ReportInput(JSON.stringify(page))).format).toBe('xray-violations');
  });

  it('falls back to summary v1 when v2 answers 404 or 405, and remembers it', async () => {
    for (const code of [404, 405] as const) {
      const f = await fake({ summaryV2: code });
      const c = client(f);
      const first = await c.artifactSummary({ checksums: ['c255cbe29c2da2935b4433a54e4ce6a3710490ee1d2c47bc68a7fa1732a3be24'] });
      expect(first.apiVersion).toBe('v1');
      expect(xray.parse(new ReportInput(JSON.stringify(first.body))).findings.length).toBeGreaterThan(0);
      await c.artifactSummary({ paths: ['default/docker-local/foo/bar/84a28a42/'] });
      expect(f.requests.map((r) => `${r.status} ${r.path}`)).toEqual([`${code} /xray/api/v2/summary/artifact`, '200 /xray/api/v1/summary/artifact', '200 /xray/api/v1/summary/artifact']);
    }
  });

  it('pages stop at total_violations without an empty extra request, filter by watch, and refuse an empty summary query locally', async () => {
    const f = await fake();
    const c = client(f);
    expect((await c.violations(DOCKER, { pageSize: 5 })).pages).toHaveLength(5);
    expect(f.requests).toHaveLength(5);
    const byWatch = await c.violations({ watchName: 'license-watch' }, { pageSize: 4 });
    const licenseCount = f.state.violations.filter((x) => x.watch_name === 'license-watch').length;
    expect(licenseCount).toBeGreaterThan(0);
    expect(byWatch.violations).toHaveLength(licenseCount);
    expect(byWatch.violations.every((x) => (x as { watch_name: string }).watch_name === 'license-watch')).toBe(true);
    expect(f.requests.at(-1)?.body).toMatchObject({ filters: { watch_name: 'license-watch' } });
    expect((await failure(c.artifactSummary({}))).code).toBe('JFROG_BAD_REQUEST');
    expect(f.requests.filter((r) => r.path.includes('summary'))).toHaveLength(0);
  });

  it('sends projectKey on Get Violations when configured, and reads DB sync status and trigger', async () => {
    const f = await fake();
    const c = client(f, { projectKey: 'shop' });
    await c.violations(DOCKER);
    expect(f.requests.at(-1)?.query).toBe('?projectKey=shop');
    expect(await c.triggerDbSync()).toMatchObject({ info: 'Local updates started' });
    expect(await c.dbSyncStatus()).toMatchObject({ state: 'running', sync_mode: 'offline', status: '41% (80/192)' });
    expect(await c.dbSyncStatus()).toMatchObject({ state: 'idle', status: '100% (192/192)' });
    expect(f.requests.slice(-3).map((r) => `${r.method} ${r.path}`)).toEqual(['POST /xray/api/v1/updates/startOfflineSync', 'GET /xray/api/v1/updates/getStatus', 'GET /xray/api/v1/updates/getStatus']);
  });

  it('normalises FAILED and NOT_SUPPORTED as terminal, and the older status words', async () => {
    const f = await fake({ finalStatus: 'FAILED', scanSteps: { pending: 0, scanning: 1 } });
    const c = client(f);
    expect(await c.waitForScan(DOCKER, { pollIntervalMs: 1, deadline: new Date(Date.now() + 5000) })).toMatchObject({ status: 'FAILED', polls: 2 });
    expect(await c.waitForScan({ repo: 'x', path: 'path/to/unsupported-artifact' }, { pollIntervalMs: 1, deadline: new Date(Date.now() + 5000) })).toMatchObject({ status: 'NOT_SUPPORTED', polls: 1 });
    expect(['PARTIAL', 'scanned', 'in progress', 'not scanned', 'not supported', 'failed', 'whatever'].map(normaliseScanStatus)).toEqual(['DONE', 'DONE', 'SCANNING', 'NOT_SCANNED', 'NOT_SUPPORTED', 'FAILED', undefined]);
  });
});

describe('XrayClient rate limiting under a 429 storm', () => {
  // Bottleneck's minTime spaces request STARTS by 1000/rps ms, so a client's own clock never puts
  // more than rps starts into a half-open 1 s window. The fake measures ARRIVAL times, which carry a
  // little scheduling/socket jitter: a start delayed by a millisecond followed by one on time can
  // land rps+1 arrivals in one window. Hence "≤ rps + 1"; the control test shows the measurement
  // does catch a client that is not limited (well above rps + 1).
  const PARALLEL = 8;
  const STORM = 10;

  it('never exceeds 5 requests in any 1000 ms window at requestsPerSecond 5 (±1 edge), and every call completes', async () => {
    const f = await fake({ behaviour: { storm429: { count: STORM, retryAfterSeconds: 1 } } });
    const c = client(f, { limits: { requestsPerSecond: 5, maxConcurrent: 4 }, retry: { attempts: 10, baseDelayMs: 5, maxDelayMs: 2000 } });
    const results = await Promise.all(Array.from({ length: PARALLEL }, () => c.ping()));
    expect(results).toEqual(Array.from({ length: PARALLEL }, () => ({ status: 'pong' })));
    expect(f.requests.filter((r) => r.status === 429)).toHaveLength(STORM);
    expect(f.requests).toHaveLength(STORM + PARALLEL);
    if (process.env.XRAY_RATE_DEBUG) console.log('max in 1 s:', f.maxRequestsInAnyWindow(1000));
    expect(f.maxRequestsInAnyWindow(1000)).toBeLessThanOrEqual(5 + 1);
    expect(f.maxRequestsInAnyWindow(1000)).toBeGreaterThanOrEqual(4); // the storm did keep the limiter busy
  }, 20_000);

  it('control: the same storm against an unlimited client is measured well above 6 per second (so the bound above can fail)', async () => {
    // Retry-After 0 keeps the control fast; an unlimited client then fires all 18 requests at once.
    const f = await fake({ behaviour: { storm429: { count: STORM, retryAfterSeconds: 0 } } });
    const c = client(f, { limits: { requestsPerSecond: 1000, maxConcurrent: 50 }, retry: { attempts: 10, baseDelayMs: 5, maxDelayMs: 2000 } });
    await Promise.all(Array.from({ length: PARALLEL }, () => c.ping()));
    expect(f.maxRequestsInAnyWindow(1000)).toBeGreaterThan(6);
  });

  it('retries also pass through the limiter: with Retry-After 0, consecutive attempts stay ≥ 1000/rps apart', async () => {
    const f = await fake({ behaviour: { storm429: { count: 4, retryAfterSeconds: 0 } } });
    const c = client(f, { limits: { requestsPerSecond: 10, maxConcurrent: 4 } });
    await c.ping();
    const times = f.requests.map((r) => r.time);
    expect(times).toHaveLength(5);
    // 4 gaps of ≥ 100 ms at the client; arrival jitter (the first request also pays the TCP connect)
    // can shift single gaps, so the span is checked. Unlimited, the five arrive within a few ms.
    expect(times[4]! - times[0]!).toBeGreaterThan(340);
  });

  it('honours Retry-After (seconds) as the wait, and gives up with JFROG_UNAVAILABLE (retryable) after the attempts', async () => {
    const waits: number[] = [];
    const f = await fake({ behaviour: { storm429: { count: 10, retryAfterSeconds: 7 } } });
    const c = client(f, { retry: { attempts: 3, baseDelayMs: 2, maxDelayMs: 60_000 }, sleep: async (ms) => { waits.push(ms); } });
    const e = await failure(c.ping());
    expect(e).toMatchObject({ code: 'JFROG_UNAVAILABLE', retryable: true, options: { status: 429, retryAfterMs: 7000 } });
    expect(waits).toEqual([7000, 7000]);
    expect(f.requests).toHaveLength(3);
  });

  it('a Retry-After beyond maxDelayMs is handed back to the caller instead of holding the worker', async () => {
    const waits: number[] = [];
    const f = await fake({ behaviour: { storm429: { count: 1, retryAfterSeconds: 120 } } });
    const c = client(f, { retry: { attempts: 5, baseDelayMs: 2, maxDelayMs: 30_000 }, sleep: async (ms) => { waits.push(ms); } });
    expect(await failure(c.ping())).toMatchObject({ code: 'JFROG_UNAVAILABLE', retryable: true, options: { retryAfterMs: 120_000 } });
    expect(waits).toEqual([]);
    expect(f.requests).toHaveLength(1);
  });

  it('parses Retry-After seconds and HTTP dates; full-jitter back-off stays under its capped ceiling', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(backoffDelay(1, 500, 30_000, () => 0.999)).toBe(499);
    expect(backoffDelay(4, 500, 30_000, () => 0.5)).toBe(2000);
    expect(backoffDelay(20, 500, 30_000, () => 0.999)).toBe(29_970);
    expect(backoffDelay(3, 500, 30_000, () => 0)).toBe(0);
  });
});

describe('XrayClient failures', () => {
  it('401 → JFROG_UNAUTHORIZED with the fix, not retried (the fake saw exactly one request)', async () => {
    const f = await fake({ behaviour: { unauthorized: true } });
    const e = await failure(client(f).artifactStatus(DOCKER));
    expect(e).toMatchObject({ code: 'JFROG_UNAUTHORIZED', retryable: false, options: { status: 401 } });
    expect(e.message).toContain('the access token is invalid or expired: create a new one in Administration → User Management → Access Tokens');
    expect(f.requests).toHaveLength(1);
    const wrong = await fake();
    expect((await failure(client({ url: wrong.url, token: 'not-the-token' }).ping())).code).toBe('JFROG_UNAUTHORIZED');
    expect(wrong.requests).toHaveLength(1);
  });

  it('400, 403 and 404 are not retried either', async () => {
    const f = await fake();
    expect(await failure(client(f).artifactStatus({ repo: '', path: '' }))).toMatchObject({ code: 'JFROG_BAD_REQUEST', options: { status: 400 } });
    expect(messages.at(-1)).toContain('mandatory fields are missing');
    f.setBehaviour({ forbiddenXray: true });
    expect(await failure(client(f).dbSyncStatus())).toMatchObject({ code: 'JFROG_FORBIDDEN', retryable: false });
    expect(messages.at(-1)).toContain('the token lacks Xray permission');
    expect(await failure(client({ url: `${f.url}/artifactory`, token: f.token }).ping())).toMatchObject({ code: 'JFROG_NOT_FOUND', retryable: false });
    expect(f.requests.map((r) => r.status)).toEqual([400, 403, 404]);
  });

  it('500s then success → retried until it works; 500s beyond the attempts → JFROG_UNAVAILABLE', async () => {
    const f = await fake({ behaviour: { fail500: 3 } });
    expect(await client(f).ping()).toEqual({ status: 'pong' });
    expect(f.requests.map((r) => r.status)).toEqual([500, 500, 500, 200]);
    f.setBehaviour({ fail500: 10 });
    expect(await failure(client(f, { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } }).ping())).toMatchObject({ code: 'JFROG_UNAVAILABLE', retryable: true, options: { status: 500 } });
    expect(f.requests).toHaveLength(4 + 3);
  });

  it('network errors (socket hang up) are retried; a refused connection ends in JFROG_UNAVAILABLE', async () => {
    let seen = 0;
    const flaky = await rawServer((req, res) => {
      seen++;
      if (seen <= 2) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"pong"}');
    });
    expect(await client({ url: flaky.url, token: 't' }).ping()).toEqual({ status: 'pong' });
    expect(seen).toBe(3);

    const gone = await rawServer(() => undefined);
    const { url } = gone;
    await new Promise<void>((r) => { servers.pop()!.close(() => r()); });
    const e = await failure(client({ url, token: 't' }, { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } }).ping());
    expect(e).toMatchObject({ code: 'JFROG_UNAVAILABLE', retryable: true });
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('malformed JSON → JFROG_BAD_RESPONSE, not retried', async () => {
    const f = await fake({ behaviour: { malformedJson: true } });
    expect(await failure(client(f).artifactStatus(DOCKER))).toMatchObject({ code: 'JFROG_BAD_RESPONSE' });
    expect(await failure(client(f).violations(DOCKER))).toMatchObject({ code: 'JFROG_BAD_RESPONSE' });
    expect(f.requests).toHaveLength(2);
  });

  it('waitForScan past its deadline → JFROG_SCAN_DEADLINE (not retryable), after polling; an abort → JFROG_CANCELLED', async () => {
    const f = await fake();
    const c = client(f);
    const started = Date.now();
    const e = await failure(c.waitForScan(STUCK, { pollIntervalMs: 20, deadline: new Date(started + 150) }));
    expect(e).toMatchObject({ code: 'JFROG_SCAN_DEADLINE', retryable: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    const polls = f.requests.length;
    expect(polls).toBeGreaterThanOrEqual(3);
    expect(e.message).toContain('PENDING');
    // a deadline already past: one poll, then the error
    expect((await failure(c.waitForScan(STUCK, { pollIntervalMs: 20, deadline: new Date(Date.now() - 1) }))).code).toBe('JFROG_SCAN_DEADLINE');
    expect(f.requests).toHaveLength(polls + 1);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 40);
    expect((await failure(c.waitForScan(STUCK, { pollIntervalMs: 10, deadline: new Date(Date.now() + 10_000), signal: controller.signal }))).code).toBe('JFROG_CANCELLED');
  });

  it('slow answers beyond the timeout are retried and then reported', async () => {
    const f = await fake({ behaviour: { slowMs: 300 } });
    const e = await failure(client(f, { timeoutMs: 50, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } }).ping());
    expect(e).toMatchObject({ code: 'JFROG_UNAVAILABLE', retryable: true });
    expect(f.requests).toHaveLength(2);
  });
});

describe('XrayClient.verify', () => {
  it('all checks pass against a healthy Xray', async () => {
    const f = await fake();
    const { checks } = await client(f).verify();
    expect(checks.map((c) => [c.name, c.ok])).toEqual([['reachable', true], ['authenticated', true], ['xray-permission', true]]);
  });

  it('reports each failing check with its own code and a fix, without throwing', async () => {
    const f = await fake({ behaviour: { unauthorized: true } });
    const unauth = (await client(f).verify()).checks;
    expect(unauth).toMatchObject([
      { name: 'reachable', ok: true },
      { name: 'authenticated', ok: false, code: 'JFROG_UNAUTHORIZED' },
      { name: 'xray-permission', ok: false, code: 'JFROG_CHECK_SKIPPED' },
    ]);
    expect(unauth[1]!.message).toContain('Access Tokens');

    f.setBehaviour({ forbiddenXray: true });
    const forbidden = (await client(f).verify()).checks;
    expect(forbidden).toMatchObject([
      { name: 'reachable', ok: true },
      { name: 'authenticated', ok: true },
      { name: 'xray-permission', ok: false, code: 'JFROG_FORBIDDEN' },
    ]);
    expect(forbidden[2]!.message).toContain('Xray permission');

    const wrongPath = (await client({ url: `${f.url}/artifactory`, token: f.token }).verify()).checks;
    expect(wrongPath[0]).toMatchObject({ name: 'reachable', ok: false, code: 'JFROG_NOT_FOUND' });
    expect(wrongPath[0]!.message).toContain('without /xray or /artifactory');

    const gone = await rawServer(() => undefined);
    await new Promise<void>((r) => { servers.pop()!.close(() => r()); });
    const down = (await client({ url: gone.url, token: f.token }, { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } }).verify()).checks;
    expect(down).toMatchObject([
      { name: 'reachable', ok: false, code: 'JFROG_UNAVAILABLE' },
      { name: 'authenticated', ok: false, code: 'JFROG_CHECK_SKIPPED' },
      { name: 'xray-permission', ok: false, code: 'JFROG_CHECK_SKIPPED' },
    ]);
    for (const check of [...unauth, ...forbidden, ...wrongPath, ...down]) messages.push(check.message);
  });
});

describe('the token never appears in an error message', () => {
  it('even when the server echoes it back', async () => {
    const token = 'tok-Sup3rS3cret-0123456789';
    const echo = await rawServer((req, res) => {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: `bad header ${req.headers.authorization ?? ''}` }));
    });
    const e = await failure(client({ url: echo.url, token }).ping());
    expect(e.code).toBe('JFROG_BAD_REQUEST');
    expect(e.message).toContain('[redacted]');
    // every message collected by the tests above (this file runs its tests in order)
    expect(messages.length).toBeGreaterThan(15);
    for (const message of messages) expect(message).not.toContain(token);
  });
});
