import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectVersions, VersionedCache } from './cache.js';
import { startTestApp, submissionForm, type TestApp } from '../../test/helpers/app.js';

describe('VersionedCache', () => {
  it('answers only for the same version, within the time to live, and evicts the oldest', () => {
    const cache = new VersionedCache<number>(1000, 2);
    cache.set('a', 'v1', 1, 0);
    expect(cache.get('a', 'v1', 500)).toBe(1);
    expect(cache.get('a', 'v2', 500)).toBeUndefined();
    expect(cache.get('a', 'v1', 1500)).toBeUndefined();
    cache.set('b', 'v1', 2, 0);
    cache.set('c', 'v1', 3, 0);
    expect(cache.get('a', 'v1', 10)).toBeUndefined();
    expect(cache.get('c', 'v1', 10)).toBe(3);
  });
});

describe('projectVersions', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('changes with every submission to the project', async () => {
    const res = await app.api('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'cache/app' }) });
    const { id } = (await res.json()) as { id: string };
    let previous = (await projectVersions(app.db, [id])).get(id);
    const report = JSON.stringify({ version: '1.0.0', results: [], errors: [] });
    for (const ref of ['main', 'main']) {
      await app.api('/api/v1/projects/cache%2Fapp/submissions', { method: 'POST', body: submissionForm({ ref }, [{ name: 'semgrep.json', content: report }]) });
      const after = (await projectVersions(app.db, [id])).get(id);
      expect(after).not.toBe(previous);
      previous = after;
    }
    const [v1, v2] = [(await projectVersions(app.db, [id])).get(id), (await projectVersions(app.db, [id])).get(id)];
    expect(v1).toBe(v2);
  });
});
