// SonarQube parser: the corpus MANIFEST ground truth (DefectDojo's SonarQube Scan / Scan detailed
// parsers), then written fixtures (10.x pages, ScanHub's own pull document), mapping rules and refusals.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../index.js';
import { parseReport, type ParsedReport } from '../../../src/ingest/parse-report.js';
import { ReportInput } from '../../../src/plugins/report-input.js';
import { corpusInput, describeCorpus, gitBlobSha1, readCorpus } from '../../../test/helpers/corpus.js';
import { dependencyCheckFacts, packageOfFilename } from './dependency-check.js';
import { sonarqube } from './index.js';
import { hotspotStatus, issueStatus } from './mapping.js';

// Until the lead registers the plugin, add it to the registry for these tests (never twice).
const plugins = scanners.some((p) => p.id === 'sonarqube') ? scanners : [...scanners, sonarqube];
const corpus = (file: string): ParsedReport => parseReport(plugins, corpusInput('sonarqube', file));
const fixture = (file: string): ParsedReport => parseReport(plugins, new ReportInput(readFileSync(join(import.meta.dirname, 'fixtures', file)), file));

describeCorpus('sonarqube on the corpus', () => {
  it('findings_over_api.json: 5 findings (DefectDojo 5), Dependency-Check plugin messages read', () => {
    const r = corpus('findings_over_api.json');
    expect(r).toMatchObject({ tool: 'sonarqube', format: 'sonarqube-issues' });
    expect(r.findings).toHaveLength(5);
    const [dc1, bug, smell, ghsa, jar] = r.findings;
    // DefectDojo: CVE-2024-2529, cwe 120, CVSS 6.4, package 1.1.2, MAJOR → Medium.
    expect(dc1).toMatchObject({
      category: 'vulnerability', ruleId: 'CVE-2024-2529', vulnerabilityIds: ['CVE-2024-2529'], cwes: [120], severity: 'medium', toolSeverity: 'MAJOR',
      package: { name: 'package', version: '1.1.2' }, cvss: [{ version: '3', score: 6.4, source: 'dependency-check' }], toolFingerprint: 'fjioefjwoefijo',
    });
    expect(dc1!.location).toBeUndefined(); // the component is the project itself
    // DefectDojo: BUG, MINOR → Low, cwe 0 (none), no CVSS. ScanHub: not a security finding → other.
    expect(bug).toMatchObject({ category: 'other', ruleId: 'Web:TableWithoutCaptionCheck', severity: 'low', cwes: [], location: { path: 'src/app/pages/fjiowefjewio/fjwieof/fjiwoe/details.html', startLine: 59, endLine: 59, startColumn: 7, endColumn: 114 } });
    expect(bug!.cvss).toBeUndefined();
    expect(smell).toMatchObject({ category: 'other', ruleId: 'typescript:S1533', severity: 'low', location: { path: 'src/app/services/fjweiofwefjiofiwofjwof.fjewoi', startLine: 15 } });
    expect(ghsa).toMatchObject({ vulnerabilityIds: ['GHSA-frr2-c345-p7c2'], ruleId: 'GHSA-frr2-c345-p7c2', category: 'vulnerability' });
    // DefectDojo: component_name "nimbus-jose-jwt-9.24.4.jar", version None. ScanHub splits the jar name.
    expect(jar).toMatchObject({ vulnerabilityIds: ['CVE-2023-52428'], severity: 'high', toolSeverity: 'CRITICAL', package: { name: 'nimbus-jose-jwt', version: '9.24.4', ecosystem: 'maven' }, cvss: [{ score: 7.5 }], cwes: [937] });
    // The two issues sharing a key stay two findings with two identities.
    expect(ghsa!.toolFingerprint).toBe(jar!.toolFingerprint);
    expect(new Set(r.findings.map((f) => f.fingerprint)).size).toBe(5);
  });

  it('findings_over_api_multi_cwe_fabricated.json: cwe 120 first, [120, 79] (DefectDojo)', () => {
    const r = corpus('findings_over_api_multi_cwe_fabricated.json');
    expect(r.findings).toHaveLength(3);
    expect(r.findings[0]!.cwes).toEqual([120, 79]);
  });

  it('findings_over_api_empty.json: recognised as an issues page with 0 findings (DefectDojo 0)', () => {
    expect(corpus('findings_over_api_empty.json')).toMatchObject({ tool: 'sonarqube', format: 'sonarqube-issues', findings: [] });
  });

  it('sonar-no-finding.json: 0 (DefectDojo detailed 0), summary counts ignored', () => {
    expect(corpus('sonar-no-finding.json')).toMatchObject({ format: 'sonar-report-json', findings: [], target: 'vulnerable-flask-app' });
  });

  it('sonar-single-finding.json: 1 hotspot, key AYvNd32RyD1npIoQXyT1, line 8 (DefectDojo detailed)', () => {
    const r = corpus('sonar-single-finding.json');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      toolFingerprint: 'AYvNd32RyD1npIoQXyT1', ruleId: 'python:S4502', category: 'code', severity: 'high', toolSeverity: 'CRITICAL', status: 'open', cwes: [352],
      location: { path: 'vulnerable-flask-app.py', startLine: 8 },
    });
    expect(r.findings[0]!.references[0]).toBe('https://sonar.192-168-38-31.nip.io/security_hotspots?id=vulnerable-flask-app&hotspots=AYvNd32RyD1npIoQXyT1');
    expect(r.findings[0]!.description).toContain('A cross-site request forgery (CSRF) attack occurs');
  });

  it('sonar-6-findings.json: 6 (DefectDojo detailed 6; aggregated mode would give 2), sonar.json the same bytes', () => {
    const r = corpus('sonar-6-findings.json');
    expect(r.findings).toHaveLength(6);
    expect(r.findings.map((f) => f.location?.startLine)).toEqual([8, 24, 49, 81, 108, 185]);
    expect(r.findings.slice(1).every((f) => f.ruleId === 'python:S4792' && f.severity === 'low' && f.cwes.join() === '117,532')).toBe(true);
    expect(new Set(r.findings.map((f) => f.fingerprint)).size).toBe(6);
    expect(gitBlobSha1(readCorpus('sonarqube', 'sonar.json'))).toBe(gitBlobSha1(readCorpus('sonarqube', 'sonar-6-findings.json')));
    expect(corpus('sonar.json').findings.map((f) => f.fingerprint)).toEqual(r.findings.map((f) => f.fingerprint));
  });

  it('the unwrapped client return values of sonarqube_api/ are not reports', () => {
    for (const file of ['issues.json', 'rule.json', 'product.json', 'hotspots/many_vulns.json', 'hotspots/rule.json']) {
      expect(sonarqube.detect(corpusInput('sonarqube_api', ...file.split('/'))), file).toBeNull();
    }
  });
});

describe('sonarqube fixtures', () => {
  it('empty issues page: 0', () => {
    expect(fixture('empty.json')).toMatchObject({ format: 'sonarqube-issues', findings: [], warnings: [] });
  });

  it('hotspots page (9.7+ with ruleKey): probability HIGH → high, TO_REVIEW → open, project prefix stripped', () => {
    const r = fixture('one.json');
    expect(r.format).toBe('sonarqube-hotspots');
    expect(r.findings).toEqual([
      expect.objectContaining({
        ruleId: 'java:S2068', category: 'code', severity: 'high', confidence: 'high', status: 'open', toolFingerprint: 'AZH3xQk1cTmLr0pV9a01',
        location: { path: 'src/main/java/com/acme/shop/Login.java', startLine: 42, endLine: 42, startColumn: 24, endColumn: 42 },
      }),
    ]);
  });

  it('10.x issues page: SECURITY impact wins over the legacy severity, triage states, CLOSED skipped', () => {
    const r = fixture('many.json');
    expect(r.findings.map((f) => [f.toolFingerprint, f.category, f.severity, f.status])).toEqual([
      ['AZH3xQk1cTmLr0pV9b01', 'code', 'high', 'open'], // BLOCKER, but SECURITY impact HIGH
      ['AZH3xQk1cTmLr0pV9b02', 'code', 'medium', 'accepted_risk'],
      ['AZH3xQk1cTmLr0pV9b03', 'code', 'low', 'false_positive'], // a CODE_SMELL with a SECURITY impact
      ['AZH3xQk1cTmLr0pV9b04', 'other', 'low', 'open'],
    ]);
    expect(r.findings[1]!.cwes).toEqual([327]); // from the cwe-327 tag: the page carries no rule for it
    expect(r.findings[0]!.description).toContain('Database queries should not be vulnerable to injection attacks');
  });

  it('the pull document: rules give CWEs/OWASP, permalinks carry the branch, Dependency-Check issue → package vulnerability', () => {
    const r = fixture('many-pull.json');
    expect(r).toMatchObject({ format: 'sonarqube-pull', toolVersion: '10.6.0.92116', target: 'acme:shop@release/2.x', warnings: [] });
    const [sql, jackson, hotspot] = r.findings;
    expect(sql).toMatchObject({ ruleId: 'javasecurity:S3649', cwes: [89, 564], severity: 'high', references: ['https://sonar.acme.example/project/issues?id=acme%3Ashop&issues=AZH3xQk1cTmLr0pV9c01&open=AZH3xQk1cTmLr0pV9c01&branch=release%2F2.x', 'https://cwe.mitre.org/data/definitions/89'] });
    expect(sql!.description).toContain('OWASP: owaspTop10:a1, owaspTop10-2021:a3');
    expect(jackson).toMatchObject({ category: 'vulnerability', ruleId: 'CVE-2019-12384', cwes: [502], package: { name: 'jackson-databind', version: '2.9.8' }, severity: 'high' });
    expect(hotspot).toMatchObject({ ruleId: 'java:S2068', cwes: [798, 259], status: 'false_positive', location: { path: 'src/main/java/com/acme/shop/Login.java' } });
  });

  it('keeps a finding identity when its line moves (the SonarQube key is the tool fingerprint)', () => {
    const doc = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'one.json'), 'utf8')) as { hotspots: { line: number; textRange: { startLine: number; endLine: number } }[] };
    const before = parseReport(plugins, new ReportInput(JSON.stringify(doc))).findings[0]!;
    Object.assign(doc.hotspots[0]!, { line: 50, textRange: { startLine: 50, endLine: 50, startOffset: 0, endOffset: 3 } });
    const after = parseReport(plugins, new ReportInput(JSON.stringify(doc))).findings[0]!;
    expect(after.location?.startLine).toBe(50);
    expect(after.fingerprint).toBe(before.fingerprint);
  });

  it('skips a malformed item with a warning naming it; refuses documents that are not SonarQube', () => {
    const r = parseReport(plugins, new ReportInput(JSON.stringify({ paging: { pageIndex: 1, pageSize: 100, total: 2 }, issues: [{ key: 'k1', rule: 'java:S1', component: 'p:a.java', type: 'VULNERABILITY' }, { key: 'k2' }], components: [] })));
    expect(r.findings).toHaveLength(1);
    expect(r.warnings).toEqual([{ pointer: '/issues/1', message: 'Skipped an issue without key, rule or component.' }]);
    for (const text of ['{"paging":{"pageIndex":1,"pageSize":1,"total":1},"issues":[{"id":1}]}', '{"issues":[]}', '{"date":"x","projectName":"y"}']) {
      expect(sonarqube.detect(new ReportInput(text)), text).toBeNull();
      expect(() => sonarqube.parse(new ReportInput(text)), text).toThrow(expect.objectContaining({ code: 'REPORT_MALFORMED' }));
    }
  });
});

describe('sonarqube mapping rules', () => {
  it.each([
    [{ status: 'OPEN' }, 'open'],
    [{ status: 'RESOLVED', resolution: 'FALSE-POSITIVE' }, 'false_positive'],
    [{ status: 'RESOLVED', resolution: 'WONTFIX' }, 'accepted_risk'],
    [{ status: 'RESOLVED', resolution: 'FIXED' }, 'fixed'],
    [{ status: 'CLOSED', resolution: 'FIXED' }, 'skip'],
    [{ status: 'RESOLVED', issueStatus: 'ACCEPTED' }, 'accepted_risk'],
    [{ status: 'OPEN', issueStatus: 'CONFIRMED' }, 'open'],
  ])('issue %o → %s', (issue, expected) => expect(issueStatus(issue)).toBe(expected));

  it.each([
    [{ status: 'TO_REVIEW' }, 'open'],
    [{ status: 'REVIEWED', resolution: 'SAFE' }, 'false_positive'],
    [{ status: 'REVIEWED', resolution: 'ACKNOWLEDGED' }, 'accepted_risk'],
    [{ status: 'REVIEWED', resolution: 'FIXED' }, 'fixed'],
  ])('hotspot %o → %s', (hotspot, expected) => expect(hotspotStatus(hotspot)).toBe(expected));

  it('reads Dependency-Check plugin messages and file names', () => {
    expect(dependencyCheckFacts('Filename: lodash:4.17.4 | References: CVE-2019-10744 (9.1), GHSA-jf85-cpcp-j695 | Highest CVSS Score: 9.1 | Category: CWE-20 | Category: CWE-1321')).toEqual({
      vulnerabilityIds: ['CVE-2019-10744', 'GHSA-jf85-cpcp-j695'], cwes: [20, 1321], cvssScore: 9.1, package: { name: 'lodash', version: '4.17.4' },
    });
    expect(dependencyCheckFacts('Remove this unused variable.')).toBeUndefined();
    expect(packageOfFilename('org.yaml:snakeyaml:1.16')).toEqual({ name: 'org.yaml:snakeyaml', version: '1.16' });
    expect(packageOfFilename('commons-text-1.9.jar')).toEqual({ name: 'commons-text', version: '1.9', ecosystem: 'maven' });
    expect(packageOfFilename('bundle.min.js')).toEqual({ name: 'bundle.min.js' });
  });
});
