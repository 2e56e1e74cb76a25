// The OpenAPI 3.1 document: every route of the permission table is described, it is served without
// a token, and its request schemas are the ones the routes validate with (a request they accept
// here is accepted by the server). CI also fuzzes the running server with schemathesis against it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../src/http/permissions.js';
import { buildOpenApi, ROUTE_DOCS } from '../../src/http/openapi.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

type Doc = { openapi: string; paths: Record<string, Record<string, { parameters: { name: string; in: string }[]; requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }; responses: Record<string, unknown> }>> };

describe('OpenAPI document', () => {
  let app: TestApp;
  let doc: Doc;
  beforeAll(async () => {
    app = await startTestApp('pglite');
    const res = await fetch(`${app.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Doc;
  });
  afterAll(async () => app.close());

  it('describes exactly the routes of the permission table, with their path parameters', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(ROUTE_DOCS).sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of API_ROUTES) {
      const path = '/api/v1' + route.path.replace(/:(\w+)/g, '{$1}');
      const op = doc.paths[path]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${path}`).toBeDefined();
      const pathParams = op!.parameters.filter((p) => p.in === 'path').map((p) => p.name);
      expect(pathParams).toEqual((route.path.match(/:(\w+)/g) ?? []).map((p) => p.slice(1)));
      expect(Object.keys(op!.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
  });

  it('generates request schemas from the zod schemas the routes use', () => {
    const create = doc.paths['/api/v1/tokens']!.post!.requestBody!.content['application/json']!.schema as { properties: Record<string, { enum?: string[] }>; required: string[] };
    expect(create.properties.role!.enum).toEqual(['admin', 'security', 'maintainer', 'ci', 'viewer']);
    expect(create.required.sort()).toEqual(['name', 'role']);
    const findings = doc.paths['/api/v1/projects/{project}/findings']!.get!.parameters.map((p) => p.name);
    expect(findings).toEqual(expect.arrayContaining(['severity', 'tool', 'ref', 'cursor', 'limit']));
    expect(() => buildOpenApi('0.0.0')).not.toThrow();
  });

  it('answers 405 with Allow to a method a known path does not have', async () => {
    const res = await app.api('/api/v1/exceptions/import');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    const put = await app.api('/api/v1/projects', { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST, GET');
    expect((await app.api('/api/v1/projects', { method: 'HEAD' })).status).toBe(200);
  });
});
