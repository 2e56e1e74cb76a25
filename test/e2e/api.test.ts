import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, tableCounts } from '../helpers/db.js';
import { startTestApp, submissionForm, type TestApp } from '../helpers/app.js';
import { WindowLimiter } from '../../src/security/rate-limit.js';

const json = { 'content-type': 'application/json' };

describeEachBackend('HTTP API', (backend) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(backend, { env: { SCANHUB_MAX_UPLOAD: '64kb' } });
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers liveness and readiness without a token', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: true, migrations: true, draining: false } });
  });

  it('refuses every API route without a valid token, with a coded error', async () => {
    for (const path of ['/api/v1/projects', '/api/v1/scanners', '/api/v1/submissions/00000000-0000-0000-0000-000000000000']) {
      const res = await app.api(path, { token: '' });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    }
    const wrong = await app.api('/api/v1/projects', { token: 'shk_not-a-real-token' });
    expect(wrong.status).toBe(401);
  });

  it('creates and lists projects by name with a slash, and refuses duplicates and bad names', async () => {
    const created = await app.api('/api/v1/projects', { method: 'POST', body: JSON.stringify({ name: 'team/api' }), headers: json });
    expect(created.status).toBe(201);
    const project = (await created.json()) as { id: string; name: string };
    expect(project.name).toBe('team/api');
    const byName = await app.api('/api/v1/projects/team%2Fapi');
    expect(((await byName.json()) as { id: string }).id).toBe(project.id);
    const byId = await app.api(`/api/v1/projects/${project.id}`);
    expect(byId.status).toBe(200);
    const dup = await app.api('/api/v1/projects', { method: 'POST', body: JSON.stringify({ name: 'team/api' }), headers: json });
    expect(dup.status).toBe(409);
    const bad = await app.api('/api/v1/projects', { method: 'POST', body: JSON.stringify({ name: '../etc' }), headers: json });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
    const list = (await (await app.api('/api/v1/projects')).json()) as { items: { name: string }[] };
    expect(list.items.map((p) => p.name)).toContain('team/api');
    const missing = await app.api('/api/v1/projects/nope%2Fnope/findings');
    expect(missing.status).toBe(404);
  });

  it('limits what roles and project-scoped tokens may do', async () => {
    const viewer = await app.token('viewer');
    const res = await app.api('/api/v1/projects', { method: 'POST', body: JSON.stringify({ name: 'v/p' }), headers: json, token: viewer });
    expect(res.status).toBe(403);
    const other = (await (await app.api('/api/v1/projects', { method: 'POST', body: JSON.stringify({ name: 'team/other' }), headers: json })).json()) as { id: string };
    const scoped = await app.token('ci', other.id);
    const denied = await app.api('/api/v1/projects/team%2Fapi/submissions', { method: 'POST', body: submissionForm({ ref: 'main' }, [{ name: 'a.json', content: '{}' }]), token: scoped });
    expect(denied.status).toBe(403);
    const visible = (await (await app.api('/api/v1/projects', { token: scoped })).json()) as { items: { name: string }[] };
    expect(visible.items.map((p) => p.name)).toEqual(['team/other']);
  });

  it('refuses an oversized upload with 413 and stores nothing', async () => {
    const before = await tableCounts(app.db);
    const big = '{"results":[' + '"x",'.repeat(40_000) + '"x"]}';
    const res = await app.api('/api/v1/projects/team%2Fapi/submissions', { method: 'POST', body: submissionForm({ ref: 'main' }, [{ name: 'big.json', content: big }]) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await tableCounts(app.db)).toEqual(before);
  });

  it('validates submission fields and content type', async () => {
    const noRef = await app.api('/api/v1/projects/team%2Fapi/submissions', { method: 'POST', body: submissionForm({}, [{ name: 'a.json', content: '{}' }]) });
    expect(noRef.status).toBe(400);
    const noFiles = await app.api('/api/v1/projects/team%2Fapi/submissions', { method: 'POST', body: submissionForm({ ref: 'main' }, []) });
    expect(noFiles.status).toBe(422);
    expect(((await noFiles.json()) as { error: { code: string } }).error.code).toBe('NO_REPORTS');
    const asJson = await app.api('/api/v1/projects/team%2Fapi/submissions', { method: 'POST', body: '{}', headers: json });
    expect(asJson.status).toBe(415);
    const unknownTool = await app.api('/api/v1/projects/team%2Fapi/submissions', { method: 'POST', body: submissionForm({ ref: 'main', tool: 'nessus' }, [{ name: 'a.json', content: '{}' }]) });
    expect(unknownTool.status).toBe(422);
    expect(((await unknownTool.json()) as { error: { code: string } }).error.code).toBe('UNKNOWN_TOOL');
  });

  it('lists the scanner plugins and their formats', async () => {
    const res = (await (await app.api('/api/v1/scanners')).json()) as { items: { id: string; formats: unknown[] }[] };
    expect(res.items.map((s) => s.id)).toEqual(expect.arrayContaining(['semgrep', 'trivy']));
  });

  it('answers unknown paths with a coded 404', async () => {
    const res = await app.api('/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });
});

describeEachBackend('tokens and audit', (backend) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(backend);
  });
  afterAll(async () => {
    await app.close();
  });

  it('creates a token shown once, lists tokens without secrets, and revokes it', async () => {
    const created = await app.api('/api/v1/tokens', { method: 'POST', headers: json, body: JSON.stringify({ name: 'gitlab ci', role: 'ci' }) });
    expect(created.status).toBe(201);
    const { id, token } = (await created.json()) as { id: string; token: string };
    expect(token).toMatch(/^shk_/);
    expect((await app.api('/api/v1/projects', { token })).status).toBe(200);
    const list = await (await app.api('/api/v1/tokens')).text();
    expect(list).toContain('gitlab ci');
    expect(list).not.toContain(token);
    const { rows } = await app.db.query<{ token_hash: string }>('SELECT token_hash FROM api_tokens WHERE id = $1', [id]);
    expect(rows[0]!.token_hash).not.toContain(token);
    expect((await app.api(`/api/v1/tokens/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await app.api('/api/v1/projects', { token })).status).toBe(401);
    expect((await app.api('/api/v1/tokens', { token: await app.token('security') })).status).toBe(403);
  });

  it('records changes in the audit log, readable by admin and security only', async () => {
    await app.api('/api/v1/projects', { method: 'POST', body: JSON.stringify({ name: 'audit/app' }), headers: json });
    const res = await app.api('/api/v1/audit?action=project.create', { token: await app.token('security') });
    expect(res.status).toBe(200);
    const items = ((await res.json()) as { items: { actor: string; targetType: string; after: { name: string } }[] }).items;
    expect(items[0]).toMatchObject({ actor: 'token:test-admin', targetType: 'project', after: { name: 'audit/app' } });
    expect((await app.api('/api/v1/audit', { token: await app.token('maintainer') })).status).toBe(403);
    const tokenEvents = await (await app.api('/api/v1/audit?targetType=token')).text();
    expect(tokenEvents).not.toMatch(/shk_/);
  });

  it('sends security headers', async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('x-powered-by')).toBeNull();
    // CORS is off: no cross-origin reads of the API from browsers.
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('authentication failures', () => {
  it('are limited per client address: 429 with Retry-After, and a good token still needs the window to pass', async () => {
    let now = 1_000_000;
    const app = await startTestApp('pglite', { authLimiter: new WindowLimiter(3, 60_000, () => now) });
    try {
      for (let i = 0; i < 3; i++) expect((await app.api('/api/v1/projects', { token: `shk_wrong-${i}` })).status).toBe(401);
      const limited = await app.api('/api/v1/projects', { token: 'shk_wrong-again' });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('60');
      expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
      expect((await app.api('/api/v1/projects')).status).toBe(429);
      now += 60_000;
      expect((await app.api('/api/v1/projects')).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('API rate limit per token', () => {
  it('answers 429 with Retry-After to a token over SCANHUB_API_RATE_LIMIT while other tokens carry on', async () => {
    const app = await startTestApp('pglite', { env: { SCANHUB_API_RATE_LIMIT: '5' } });
    try {
      const busy = await app.token('viewer');
      for (let i = 0; i < 5; i++) expect((await app.api('/api/v1/projects', { token: busy })).status).toBe(200);
      const limited = await app.api('/api/v1/projects', { token: busy });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await limited.json()) as { error: { message: string } }).error.message).toContain('more than 5 requests');
      expect((await app.api('/api/v1/projects')).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
