// The fake SonarQube answers like SonarQube: corpus bodies, true paging, the result window refused
// with SonarQube's 400 body, token and permission checks, and misbehaviour on demand.
import { afterEach, expect, it } from 'vitest';
import { describeCorpus } from '../../helpers/corpus.js';
import { startFakeSonarQube, syntheticIssues, type FakeSonarQube } from './index.js';

const fakes: FakeSonarQube[] = [];
afterEach(async () => Promise.all(fakes.splice(0).map((f) => f.close())));

async function get(f: FakeSonarQube, path: string, auth: string | null = `Bearer ${f.token}`): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(`${f.url}/${path}`, { headers: auth ? { Authorization: auth } : {} });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // malformed on purpose
  }
  return { status: response.status, body, headers: response.headers };
}

describeCorpus('fake SonarQube', () => {
  it('serves the corpus issues with true paging and refuses past the result window like SonarQube', async () => {
    const f = await startFakeSonarQube({ projects: [{ key: 'p', issues: syntheticIssues('p', 25), hotspots: [] }], resultWindow: 20 });
    fakes.push(f);
    const second = await get(f, 'api/issues/search?components=p&p=2&ps=10');
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ paging: { pageIndex: 2, pageSize: 10, total: 25 } });
    expect((second.body as { issues: { key: string }[] }).issues.map((i) => i.key)[0]).toBe('SYN-p-000010');
    expect(await get(f, 'api/issues/search?components=p&p=3&ps=10')).toMatchObject({ status: 400, body: { errors: [{ msg: 'Can return only the first 20 results. 30th result asked.' }] } });
    const window = await get(f, `api/issues/search?components=p&createdAfter=${encodeURIComponent('2024-01-01T00:00:05+0000')}&createdBefore=${encodeURIComponent('2024-01-01T00:00:08+0000')}&ps=10`);
    expect((window.body as { issues: unknown[] }).issues).toHaveLength(3);
  });

  it('checks tokens (Bearer from 10.0, Basic always), permissions and unknown projects', async () => {
    const f = await startFakeSonarQube({ projects: [{ key: 'locked', issues: [], hotspots: [], forbidden: true }] });
    fakes.push(f);
    expect((await get(f, 'api/system/status', null)).body).toMatchObject({ status: 'UP', version: '10.6.0.92116' });
    expect((await get(f, 'api/authentication/validate', null)).body).toEqual({ valid: false });
    expect((await get(f, 'api/authentication/validate', 'Bearer wrong')).status).toBe(401);
    expect((await get(f, 'api/authentication/validate', `Basic ${Buffer.from(`${f.token}:`).toString('base64')}`)).body).toEqual({ valid: true });
    expect(await get(f, 'api/components/show?component=locked')).toMatchObject({ status: 403, body: { errors: [{ msg: 'Insufficient privileges' }] } });
    expect((await get(f, 'api/issues/search?components=nope')).status).toBe(404);
    const old = await startFakeSonarQube({ version: '9.9.0.65466' });
    fakes.push(old);
    expect((await get(old, 'api/authentication/validate')).status).toBe(401);
  });

  it('serves the DefectDojo importer fixtures wrapped as SonarQube does', async () => {
    const f = await startFakeSonarQube();
    fakes.push(f);
    const issues = await get(f, 'api/issues/search?componentKeys=internal.dummy.project');
    expect((issues.body as { issues: unknown[] }).issues).toHaveLength(3);
    expect((issues.body as { components: { key: string; path?: string }[] }).components).toContainEqual(expect.objectContaining({ key: 'internal.dummy.project:src/main/javascript/TranslateDirective.ts', path: 'src/main/javascript/TranslateDirective.ts' }));
    expect((await get(f, 'api/hotspots/search?project=internal.dummy.project&status=TO_REVIEW')).body).toMatchObject({ paging: { total: 2 } });
    expect((await get(f, 'api/rules/show?key=typescript:S1854')).body).toMatchObject({ rule: { key: 'typescript:S1854', name: 'Dead stores should be removed' }, actives: [] });
    expect((await get(f, 'api/rules/show?key=x:y')).status).toBe(404);
  });

  it('misbehaves on demand: 429 with Retry-After, 500, malformed JSON, slowness; records every request', async () => {
    const f = await startFakeSonarQube({ behaviour: { storm429: { count: 1, retryAfterSeconds: 7 }, fail500: 1 } });
    fakes.push(f);
    const limited = await get(f, 'api/system/status');
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7']);
    expect((await get(f, 'api/system/status')).status).toBe(500);
    f.setBehaviour({ malformedJson: true, slowMs: 120 });
    const started = Date.now();
    const garbled = await get(f, 'api/system/status');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(typeof garbled.body).toBe('string');
    expect(f.requests).toHaveLength(3);
    expect(f.calls('api/system/status')).toHaveLength(3);
  });
});
