// The RBAC matrix, generated from the route table (src/http/permissions.ts): every API route × every
// role, plus no token, an expired token, a revoked token and a token of another project. A route
// registered in the app but missing from the table fails the test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, PERMISSIONS, type ApiRoute } from '../../src/http/permissions.js';
import { createToken, ROLES, type Role } from '../../src/security/tokens.js';
import { createScan } from '../../src/bridges/scans.js';
import { startTestApp, submissionForm, type TestApp } from '../helpers/app.js';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

function registeredApiRoutes(app: TestApp): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) {
          for (const path of ([] as string[]).concat(layer.route.path)) out.push(`${method.toUpperCase()} ${path}`);
        }
      } else if (layer.handle?.stack) {
        // The dashboard's router (it owns /login) is session-authenticated: test/e2e/web covers its pages.
        if (layer.handle.stack.some((l) => l.route?.path === '/login')) continue;
        walk(layer.handle.stack);
      }
    }
  };
  walk((app.express.router as unknown as { stack: Layer[] }).stack);
  // Outside /api/v1: health, the API description, and webhooks (authenticated by signature, tested in webhooks.test.ts).
  const pages = new Set(['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /api/openapi.json', 'POST /webhooks/artifactory', 'POST /webhooks/artifactory/:integration', 'POST /webhooks/xray', 'POST /webhooks/xray/:integration', 'POST /webhooks/gitlab', 'POST /webhooks/gitlab/:integration', 'POST /webhooks/sonarqube', 'POST /webhooks/sonarqube/:integration', 'POST /webhooks/nexus-iq', 'POST /webhooks/nexus-iq/:integration', 'GET /notifications/ack/:token']);
  return out.filter((r) => !pages.has(r));
}

describe('RBAC matrix', () => {
  let app: TestApp;
  const tokens = new Map<Role, string>();
  let ids: { submission: string; exception: string; project: string; other: string; integration: string; channel: string; rule: string; scan: string };
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    app = await startTestApp('pglite');
    const mk = async (name: string) => ((await (await app.api('/api/v1/projects', { method: 'POST', headers: json, body: JSON.stringify({ name }) })).json()) as { id: string }).id;
    const project = await mk('rbac/app');
    const other = await mk('rbac/other');
    const sub = await app.api('/api/v1/projects/rbac%2Fapp/submissions', { method: 'POST', body: submissionForm({ ref: 'main' }, [{ name: 's.json', content: '{"version":"1.0.0","results":[],"errors":[]}' }]) });
    const exception = await app.api('/api/v1/exceptions', {
      method: 'POST', headers: json,
      body: JSON.stringify({ project: 'rbac/app', kind: 'false_positive', reason: 'matrix test', owner: 'x', scope: { type: 'vulnerability', id: 'CVE-2024-0001' } }),
    });
    const integration = await app.api('/api/v1/integrations/jenkins', { method: 'POST', headers: json, body: JSON.stringify({ name: 'ci', config: { url: 'https://ci.example.com', user: 'u', apiToken: 't' } }) });
    const channel = await app.api('/api/v1/channels', { method: 'POST', headers: json, body: JSON.stringify({ type: 'webhook', name: 'hook', config: { url: 'https://hooks.example.com/x', signingSecret: 's' } }) });
    const channelId = ((await channel.json()) as { id: string }).id;
    const rule = await app.api('/api/v1/alert-rules', { method: 'POST', headers: json, body: JSON.stringify({ name: 'matrix', event: 'gate.failed', channels: [{ id: channelId }] }) });
    ids = {
      rule: ((await rule.json()) as { id: string }).id,
      project,
      other,
      submission: ((await sub.json()) as { id: string }).id,
      exception: ((await exception.json()) as { id: string }).id,
      integration: ((await integration.json()) as { id: string }).id,
      channel: channelId,
      scan: '',
    };
    // A scan row of the project (the bridge that would run it is not needed to check who may read it),
    // on an integration of its own: the matrix deletes ids.integration, and its scans with it.
    const scanIntegration = await app.api('/api/v1/integrations/jenkins', { method: 'POST', headers: json, body: JSON.stringify({ name: 'scan-ci', config: { url: 'https://ci.example.com', user: 'u', apiToken: 't' } }) });
    ids.scan = await createScan(app.db, { projectId: project, source: 'xray', target: 'docker-local/app:1', integrationId: ((await scanIntegration.json()) as { id: string }).id, requestedBy: 'rbac' });
    for (const role of ROLES) tokens.set(role, await app.token(role));
  });
  afterAll(async () => {
    await app.close();
  });

  const url = (r: ApiRoute) =>
    '/api/v1' +
    r.path
      .replace(':project', 'rbac%2Fapp')
      .replace(':kind', 'jenkins')
      .replace(':id', idFor(r.path));

  const idFor = (path: string) => {
    if (path.startsWith('/submissions')) return ids.submission;
    if (path.startsWith('/exceptions')) return ids.exception;
    if (path.startsWith('/integrations')) return ids.integration;
    if (path.startsWith('/channels')) return ids.channel;
    if (path.startsWith('/alert-rules')) return ids.rule;
    if (path.startsWith('/scans')) return ids.scan;
    return '00000000-0000-4000-8000-000000000000';
  };

  const send = (r: ApiRoute, token: string) =>
    app.api(url(r), {
      method: r.method,
      token,
      ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { headers: json, body: '{}' }),
    });

  it('lists every registered API route in the permission table', () => {
    const table = new Set(API_ROUTES.map((r) => `${r.method} ${r.path}`));
    const registered = registeredApiRoutes(app);
    expect(registered.length).toBeGreaterThan(20);
    expect(registered.filter((r) => !table.has(r))).toEqual([]);
    expect([...table].filter((r) => !registered.includes(r))).toEqual([]);
  });

  for (const route of API_ROUTES) {
    it(`${route.method} ${route.path}: roles ${PERMISSIONS[route.action].join(', ')}`, async () => {
      expect((await send(route, '')).status).toBe(401);
      for (const role of ROLES) {
        const status = (await send(route, tokens.get(role)!)).status;
        const allowed = (PERMISSIONS[route.action] as readonly Role[]).includes(role);
        if (allowed) expect([401, 403], `${role} should pass ${route.method} ${route.path} (got ${status})`).not.toContain(status);
        else expect(status, `${role} must be refused ${route.method} ${route.path}`).toBe(403);
      }
    });
  }

  it('refuses expired and revoked tokens everywhere', async () => {
    const expired = await createToken(app.db, { name: 'expired', role: 'admin', expiresAt: new Date(Date.now() - 1000) });
    const revoked = await createToken(app.db, { name: 'revoked', role: 'admin' });
    await app.db.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1', [revoked.id]);
    for (const route of API_ROUTES) {
      expect((await send(route, expired.token)).status, `${route.method} ${route.path}`).toBe(401);
      expect((await send(route, revoked.token)).status, `${route.method} ${route.path}`).toBe(401);
    }
  });

  it('refuses a token of another project on project routes', async () => {
    const scoped = await app.token('admin', ids.other);
    for (const route of API_ROUTES.filter((r) => r.projectScoped)) {
      expect((await send(route, scoped)).status, `${route.method} ${route.path}`).toBe(403);
    }
  });

  it('keeps organisation-wide integrations away from project-scoped tokens', async () => {
    const scoped = await app.token('admin', ids.project);
    const integration = await app.api('/api/v1/integrations/jenkins', { method: 'POST', headers: json, body: JSON.stringify({ name: 'org-ci', config: { url: 'https://ci.example.com', user: 'u', apiToken: 't' } }) });
    const channel = await app.api('/api/v1/channels', { method: 'POST', headers: json, body: JSON.stringify({ type: 'webhook', name: 'org-hook', config: { url: 'https://hooks.example.com/x', signingSecret: 's' } }) });
    const [integrationId, channelId] = [((await integration.json()) as { id: string }).id, ((await channel.json()) as { id: string }).id];
    expect((await app.api(`/api/v1/integrations/jenkins/${integrationId}`, { token: scoped })).status).toBe(403);
    expect((await app.api(`/api/v1/channels/${channelId}`, { method: 'DELETE', token: scoped })).status).toBe(403);
    expect((await app.api(`/api/v1/channels/${channelId}`)).status).toBe(200);
    const list = (await (await app.api('/api/v1/channels', { token: scoped })).json()) as { items: unknown[] };
    expect(list.items).toEqual([]);
    const own = await app.api('/api/v1/channels', {
      method: 'POST', token: scoped, headers: json,
      body: JSON.stringify({ type: 'webhook', name: 'team-hook', config: { url: 'https://hooks.example.com/team', signingSecret: 's' } }),
    });
    expect(own.status).toBe(201);
    expect(((await own.json()) as { projectId: string }).projectId).toBe(ids.project);
  });
});
