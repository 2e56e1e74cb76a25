// The ingest pipeline through the real HTTP API: history per ref, cross-tool identity, atomicity,
// idempotency. Runs on PGlite and, when TEST_DATABASE_URL is set, on PostgreSQL.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { projectRoot } from '../helpers/corpus.js';
import { describeEachBackend, tableCounts } from '../helpers/db.js';
import { startTestApp, submissionForm, type TestApp } from '../helpers/app.js';

const demo = (name: string) => readFileSync(join(projectRoot, 'test/apps/demo-reports', name), 'utf8');
const trivyReport = () => JSON.parse(demo('trivy-image.json')) as {
  Results: { Target: string; Vulnerabilities: { VulnerabilityID: string; PkgName: string }[] }[];
};

function withoutVuln(id: string): string {
  const report = trivyReport();
  for (const r of report.Results) r.Vulnerabilities = r.Vulnerabilities.filter((v) => v.VulnerabilityID !== id);
  return JSON.stringify(report);
}

interface SubmissionBody {
  id: string;
  counts: { new: number; existing: number; fixed: number; reopened: number; total: number };
  reports: { tool: string; findings: number }[];
  findings: string;
}

async function submit(app: TestApp, project: string, ref: string, files: { name: string; content: string }[], headers: Record<string, string> = {}) {
  const res = await app.api(`/api/v1/projects/${encodeURIComponent(project)}/submissions`, {
    method: 'POST',
    body: submissionForm({ ref }, files),
    headers,
  });
  return { status: res.status, body: (await res.json()) as SubmissionBody & { error?: { code: string; message: string } } };
}

async function findings(app: TestApp, project: string, query: string) {
  const res = await app.api(`/api/v1/projects/${encodeURIComponent(project)}/findings?${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Record<string, unknown>[] }).items;
}

describeEachBackend('ingest pipeline', (backend) => {
  let app: TestApp;
  beforeEach(async () => {
    app = await startTestApp(backend);
    const res = await app.api('/api/v1/projects', { method: 'POST', body: JSON.stringify({ name: 'team/app' }), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(201);
  });
  afterEach(async () => {
    await app.close();
  });

  it('classifies new, existing, fixed and reopened per ref', async () => {
    const total = trivyReport().Results.reduce((n, r) => n + r.Vulnerabilities.length, 0);
    const first = await submit(app, 'team/app', 'main', [{ name: 'trivy.json', content: demo('trivy-image.json') }]);
    expect(first.status).toBe(201);
    expect(first.body.counts).toEqual({ new: total, existing: 0, fixed: 0, reopened: 0, total });

    const again = await submit(app, 'team/app', 'main', [{ name: 'trivy.json', content: demo('trivy-image.json') }]);
    expect(again.body.counts).toEqual({ new: 0, existing: total, fixed: 0, reopened: 0, total });

    const removed = await submit(app, 'team/app', 'main', [{ name: 'trivy.json', content: withoutVuln('CVE-2020-14343') }]);
    expect(removed.body.counts).toEqual({ new: 0, existing: total - 1, fixed: 1, reopened: 0, total: total - 1 });
    const fixed = await findings(app, 'team/app', 'ref=main&status=fixed');
    expect(fixed.map((f) => f.ruleId)).toEqual(['CVE-2020-14343']);

    const back = await submit(app, 'team/app', 'main', [{ name: 'trivy.json', content: demo('trivy-image.json') }]);
    expect(back.body.counts).toEqual({ new: 0, existing: total - 1, fixed: 0, reopened: 1, total });
    expect(await findings(app, 'team/app', 'ref=main&status=fixed')).toEqual([]);

    // Another ref has its own history: everything is new there.
    const branch = await submit(app, 'team/app', 'feature/x', [{ name: 'trivy.json', content: demo('trivy-image.json') }]);
    expect(branch.body.counts.new).toBe(total);
  });

  it('keeps a Trivy and a Semgrep report in one submission apart, and a tool that did not run fixes nothing', async () => {
    const both = await submit(app, 'team/app', 'main', [
      { name: 'trivy.json', content: demo('trivy-image.json') },
      { name: 'semgrep.json', content: demo('semgrep.json') },
    ]);
    expect(both.status).toBe(201);
    const trivyCount = both.body.reports.find((r) => r.tool === 'trivy')!.findings;
    const semgrepCount = both.body.reports.find((r) => r.tool === 'semgrep')!.findings;
    expect(semgrepCount).toBe(JSON.parse(demo('semgrep.json')).results.length);
    expect(both.body.counts.total).toBe(trivyCount + semgrepCount);
    const code = await findings(app, 'team/app', 'ref=main&tool=semgrep');
    expect(code).toHaveLength(semgrepCount);
    expect(code.every((f) => f.category === 'code' && JSON.stringify(f.sources) === '["semgrep"]')).toBe(true);

    const onlyTrivy = await submit(app, 'team/app', 'main', [{ name: 'trivy.json', content: demo('trivy-image.json') }]);
    expect(onlyTrivy.body.counts.fixed).toBe(0);
    expect(await findings(app, 'team/app', 'ref=main&tool=semgrep')).toHaveLength(semgrepCount);
  });

  it('stores the same CVE in the same package from Trivy and Grype as one finding with two sources', async () => {
    const res = await submit(app, 'team/app', 'main', [
      { name: 'trivy.json', content: demo('trivy-image.json') },
      { name: 'grype.json', content: demo('grype-image.json') },
    ]);
    expect(res.status).toBe(201);
    const grypeMatches = (JSON.parse(demo('grype-image.json')) as { matches: unknown[] }).matches.length;
    const trivyCount = res.body.reports.find((r) => r.tool === 'trivy')!.findings;
    expect(res.body.counts.total).toBe(trivyCount); // every Grype match is one Trivy already reported
    const pyyaml = await findings(app, 'team/app', 'ref=main&q=CVE-2020-14343');
    expect(pyyaml).toHaveLength(1);
    expect(pyyaml[0]!.sources).toEqual(['grype', 'trivy']);
    expect(pyyaml[0]!.vulnerabilityIds).toEqual(['CVE-2020-14343', 'GHSA-8q59-q68h-6hv4']);
    const merged = await findings(app, 'team/app', 'ref=main&tool=grype');
    expect(merged).toHaveLength(grypeMatches);
  });

  it('merges by alias when one tool only knows the GHSA id', async () => {
    const grype = JSON.parse(demo('grype-image.json')) as { matches: { relatedVulnerabilities: unknown[] }[] };
    for (const m of grype.matches) m.relatedVulnerabilities = []; // GHSA only: a different canonical id
    await submit(app, 'team/app', 'main', [{ name: 'trivy.json', content: demo('trivy-image.json') }]);
    const res = await submit(app, 'team/app', 'main', [{ name: 'grype.json', content: JSON.stringify(grype) }]);
    expect(res.body.counts.new).toBe(0);
    const hit = await findings(app, 'team/app', 'ref=main&q=GHSA-8q59-q68h-6hv4');
    expect(hit).toHaveLength(1);
    expect(hit[0]!.sources).toEqual(['grype', 'trivy']);
    const { rows } = await app.db.query<{ matched_by: string }>(`SELECT matched_by FROM occurrences WHERE tool = 'grype' AND matched_by LIKE 'alias:%'`);
    expect(rows.length).toBe(grype.matches.length);
  });

  it('refuses a malformed report with 422 and leaves every table unchanged', async () => {
    await submit(app, 'team/app', 'main', [{ name: 'trivy.json', content: demo('trivy-image.json') }]);
    const before = await tableCounts(app.db);
    const truncated = demo('trivy-image.json').slice(0, 500);
    const bad = await submit(app, 'team/app', 'main', [
      { name: 'semgrep.json', content: demo('semgrep.json') },
      { name: 'broken.json', content: truncated },
    ]);
    expect(bad.status).toBe(422);
    expect(bad.body.error!.code).toMatch(/^REPORT_/);
    const unknown = await submit(app, 'team/app', 'main', [{ name: 'x.json', content: '{"hello":"world"}' }]);
    expect(unknown.status).toBe(422);
    expect(unknown.body.error!.code).toBe('REPORT_FORMAT_UNKNOWN');
    expect(JSON.stringify(unknown.body.error)).toContain('trivy');
    expect(await tableCounts(app.db)).toEqual(before);
  });

  it('leaves no partial submission when it fails between parse and commit', async () => {
    const before = await tableCounts(app.db);
    app.deps.beforeCommit = () => {
      throw new Error('injected failure before commit');
    };
    const res = await submit(app, 'team/app', 'main', [{ name: 'trivy.json', content: demo('trivy-image.json') }]);
    expect(res.status).toBe(500);
    expect(res.body.error!.code).toBe('INTERNAL');
    expect(JSON.stringify(res.body)).not.toContain('injected');
    expect(await tableCounts(app.db)).toEqual(before);
    app.deps.beforeCommit = undefined;
    const ok = await submit(app, 'team/app', 'main', [{ name: 'trivy.json', content: demo('trivy-image.json') }]);
    expect(ok.status).toBe(201);
    expect(ok.body.counts.existing).toBe(0);
  });

  it('is idempotent under the same Idempotency-Key, and refuses the key for other content', async () => {
    const files = [{ name: 'trivy.json', content: demo('trivy-image.json') }];
    const a = await submit(app, 'team/app', 'main', files, { 'Idempotency-Key': 'build-42' });
    const b = await submit(app, 'team/app', 'main', files, { 'Idempotency-Key': 'build-42' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(200);
    expect(b.body.id).toBe(a.body.id);
    expect(b.body.counts).toEqual(a.body.counts);
    const { rows } = await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM submissions');
    expect(rows[0]!.n).toBe(1);
    const c = await submit(app, 'team/app', 'main', [{ name: 'trivy.json', content: withoutVuln('CVE-2020-1747') }], { 'Idempotency-Key': 'build-42' });
    expect(c.status).toBe(409);
    expect(c.body.error!.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('filters findings by KEV, EPSS and fix availability, and refuses a filter it cannot read', async () => {
    await submit(app, 'team/app', 'main', [{ name: 'trivy.json', content: demo('trivy-image.json') }]);
    const all = await findings(app, 'team/app', 'limit=1000');
    const marked = all[1]!.id as string;
    await app.db.query(
      `UPDATE findings SET data = data || '{"kev": {"cveId": "CVE-0000-1", "dateAdded": "2026-01-01", "dueDate": "2026-02-01"}, "epss": {"score": 0.91, "percentile": 0.99}}'::jsonb WHERE id = $1`,
      [marked],
    );
    expect((await findings(app, 'team/app', 'kev=true')).map((f) => f.id)).toEqual([marked]);
    expect((await findings(app, 'team/app', 'kev=false&limit=1000')).length).toBe(all.length - 1);
    expect((await findings(app, 'team/app', 'epss=0.9')).map((f) => f.id)).toEqual([marked]);
    expect(await findings(app, 'team/app', 'epss=0.95')).toEqual([]);
    // Every finding of the demo report has a fix; one loses it.
    const unfixed = all[2]!.id as string;
    await app.db.query(`UPDATE findings SET data = jsonb_set(data, '{fixedVersions}', '[]'::jsonb) WHERE id = $1`, [unfixed]);
    const withFix = await findings(app, 'team/app', 'fixAvailable=true&limit=1000');
    const withoutFix = await findings(app, 'team/app', 'fixAvailable=false&limit=1000');
    expect(withoutFix.map((f) => f.id)).toEqual([unfixed]);
    expect(withFix.length).toBe(all.length - 1);
    expect(withFix.every((f) => (f.fixedVersions as string[]).length > 0)).toBe(true);
    expect(withoutFix.every((f) => (f.fixedVersions as string[]).length === 0)).toBe(true);
    for (const bad of ['kev=yes', 'epss=1.5', 'fixAvailable=1', 'fixavailable=true']) {
      const res = await app.api(`/api/v1/projects/team%2Fapp/findings?${bad}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('pages findings with a cursor and filters by severity', async () => {
    await submit(app, 'team/app', 'main', [
      { name: 'trivy.json', content: demo('trivy-image.json') },
      { name: 'semgrep.json', content: demo('semgrep.json') },
    ]);
    const all = await findings(app, 'team/app', 'ref=main&limit=1000');
    const seen: unknown[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const res = await app.api(`/api/v1/projects/team%2Fapp/findings?ref=main&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      const page = (await res.json()) as { items: { id: string }[]; nextCursor: string | null };
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(all.map((f) => f.id));
    const high = await findings(app, 'team/app', 'ref=main&severity=%3E%3Dhigh');
    expect(high.length).toBeGreaterThan(0);
    expect(high.every((f) => f.severity === 'critical' || f.severity === 'high')).toBe(true);
    expect(high.length).toBe(all.filter((f) => f.severity === 'critical' || f.severity === 'high').length);
    const bad = await app.api('/api/v1/projects/team%2Fapp/findings?severity=urgent');
    expect(bad.status).toBe(400);
  });
});
