// The fake Nexus IQ speaks the contract: Basic auth, lookup, reports per stage, raw data = corpus
// bytes, policy data derived from it, evaluation state machine, misbehaviour on demand.
import { afterEach, expect, it } from 'vitest';
import { describeCorpus } from '../../helpers/corpus.js';
import { IQ_CORPUS, iqCorpusJson, startFakeNexusIq, type FakeNexusIq } from './index.js';

const fakes: FakeNexusIq[] = [];
afterEach(async () => { await Promise.all(fakes.splice(0).map((f) => f.close())); });

async function get(f: FakeNexusIq, path: string, auth = `${f.user}:${f.token}`, init: RequestInit = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(f.url + path, { ...init, headers: { Authorization: `Basic ${Buffer.from(auth).toString('base64')}`, 'Content-Type': 'application/json' } });
  const text = await response.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* kept as text */ }
  return { status: response.status, body, headers: response.headers };
}

describeCorpus('fake Nexus IQ', () => {
  it('serves lookup, reports, corpus raw data and derived policy data behind Basic auth', async () => {
    const f = await startFakeNexusIq({ applications: [{ id: 'app-1', publicId: 'shop', name: 'Shop', waived: ['CVE-2016-2402'] }] });
    fakes.push(f);
    expect((await get(f, '/api/v2/applications', 'x:y')).status).toBe(401);
    expect((await get(f, '/api/v2/applications?publicId=shop')).body).toMatchObject({ applications: [{ id: 'app-1', publicId: 'shop' }] });
    expect((await get(f, '/api/v2/applications?publicId=nope')).body).toEqual({ applications: [] });
    const reports = (await get(f, '/api/v2/reports/applications/app-1')).body as { stage: string; reportDataUrl: string }[];
    expect(reports.map((r) => r.stage)).toEqual(['build']);
    const scanId = f.reports.get('shop/build')!.scanId;
    expect(reports[0]!.reportDataUrl).toBe(`api/v2/applications/shop/reports/${scanId}/raw`);
    expect((await get(f, '/api/v2/reports/applications/nope')).status).toBe(404);
    expect((await get(f, `/api/v2/applications/shop/reports/${scanId}/raw`)).body).toEqual(iqCorpusJson(IQ_CORPUS.many));
    const policy = (await get(f, `/api/v2/applications/shop/reports/${scanId}/policy`)).body as { application: { publicId: string }; components: { violations: { policyName: string; waived: boolean }[] }[] };
    expect(policy.application.publicId).toBe('shop');
    expect(policy.components.flatMap((c) => c.violations.map((v) => [v.policyName, v.waived]))).toEqual([
      ['Security-Medium', false], ['Security-High', false], ['Security-High', false], ['Security-Medium', true], ['Security-Medium', false], ['Security-Medium', false],
    ]);
    expect(f.requests).toHaveLength(7);
  });

  it('evaluations stay PENDING for N polls, then complete with a new latest report; misbehaves on demand', async () => {
    const f = await startFakeNexusIq({ pendingPolls: 1 });
    fakes.push(f);
    const app = f.applications[0]!;
    const ticket = (await get(f, `/api/v2/evaluation/applications/${app.id}/sourceControlEvaluation`, undefined, { method: 'POST', body: JSON.stringify({ branchName: 'main', stageId: 'develop' }) })).body as { statusUrl: string };
    expect((await get(f, `/${ticket.statusUrl}`)).body).toEqual({ status: 'PENDING' });
    const done = (await get(f, `/${ticket.statusUrl}`)).body as { status: string; reportDataUrl: string };
    expect(done.status).toBe('COMPLETED');
    expect(done.reportDataUrl).toContain(f.reports.get(`${app.publicId}/develop`)!.scanId);
    expect(((await get(f, `/${ticket.statusUrl}`)).body as { reportDataUrl: string }).reportDataUrl).toBe(done.reportDataUrl);

    f.setBehaviour({ storm429: { count: 1, retryAfterSeconds: 7 }, fail500: 1 });
    const limited = await get(f, '/api/v2/applications');
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7']);
    expect((await get(f, '/api/v2/applications')).status).toBe(500);
    expect((await get(f, '/api/v2/applications')).status).toBe(200);
    f.setBehaviour({ malformedJson: true });
    expect(typeof (await get(f, '/api/v2/applications')).body).toBe('string');
    f.setBehaviour({ forbidden: true });
    expect((await get(f, '/api/v2/applications')).status).toBe(403);
    f.setBehaviour({ slowMs: 60 });
    const started = Date.now();
    await get(f, '/api/v2/applications');
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });
});
