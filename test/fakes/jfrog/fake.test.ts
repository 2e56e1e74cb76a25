// The fake JFrog itself: corpus bodies on the contract's routes, auth, the scan state machine,
// pagination, misbehaviour switches, the rate measurement, and the Artifactory webhook sender
// (envelope identical to the corpus sample, MANIFEST's HMAC test vectors).
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { artifactoryPushBody, maxInAnyWindow, sendArtifactoryWebhook, signArtifactoryBody, startFakeJfrog, xrayCorpusBytes, xrayCorpusJson, type FakeJfrog, type FakeJfrogOptions } from './index.js';

const fakes: FakeJfrog[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); })));
});

async function fake(options: FakeJfrogOptions = {}): Promise<FakeJfrog> {
  const f = await startFakeJfrog(options);
  fakes.push(f);
  return f;
}

async function call(f: FakeJfrog, method: string, path: string, body?: unknown, token: string | null = f.token): Promise<{ status: number; text: string; json: () => unknown; headers: Headers }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${f.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as unknown, headers: res.headers };
}

const status = async (f: FakeJfrog, repo: string, path: string): Promise<string> =>
  ((await call(f, 'POST', '/xray/api/v1/artifact/status', { repo, path })).json() as { overall: { status: string } }).overall.status;

describe('fake JFrog: Xray REST', () => {
  it('listens on 127.0.0.1, checks the Bearer token (401 {"error"}) and answers ping', async () => {
    const f = await fake({ token: 'abc' });
    expect(new URL(f.url).hostname).toBe('127.0.0.1');
    expect((await call(f, 'GET', '/xray/api/v1/system/ping')).json()).toEqual({ status: 'pong' });
    const noToken = await call(f, 'GET', '/xray/api/v1/system/ping', undefined, null);
    expect(noToken.status).toBe(401);
    expect(noToken.json()).toEqual({ error: 'Unauthorized' });
    expect((await call(f, 'GET', '/xray/api/v1/system/ping', undefined, 'abd')).status).toBe(401);
    expect(f.requests.map((r) => [r.method, r.path, r.status])).toEqual([['GET', '/xray/api/v1/system/ping', 200], ['GET', '/xray/api/v1/system/ping', 401], ['GET', '/xray/api/v1/system/ping', 401]]);
    expect((await call(f, 'GET', '/xray/api/v1/nope')).status).toBe(404);
  });

  it('moves each artifact PENDING → SCANNING → DONE one status poll at a time (configurable), with corpus bodies', async () => {
    const f = await fake({ scanSteps: { pending: 2, scanning: 1 } });
    const seen = [];
    for (let i = 0; i < 5; i++) seen.push(await status(f, 'docker-local', 'app/1.0/manifest.json'));
    expect(seen).toEqual(['PENDING', 'PENDING', 'SCANNING', 'DONE', 'DONE']);
    expect(await status(f, 'docker-local', 'other/2.0/manifest.json')).toBe('PENDING'); // per artifact
    const done = await call(f, 'POST', '/xray/api/v1/artifact/status', { repo: 'docker-local', path: 'app/1.0/manifest.json' });
    expect(done.json()).toEqual(xrayCorpusJson('xray-artifact-status-done.clientgo.json'));
    expect(await status(f, 'r', 'path/to/unsupported-artifact')).toBe('NOT_SUPPORTED');
    expect((await call(f, 'POST', '/xray/api/v1/artifact/status', { repo: 'r' })).status).toBe(400);
    // scanArtifact of docker://app:1.0 restarts that tag's state machine
    expect((await call(f, 'POST', '/xray/api/v1/scanArtifact', { componentID: 'docker://app:1.0' })).json()).toEqual({ info: 'Scan of artifact is in progress' });
    expect(await status(f, 'docker-local', 'app/1.0/manifest.json')).toBe('PENDING');
    expect(f.state.scanRequests).toEqual(['docker://app:1.0']);
    expect((await call(f, 'POST', '/xray/api/v1/scanArtifact', { componentID: 'app:1.0' })).status).toBe(415);
  });

  it('serves summary v2 from the corpus, v1 too, and 404s v2 on request', async () => {
    const f = await fake();
    expect((await call(f, 'POST', '/xray/api/v2/summary/artifact', { checksums: ['00'] })).json()).toEqual(xrayCorpusJson('xray-artifact-summary-v2-docker.clientgo.json'));
    expect((await call(f, 'POST', '/xray/api/v1/summary/artifact', { paths: ['default/r/x/'] })).json()).toEqual(xrayCorpusJson('xray-artifact-summary-v1-docker-one-issue.dd.json'));
    expect((await call(f, 'POST', '/xray/api/v2/summary/artifact', {})).status).toBe(400);
    f.state.summaryV2 = 404;
    expect((await call(f, 'POST', '/xray/api/v2/summary/artifact', { checksums: ['00'] })).status).toBe(404);
  });

  it('pages violations by 1-based page number with total_violations over all pages; details URLs point back at the fake', async () => {
    const f = await fake();
    const corpus = xrayCorpusJson<{ violations: { issue_id: string }[] }>('xray-violations-list-page1.siem.json').violations;
    const page = (offset: number, limit: number, filters: object = {}) =>
      call(f, 'POST', '/xray/api/v1/violations', { filters, pagination: { limit, offset } }).then((r) => r.json() as { total_violations: number; violations: { issue_id: string; violation_details_url: string }[] });
    const p3 = await page(3, 10);
    expect(p3.total_violations).toBe(25);
    expect(p3.violations.map((v) => v.issue_id)).toEqual(corpus.slice(20, 25).map((v) => v.issue_id));
    expect((await page(4, 10)).violations).toEqual([]);
    const defaults = (await call(f, 'POST', '/xray/api/v1/violations', { filters: {} })).json() as { violations: unknown[] };
    expect(defaults.violations).toHaveLength(25); // limit 25, offset 1 by default
    expect((await page(1, 25, { watch_name: 'license-watch' })).total_violations).toBe(6);
    expect((await call(f, 'POST', '/xray/api/v1/violations', { pagination: { limit: 0, offset: 1 } })).status).toBe(400);
    const details = new URL(p3.violations[0]!.violation_details_url);
    expect(details.origin).toBe(f.url);
    const detail = await call(f, 'GET', `${details.pathname}${details.search}`);
    expect(detail.json()).toEqual(xrayCorpusJson('xray-violation-details.siem.json'));
  });

  it('db sync: status idle, startOfflineSync → running for two polls → idle', async () => {
    const f = await fake();
    const get = async () => (await call(f, 'GET', '/xray/api/v1/updates/getStatus')).json() as { state: string };
    expect((await get()).state).toBe('idle');
    expect((await call(f, 'POST', '/xray/api/v1/updates/startOfflineSync')).json()).toEqual({ info: 'Local updates started' });
    expect([(await get()).state, (await get()).state]).toEqual(['running', 'idle']);
  });
});

describe('fake JFrog: misbehaviour on demand', () => {
  it('storm429 with Retry-After, then fail500, then normal; setBehaviour replaces and restarts counters', async () => {
    const f = await fake({ behaviour: { storm429: { count: 2, retryAfterSeconds: 3 }, fail500: 1 } });
    const a = await call(f, 'GET', '/xray/api/v1/system/ping');
    expect([a.status, a.headers.get('retry-after')]).toEqual([429, '3']);
    expect((await call(f, 'GET', '/xray/api/v1/system/ping')).status).toBe(429);
    const b = await call(f, 'GET', '/xray/api/v1/system/ping');
    expect([b.status, b.json()]).toEqual([500, { error: 'internal server error' }]);
    expect((await call(f, 'GET', '/xray/api/v1/system/ping')).status).toBe(200);
    f.setBehaviour({ fail500: 1 });
    expect((await call(f, 'GET', '/xray/api/v1/system/ping')).status).toBe(500);
    f.setBehaviour({});
    expect((await call(f, 'GET', '/xray/api/v1/system/ping')).status).toBe(200);
  });

  it('unauthorized → 401 even with the right token; forbiddenXray → 403 except ping; malformedJson → truncated 200 body', async () => {
    const f = await fake({ behaviour: { unauthorized: true } });
    expect((await call(f, 'GET', '/xray/api/v1/system/ping')).status).toBe(401);
    f.setBehaviour({ forbiddenXray: true });
    expect((await call(f, 'GET', '/xray/api/v1/system/ping')).status).toBe(200);
    expect((await call(f, 'POST', '/xray/api/v1/violations', {})).status).toBe(403);
    f.setBehaviour({ malformedJson: true });
    const bad = await call(f, 'GET', '/xray/api/v1/system/ping');
    expect(bad.status).toBe(200);
    expect(() => bad.json()).toThrow();
  });

  it('slowMs delays every answer', async () => {
    const f = await fake({ behaviour: { slowMs: 120 } });
    const started = performance.now();
    await call(f, 'GET', '/xray/api/v1/system/ping');
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });

  it('measures the rate from arrival times: a burst of 8 counts 8 in 1 s, spaced requests count 1', async () => {
    const f = await fake();
    await Promise.all(Array.from({ length: 8 }, () => call(f, 'GET', '/xray/api/v1/system/ping')));
    expect(f.maxRequestsInAnyWindow(1000)).toBe(8);
    const g = await fake();
    for (let i = 0; i < 3; i++) {
      await call(g, 'GET', '/xray/api/v1/system/ping');
      await new Promise((r) => setTimeout(r, 60));
    }
    expect(g.maxRequestsInAnyWindow(50)).toBe(1);
    expect(g.maxRequestsInAnyWindow(1000)).toBe(3);
  });

  it('maxInAnyWindow uses half-open windows [t, t + w)', () => {
    expect(maxInAnyWindow([], 1000)).toBe(0);
    expect(maxInAnyWindow([0, 200, 400, 600, 800, 1000], 1000)).toBe(5);
    expect(maxInAnyWindow([0, 200, 400, 600, 800, 999], 1000)).toBe(6);
    expect(maxInAnyWindow([5000, 0, 4999, 4998], 10)).toBe(3);
  });
});

describe('Artifactory webhook sender', () => {
  async function receiver(): Promise<{ url: string; got: { headers: IncomingHttpHeaders; raw: Buffer }[] }> {
    const got: { headers: IncomingHttpHeaders; raw: Buffer }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({ headers: req.headers, raw: Buffer.concat(chunks) });
        res.writeHead(202).end('ok');
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/jfrog`, got };
  }

  const ubuntu = {
    repoKey: 'docker-remote-cache',
    imageName: 'library/ubuntu',
    tag: 'latest',
    sha256: '35c4a2c15539c6c1e4e5fa4e554dac323ad0107d8eb5c582d6ff386b383b7dce',
    size: 1206,
    platforms: ['amd64', 'arm', 'arm64', 'ppc64le', 's390x'].map((architecture) => ({ architecture, os: 'linux' })),
  };

  it('builds the docker pushed envelope exactly like the corpus samples (keys and order)', () => {
    const body = artifactoryPushBody(ubuntu);
    const sample = xrayCorpusJson('artifactory-webhook-docker-pushed.keel.json');
    expect(body).toEqual(sample);
    expect(JSON.stringify(body)).toBe(JSON.stringify(sample));
    expect(body.data).toEqual(xrayCorpusJson('artifactory-webhook-docker-pushed-data.jfrog-docs.json'));
    const single = artifactoryPushBody({ repoKey: 'docker-local', imageName: 'shop/api', tag: '1.4.2', sha256: 'a'.repeat(64) });
    expect(single.data).toMatchObject({ path: 'shop/api/1.4.2/manifest.json', name: 'manifest.json', image_name: 'shop/api', tag: '1.4.2' });
    expect('platforms' in single.data).toBe(false);
  });

  it('HMAC-SHA256 matches the MANIFEST test vectors', () => {
    expect(signArtifactoryBody('key', 'The quick brown fox jumps over the lazy dog')).toBe('f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
    const keel = xrayCorpusBytes('artifactory-webhook-docker-pushed.keel.json');
    expect(keel.length).toBe(918);
    expect(signArtifactoryBody('mysupersecrettoken', keel)).toBe('3eafebd0f0e00443289c7b0ff5527381269f9067d13b9cd9be6df46d6fec4c25');
  });

  it('sends X-JFrog-Event-Auth as the plain secret or the hex HMAC of the exact bytes sent, or not at all', async () => {
    const r = await receiver();
    const keel = xrayCorpusBytes('artifactory-webhook-docker-pushed.keel.json');
    const hmac = await sendArtifactoryWebhook(r.url, keel, { secret: 'mysupersecrettoken', mode: 'hmac' });
    expect(hmac.status).toBe(202);
    await sendArtifactoryWebhook(r.url, artifactoryPushBody(ubuntu), { secret: 's3cret', mode: 'plain' });
    await sendArtifactoryWebhook(r.url, artifactoryPushBody(ubuntu));
    const [first, second, third] = r.got;
    expect(first!.headers['x-jfrog-event-auth']).toBe('3eafebd0f0e00443289c7b0ff5527381269f9067d13b9cd9be6df46d6fec4c25');
    expect(createHash('sha256').update(first!.raw).digest('hex')).toBe('80694d101893915f165ff53d9ef22abea395eab25f70cb73a1f8b718a43714a0');
    expect(first!.headers['content-type']).toBe('application/json');
    expect(second!.headers['x-jfrog-event-auth']).toBe('s3cret');
    expect(JSON.parse(second!.raw.toString('utf8'))).toEqual(artifactoryPushBody(ubuntu));
    expect(third!.headers['x-jfrog-event-auth']).toBeUndefined();
  });
});
