// Retention of submission detail (SCANHUB_SUBMISSION_RETENTION, migration 0018): old submissions that
// are no longer the latest of their ref drop their findings (occurrences) and keep their verdict and
// counts. What users see must not change where they still look: the findings list, "last seen", the
// trend, the ref's latest report, and how the next push is classified. What is gone says so (410),
// instead of answering an empty report.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { pruneSubmissionDetail } from '../../src/jobs/retention.js';
import { loadProjectReport } from '../../src/reports/load-report.js';
import { startTestApp, submissionForm, type TestApp } from '../helpers/app.js';
import { describeEachBackend } from '../helpers/db.js';

/** A Trivy image report with these CVEs (severity cycling through the list). */
function trivy(ids: number[], severities = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']): string {
  return JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: 'registry.example.com/keep:1.0',
    ArtifactType: 'container_image',
    Results: [
      {
        Target: 'registry.example.com/keep:1.0 (debian 12.5)',
        Class: 'os-pkgs',
        Type: 'debian',
        Vulnerabilities: ids.map((i) => ({
          VulnerabilityID: `CVE-2098-${10000 + i}`,
          PkgName: `libkeep${i}`,
          InstalledVersion: '1.0.0',
          FixedVersion: '1.0.1',
          Severity: severities[i % severities.length],
          Title: `Kept flaw ${i}`,
        })),
      },
    ],
  });
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describeEachBackend('submission retention', (backend) => {
  let app: TestApp;
  beforeEach(async () => {
    app = await startTestApp(backend);
    expect((await app.api('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'keep/app' }) })).status).toBe(201);
  });
  afterEach(async () => app?.close());

  const submit = async (ref: string, ids: number[]) => {
    const res = await app.api('/api/v1/projects/keep%2Fapp/submissions', { method: 'POST', body: submissionForm({ ref }, [{ name: 'trivy.json', content: trivy(ids) }]) });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; counts: Record<string, number>; verdict: { outcome: string } };
  };
  const json = async (path: string) => {
    const res = await app.api(path);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const ageDays = (id: string, days: number) => app.db.query(`UPDATE submissions SET created_at = now() - make_interval(days => $2) WHERE id = $1`, [id, days]);
  const findings = async () => (await json('/api/v1/projects/keep%2Fapp/findings?limit=500')).body.items as { id: string; lastSeenAt: string; firstSeenAt: string }[];
  // The trend chart of the HTML reports (by severity, per submission).
  const trend = async () => (await loadProjectReport(app.db, 'keep/app', {}, new Date())).trend;

  it('drops old submissions\' findings, keeps the latest of each ref, and changes nothing the user still sees', async () => {
    const first = await submit('main', range(0, 40));
    const second = await submit('main', range(10, 50));
    const feature = await submit('feature/x', range(0, 5));
    const latest = await submit('main', range(20, 50));
    for (const [s, days] of [[first, 90], [second, 60], [feature, 60], [latest, 45]] as const) await ageDays(s.id, days);

    const latestReport = async () => ({ ...(await json(`/api/v1/submissions/${latest.id}/report?format=json`)).body, generatedAt: undefined });
    const before = { findings: await findings(), trend: await trend(), latestReport: await latestReport() };
    const occurrences = async (id: string) => (await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM occurrences WHERE submission_id = $1`, [id])).rows[0]!.n;
    expect(await occurrences(first.id)).toBe(40);

    // All four are older than 30 days; only the two that are not their ref's latest go.
    expect(await pruneSubmissionDetail(app.db, new Date(), 30)).toEqual({ submissions: 2, occurrences: 80 });
    expect(await occurrences(first.id)).toBe(0);
    expect(await occurrences(latest.id)).toBe(30);
    expect(await occurrences(feature.id)).toBe(5);
    // Nothing more to do, and nothing younger than the retention is touched.
    expect(await pruneSubmissionDetail(app.db, new Date(), 30)).toEqual({ submissions: 0, occurrences: 0 });

    // What is gone says so; the submission itself (verdict, counts) stays.
    const gone = await json(`/api/v1/submissions/${first.id}/report?format=json`);
    expect(gone.status).toBe(410);
    expect(gone.body).toMatchObject({ error: { code: 'SUBMISSION_PRUNED' } });
    expect((await app.api(`/api/v1/submissions/${second.id}/report?format=csv`)).status).toBe(410);
    expect(await json(`/api/v1/submissions/${first.id}`)).toMatchObject({ status: 200, body: { id: first.id, counts: first.counts, verdict: { outcome: first.verdict.outcome } } });
    expect((await json(`/api/v1/submissions/${first.id}/verdict`)).body).toMatchObject({ outcome: first.verdict.outcome });

    // What the user still looks at is unchanged: findings with their sightings, the trend (kept by severity), the latest report.
    expect(await findings()).toEqual(before.findings);
    expect(before.trend.map((p) => Object.values(p.bySeverity).reduce((a, b) => a + b, 0))).toEqual([40, 40, 5, 30]);
    expect(await trend()).toEqual(before.trend);
    expect(await latestReport()).toEqual(before.latestReport);
    expect((await app.api(`/api/v1/submissions/${feature.id}/report?format=json`)).status).toBe(200);

    // The next push is classified against the kept latest: 10 fixed, 5 new, 25 existing.
    const next = await submit('main', range(25, 55));
    expect(next.counts).toMatchObject({ new: 5, existing: 25, fixed: 5, total: 30 });

    // A policy dry run re-assesses only submissions that still hold their findings.
    const dry = await app.api('/api/v1/projects/keep%2Fapp/policy/dry-run?last=10', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: 'version: 1\nrules:\n  - id: no-critical\n    when: { severity: ">=critical" }\n    action: fail\n' });
    expect(dry.status, await dry.clone().text()).toBe(200);
    const ids = ((await dry.json()) as { items: { submissionId: string }[] }).items.map((i) => i.submissionId).sort();
    expect(ids).toEqual([feature.id, latest.id, next.id].sort());

    // The page of a pruned submission says what happened instead of listing nothing.
    const login = await fetch(`${app.url}/login`, { method: 'POST', body: new URLSearchParams({ token: app.adminToken }), redirect: 'manual' });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = await (await fetch(`${app.url}/submissions/${first.id}`, { headers: { cookie } })).text();
    expect(page).toContain('were pruned by retention');
    expect(page).not.toContain(`/api/v1/submissions/${first.id}/report?format=`);
  });
});
