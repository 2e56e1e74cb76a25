// Assessment through the API: policies with history and located errors, verdicts on corpus
// reports, the exception workflow and its expiry (clock injected), merge-request baselines,
// dry runs, imports/exports, and scan configuration.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { corpusAvailable, projectRoot, readCorpus } from '../helpers/corpus.js';
import { describeEachBackend, tableCounts } from '../helpers/db.js';
import { startTestApp, submissionForm, type TestApp } from '../helpers/app.js';

const json = { 'content-type': 'application/json' };
const yaml = { 'content-type': 'application/yaml' };
const demo = (name: string) => readFileSync(join(projectRoot, 'test/apps/demo-reports', name), 'utf8');

const FIXABLE_CRITICAL = `version: 1
rules:
  - id: fixable-critical
    when: { severity: ">=critical", fixAvailable: true }
    action: fail
    reason: Critical vulnerabilities with a fix must be fixed before release.
`;

interface Verdict {
  outcome: string;
  reasons: string[];
  rules: { id: string; matched: number; triggered: boolean; findings: { ruleId: string; fingerprint: string }[] }[];
  exceptions: unknown[];
  expiredExceptions: { exception: { id: string } }[];
}

describeEachBackend('assessment', (backend) => {
  let app: TestApp;
  let clock: Date;
  beforeEach(async () => {
    clock = new Date('2026-11-24T12:00:00Z');
    app = await startTestApp(backend, { now: () => clock });
    await app.api('/api/v1/projects', { method: 'POST', body: JSON.stringify({ name: 'team/app' }), headers: json });
  });
  afterEach(async () => {
    await app.close();
  });

  const submit = async (files: { name: string; content: string | Buffer }[], fields: Record<string, string> = { ref: 'main' }) => {
    const res = await app.api('/api/v1/projects/team%2Fapp/submissions', { method: 'POST', body: submissionForm(fields, files) });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; verdict: Verdict; counts: Record<string, number> };
  };

  it.runIf(corpusAvailable)('fails a corpus Trivy report with a fixable critical, passes under an accepted risk, fails again when it expires', async () => {
    expect((await app.api('/api/v1/projects/team%2Fapp/policy', { method: 'PUT', body: FIXABLE_CRITICAL, headers: yaml })).status).toBe(201);
    const report = { name: 'debian-buster.json', content: readCorpus('trivy', 'debian-buster.json.golden') };
    const first = await submit([report]);
    expect(first.verdict.outcome).toBe('fail');
    const rule = first.verdict.rules.find((r) => r.id === 'fixable-critical')!;
    expect(rule.findings.map((f) => f.ruleId)).toEqual(['CVE-2019-18224']);

    const ex = await app.api('/api/v1/exceptions', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        project: 'team/app', kind: 'accepted_risk', reason: 'libidn2 is not reachable from the service; base image bump planned',
        owner: 'security@example.test', expiresAt: '2026-12-01T00:00:00Z', scope: { type: 'vulnerability', id: 'CVE-2019-18224' },
      }),
    });
    expect(ex.status).toBe(201);
    const exception = (await ex.json()) as { id: string; status: string };
    expect(exception.status).toBe('approved'); // an admin's request needs no second approval

    const covered = await submit([report]);
    expect(covered.verdict.outcome).toBe('pass');
    expect(covered.verdict.exceptions).toHaveLength(1);

    clock = new Date('2026-12-02T00:00:00Z');
    const expired = await submit([report]);
    expect(expired.verdict.outcome).toBe('fail');
    expect(expired.verdict.expiredExceptions.map((e) => e.exception.id)).toEqual([exception.id]);
    expect(expired.verdict.reasons.join(' ')).toContain(`Exception ${exception.id}`);
    const stored = (await (await app.api(`/api/v1/submissions/${expired.id}/verdict`)).json()) as Verdict;
    expect(stored.outcome).toBe('fail');
  });

  it('warns about exactly the one high a merge request adds to its target branch', async () => {
    await app.api('/api/v1/projects/team%2Fapp/policy', {
      method: 'PUT', headers: yaml,
      body: 'version: 1\nrules:\n  - id: new-high\n    when: { severity: ">=high", new: true }\n    action: warn\n',
    });
    const full = JSON.parse(demo('trivy-image.json')) as { Results: { Vulnerabilities: { Severity: string; VulnerabilityID: string }[] }[] };
    const highs = full.Results.flatMap((r) => r.Vulnerabilities.filter((v) => v.Severity === 'HIGH').map((v) => v.VulnerabilityID));
    const keep = (ids: string[]) => {
      const copy = structuredClone(full);
      for (const r of copy.Results) r.Vulnerabilities = r.Vulnerabilities.filter((v) => ids.includes(v.VulnerabilityID));
      return JSON.stringify(copy);
    };
    const main = await submit([{ name: 'trivy.json', content: keep(highs.slice(0, 3)) }]);
    expect(main.verdict.rules[0]!.matched).toBe(3); // first scan of main: everything is new there
    const mr = await submit([{ name: 'trivy.json', content: keep(highs.slice(0, 4)) }], { ref: 'feature/login', targetRef: 'main' });
    expect(mr.counts).toEqual({ new: 1, existing: 3, fixed: 0, reopened: 0, total: 4 });
    expect(mr.verdict.outcome).toBe('warn');
    expect(mr.verdict.rules[0]!.matched).toBe(1);
    expect(mr.verdict.rules[0]!.findings.map((f) => f.ruleId)).toEqual([highs[3]]);
    // The MR dropping one of main's highs fixes it relative to main; the branch's own history goes on.
    const mr2 = await submit([{ name: 'trivy.json', content: keep([highs[1]!, highs[2]!, highs[3]!]) }], { ref: 'feature/login', targetRef: 'main' });
    expect(mr2.counts).toEqual({ new: 1, existing: 2, fixed: 1, reopened: 0, total: 3 });
    const push = await submit([{ name: 'trivy.json', content: keep([highs[1]!, highs[2]!, highs[3]!]) }], { ref: 'feature/login' });
    expect(push.counts).toEqual({ new: 0, existing: 3, fixed: 0, reopened: 0, total: 3 });
  });

  it('applies the organisation default policy where a project has none, and the project policy over it', async () => {
    const before = await submit([{ name: 'semgrep.json', content: demo('semgrep.json') }]);
    expect(before.verdict.outcome).toBe('warn'); // built-in policy: new highs warn
    const org = await app.api('/api/v1/policy', { method: 'PUT', headers: yaml, body: 'version: 1\nrules:\n  - id: no-high-code\n    when: { severity: ">=high", category: code }\n    action: fail\n' });
    expect(org.status).toBe(201);
    const current = (await (await app.api('/api/v1/projects/team%2Fapp/policy')).json()) as { origin: string };
    expect(current.origin).toBe('organisation');
    expect((await submit([{ name: 'semgrep.json', content: demo('semgrep.json') }])).verdict.outcome).toBe('fail');
    await app.api('/api/v1/projects/team%2Fapp/policy', { method: 'PUT', headers: yaml, body: 'version: 1\nrules: []\n' });
    expect((await submit([{ name: 'semgrep.json', content: demo('semgrep.json') }])).verdict.outcome).toBe('pass');
    const scoped = await app.token('security', (await (await app.api('/api/v1/projects/team%2Fapp')).json() as { id: string }).id);
    expect((await app.api('/api/v1/policy', { method: 'PUT', headers: yaml, body: 'version: 1\n', token: scoped })).status).toBe(403);
  });

  it('refuses a policy with a typo, naming line and column, and keeps history with diffs', async () => {
    const bad = await app.api('/api/v1/projects/team%2Fapp/policy', { method: 'PUT', headers: yaml, body: 'version: 1\nrules:\n  - id: r\n    when: { severty: high }\n    action: fail\n' });
    expect(bad.status).toBe(422);
    const body = (await bad.json()) as { error: { code: string; message: string; details: { problems: { line: number; column: number }[] } } };
    expect(body.error.code).toBe('POLICY_INVALID');
    expect(body.error.details.problems[0]).toMatchObject({ line: 4, column: 13 });
    expect((await app.api('/api/v1/projects/team%2Fapp/policy', { method: 'PUT', headers: yaml, body: FIXABLE_CRITICAL })).status).toBe(201);
    const v2 = FIXABLE_CRITICAL.replace('action: fail', 'action: warn');
    expect((await app.api('/api/v1/projects/team%2Fapp/policy', { method: 'PUT', headers: json, body: JSON.stringify({ policy: v2 }) })).status).toBe(201);
    expect((await app.api('/api/v1/projects/team%2Fapp/policy', { method: 'PUT', headers: json, body: JSON.stringify({ policy: v2 }) })).status).toBe(200);
    const history = (await (await app.api('/api/v1/projects/team%2Fapp/policy/history')).json()) as { items: { version: number; diff: string; createdBy: string }[] };
    expect(history.items.map((h) => h.version)).toEqual([2, 1]);
    expect(history.items[0]!.diff).toContain('-     action: fail');
    expect(history.items[0]!.diff).toContain('+     action: warn');
    expect(history.items[0]!.createdBy).toBe('token:test-admin');
    const current = (await (await app.api('/api/v1/projects/team%2Fapp/policy')).json()) as { origin: string; version: number };
    expect(current).toMatchObject({ origin: 'project', version: 2 });
    const viewer = await app.token('viewer');
    expect((await app.api('/api/v1/projects/team%2Fapp/policy', { method: 'PUT', headers: yaml, body: FIXABLE_CRITICAL, token: viewer })).status).toBe(403);
  });

  it('answers a dry run per stored submission without changing anything', async () => {
    await submit([{ name: 'trivy.json', content: demo('trivy-image.json') }]);
    await submit([{ name: 'semgrep.json', content: demo('semgrep.json') }]);
    const before = await tableCounts(app.db);
    const res = await app.api('/api/v1/projects/team%2Fapp/policy/dry-run?last=5', {
      method: 'POST', headers: yaml,
      body: 'version: 1\nrules:\n  - id: any-high\n    when: { severity: ">=high" }\n    action: fail\n',
    });
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { candidate: string; current: string; changed: boolean }[] };
    expect(items).toHaveLength(2);
    expect(items.map((i) => i.candidate)).toEqual(['fail', 'fail']);
    expect(items.every((i) => i.current !== null)).toBe(true);
    expect(await tableCounts(app.db)).toEqual(before);
  });

  it('applies an organisation-wide exception to every project, and only admin/security may create one', async () => {
    await app.api('/api/v1/projects/team%2Fapp/policy', { method: 'PUT', body: FIXABLE_CRITICAL, headers: yaml });
    const body = { kind: 'accepted_risk', reason: 'vendor fix pending, compensating WAF rule', owner: 'ciso@example.test', expiresAt: '2027-01-31T00:00:00Z', scope: { type: 'package', name: 'pyyaml' } };
    const maintainer = await app.token('maintainer');
    expect((await app.api('/api/v1/exceptions', { method: 'POST', headers: json, body: JSON.stringify(body), token: maintainer })).status).toBe(403);
    const created = await app.api('/api/v1/exceptions', { method: 'POST', headers: json, body: JSON.stringify(body) });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { projectId: string | null }).projectId).toBeNull();
    expect((await submit([{ name: 'trivy.json', content: demo('trivy-image.json') }])).verdict.outcome).toBe('pass');
  });

  it('holds a maintainer’s wide exception until a security role approves it', async () => {
    await app.api('/api/v1/projects/team%2Fapp/policy', { method: 'PUT', body: FIXABLE_CRITICAL, headers: yaml });
    const maintainer = await app.token('maintainer');
    const security = await app.token('security');
    const req = await app.api('/api/v1/exceptions', {
      method: 'POST', headers: json, token: maintainer,
      body: JSON.stringify({ project: 'team/app', kind: 'false_positive', reason: 'PyYAML is vendored but never loads untrusted input', owner: 'dev@example.test', scope: { type: 'package', name: 'pyyaml', versions: '<6.0' } }),
    });
    const pending = (await req.json()) as { id: string; status: string };
    expect(pending.status).toBe('pending');
    expect((await submit([{ name: 'trivy.json', content: demo('trivy-image.json') }])).verdict.outcome).toBe('fail');
    expect((await app.api(`/api/v1/exceptions/${pending.id}/approve`, { method: 'POST', token: maintainer })).status).toBe(403);
    const approved = await app.api(`/api/v1/exceptions/${pending.id}/approve`, { method: 'POST', token: security });
    expect(((await approved.json()) as { status: string }).status).toBe('approved');
    expect((await submit([{ name: 'trivy.json', content: demo('trivy-image.json') }])).verdict.outcome).toBe('pass');
    const audit = await app.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE target_type = 'exception' ORDER BY id`);
    expect(audit.rows.map((r) => r.action)).toEqual(['exception.create', 'exception.approved']);
    const missingExpiry = await app.api('/api/v1/exceptions', {
      method: 'POST', headers: json,
      body: JSON.stringify({ project: 'team/app', kind: 'accepted_risk', reason: 'later', owner: 'x', scope: { type: 'vulnerability', id: 'CVE-2020-1' } }),
    });
    expect(missingExpiry.status).toBe(400);
    expect(await missingExpiry.text()).toContain('expiresAt');
  });

  it('imports .trivyignore.yaml, Dependency-Check suppressions and OpenVEX, and exports CycloneDX VEX', async () => {
    const trivyignore = 'vulnerabilities:\n  - id: CVE-2020-14343\n    statement: Only trusted YAML is loaded\n    expired_at: 2027-01-01\n  - id: CVE-2019-10906\n    purls: ["pkg:pypi/jinja2@2.10"]\n';
    const r1 = await app.api('/api/v1/exceptions/import?project=team%2Fapp&owner=sec%40example.test', { method: 'POST', body: trivyignore, headers: { 'content-type': 'text/plain' } });
    expect(r1.status).toBe(201);
    const b1 = (await r1.json()) as { format: string; created: { kind: string; scope: { type: string } }[] };
    expect(b1.format).toBe('trivyignore');
    expect(b1.created.map((c) => [c.kind, c.scope.type])).toEqual([['accepted_risk', 'vulnerability'], ['false_positive', 'package']]);

    const suppression = `<?xml version="1.0" encoding="UTF-8"?>
<suppressions xmlns="https://jeremylong.github.io/DependencyCheck/dependency-suppression.1.3.xsd">
  <suppress until="2027-06-01Z"><notes>Not used at runtime</notes><packageUrl>pkg:maven/org.yaml/snakeyaml@1.33</packageUrl><cve>CVE-2022-1471</cve></suppress>
  <suppress><notes>by CPE</notes><cpe>cpe:/a:apache:struts</cpe></suppress>
</suppressions>`;
    const r2 = await app.api('/api/v1/exceptions/import?project=team%2Fapp&owner=sec%40example.test', { method: 'POST', body: suppression, headers: { 'content-type': 'application/xml' } });
    const b2 = (await r2.json()) as { format: string; created: { scope: Record<string, string> }[]; skipped: string[] };
    expect(b2.format).toBe('dependency-check-suppression');
    expect(b2.created[0]!.scope).toEqual({ type: 'package', name: 'snakeyaml', ecosystem: 'maven', versions: '1.33', vulnerabilityId: 'CVE-2022-1471' });
    expect(b2.skipped).toHaveLength(1);

    const openvex = JSON.stringify({
      '@context': 'https://openvex.dev/ns/v0.2.0', '@id': 'x', author: 'a', timestamp: '2026-01-01T00:00:00Z', version: 1,
      statements: [{ vulnerability: { name: 'CVE-2018-18074' }, products: [{ '@id': 'pkg:pypi/requests@2.19.1' }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' }],
    });
    const r3 = await app.api('/api/v1/exceptions/import?project=team%2Fapp&owner=sec%40example.test', { method: 'POST', body: openvex, headers: json });
    expect(((await r3.json()) as { created: { kind: string }[] }).created.map((c) => c.kind)).toEqual(['not_affected']);

    const cdxVex = JSON.stringify({
      bomFormat: 'CycloneDX', specVersion: '1.6', version: 1,
      components: [{ 'bom-ref': 'flask', type: 'library', name: 'flask', version: '0.12.2', purl: 'pkg:pypi/flask@0.12.2' }],
      vulnerabilities: [
        { id: 'CVE-2019-1010083', analysis: { state: 'not_affected', justification: 'code_not_reachable', detail: 'No JSON endpoints' }, affects: [{ ref: 'flask' }] },
        { id: 'CVE-2018-1000656', analysis: { state: 'exploitable' }, affects: [{ ref: 'flask' }] },
      ],
    });
    const r4 = await app.api('/api/v1/exceptions/import?project=team%2Fapp&owner=sec%40example.test', { method: 'POST', body: cdxVex, headers: json });
    const b4 = (await r4.json()) as { format: string; created: { kind: string; justification: string; scope: Record<string, string> }[]; skipped: string[] };
    expect(b4.format).toBe('cyclonedx-vex');
    expect(b4.created.map((c) => [c.kind, c.justification, c.scope])).toEqual([
      ['not_affected', 'code_not_reachable', { type: 'package', name: 'flask', ecosystem: 'pypi', versions: '0.12.2', vulnerabilityId: 'CVE-2019-1010083' }],
    ]);
    expect(b4.skipped).toHaveLength(1);

    const vex = (await (await app.api('/api/v1/exceptions?project=team%2Fapp&format=cyclonedx-vex')).json()) as {
      bomFormat: string; vulnerabilities: { id: string; analysis: { state: string; justification?: string } }[];
    };
    expect(vex.bomFormat).toBe('CycloneDX');
    expect(vex.vulnerabilities.map((v) => v.id).sort()).toEqual(['CVE-2018-18074', 'CVE-2019-1010083', 'CVE-2019-10906', 'CVE-2020-14343', 'CVE-2022-1471']);
    expect(vex.vulnerabilities.find((v) => v.id === 'CVE-2018-18074')!.analysis).toMatchObject({ state: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' });

    // The imported exceptions apply: the requests and jinja2 findings are covered.
    const s = await submit([{ name: 'trivy.json', content: demo('trivy-image.json') }]);
    expect(s.verdict.exceptions.length).toBe(4);
  });

  it('serves the scan configuration as JSON and as shell commands, inheriting organisation defaults', async () => {
    const org = await app.api('/api/v1/scan-config', { method: 'PUT', headers: json, body: JSON.stringify({ tools: { trivy: { severities: ['HIGH', 'CRITICAL'], ignoreUnfixed: true } }, ignorePaths: ['vendor'] }) });
    expect(org.status).toBe(200);
    const proj = await app.api('/api/v1/projects/team%2Fapp/scan-config', {
      method: 'PUT', headers: json,
      body: JSON.stringify({ tools: { semgrep: { config: ['rules/semgrep.yml'] }, bandit: { enabled: true } }, image: "registry.test/team/app:1.4" }),
    });
    expect(proj.status).toBe(200);
    const cfg = (await (await app.api('/api/v1/projects/team%2Fapp/scan-config')).json()) as { tools: Record<string, unknown>; commands: Record<string, { command: string; output: string }> };
    expect(Object.keys(cfg.commands).sort()).toEqual(['bandit', 'semgrep', 'trivy']);
    expect(cfg.commands.trivy!.command).toBe('trivy image --format json --output trivy.json --severity HIGH,CRITICAL --ignore-unfixed --skip-dirs vendor registry.test/team/app:1.4');
    expect(cfg.commands.semgrep!.command).toContain('--config rules/semgrep.yml');
    const shell = await (await app.api('/api/v1/projects/team%2Fapp/scan-config?format=shell')).text();
    expect(shell).toContain('bandit -r . -f json -o bandit.json');
    expect(shell.trim().split('\n').pop()).toBe('scanhub submit --project team/app --ref "${SCANHUB_REF:-${CI_COMMIT_REF_NAME:-${BRANCH_NAME:-main}}}" bandit.json semgrep.json trivy.json');
    const dc = await app.api('/api/v1/projects/team%2Fapp/scan-config', {
      method: 'PUT', headers: json,
      body: JSON.stringify({ tools: { 'dependency-check': { suppressionFile: 'dc-suppressions.xml', failOnCvss: 9 } } }),
    });
    expect(dc.status).toBe(200);
    const dcShell = await (await app.api('/api/v1/projects/team%2Fapp/scan-config?format=shell')).text();
    expect(dcShell).toContain('dependency-check.sh --scan . --format JSON --out dependency-check-report.json --failOnCVSS 9 --suppression dc-suppressions.xml');
    const bad = await app.api('/api/v1/projects/team%2Fapp/scan-config', { method: 'PUT', headers: json, body: JSON.stringify({ tools: { trivy: { severities: ['SEVERE'] } } }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('tools.trivy.severities.0');
  });
});
