// GitLab security reports: corpus MANIFEST assertions (DefectDojo, Trivy's GitLab template), then a
// written secret-detection fixture.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../index.js';
import { parseReport, type ParsedReport } from '../../../src/ingest/parse-report.js';
import { ReportInput } from '../../../src/plugins/report-input.js';
import { corpusInput, describeCorpus } from '../../../test/helpers/corpus.js';
import { versionsFromSolution } from './parse.js';

const corpus = (folder: string, file: string): ParsedReport => parseReport(scanners, corpusInput(folder, file));
const unique = (r: ParsedReport) => new Set(r.findings.map((f) => f.fingerprint)).size;

describeCorpus('gitlab container scanning on the corpus', () => {
  it('0, 1, 5 and the CWE sample (DefectDojo)', () => {
    expect(corpus('gitlab_container_scan', 'gl-container-scanning-report-0-vuln.json').findings).toHaveLength(0);
    const one = corpus('gitlab_container_scan', 'gl-container-scanning-report-1-vuln_v14.json');
    expect(one).toMatchObject({ format: 'gitlab-container-scanning', toolVersion: '0.16.0' });
    expect(one.findings).toHaveLength(1);
    expect(one.findings[0]).toMatchObject({
      ruleId: 'CVE-2019-3462', title: 'CVE-2019-3462 in apt-1.4.8', severity: 'high', vulnerabilityIds: ['CVE-2019-3462'],
      package: { name: 'apt', version: '1.4.8', ecosystem: 'debian' }, fixedVersions: ['1.4.9'],
    });
    expect(one.findings[0]!.location?.image).toMatch(/^registry\.gitlab\.com\/gitlab-org\/security-products\/dast\/webgoat-8\.0@sha256:/);
    expect(corpus('gitlab_container_scan', 'gl-container-scanning-report-5-vuln_v15.json').findings).toHaveLength(5);
    expect(corpus('gitlab_container_scan', 'gl-container-scanning-report-multiple-cwe-fabricated_v15.json').findings[0]!.cwes.length).toBeGreaterThan(1);
  });

  it('issue6639_v14.json: 98 entries kept (DefectDojo: 98), busybox and libretls as asserted', () => {
    const r = corpus('gitlab_container_scan', 'issue6639_v14.json');
    expect(r.findings).toHaveLength(98);
    expect(r.findings.find((f) => f.ruleId === 'CVE-2022-28391' && f.package?.name === 'busybox')).toMatchObject({
      title: 'busybox: remote attackers may execute arbitrary code if netstat is used', severity: 'critical', package: { version: '1.34.1-r4' }, fixedVersions: ['1.34.1-r5'],
    });
    expect(r.findings.find((f) => f.ruleId === 'CVE-2022-0778' && f.package?.name === 'libretls')).toMatchObject({ severity: 'high', package: { version: '3.3.4-r2' }, fixedVersions: ['3.3.4-r3'] });
  });

  it('Trivy’s GitLab template goldens', () => {
    expect(corpus('gitlab_container_scan', 'alpine-310.gitlab.golden').findings).toHaveLength(4);
    expect(corpus('gitlab_container_scan', 'npm.gitlab.golden').findings[0]).toMatchObject({ ruleId: 'CVE-2019-11358', severity: 'medium' });
  });
});

describeCorpus('gitlab dependency scanning on the corpus', () => {
  it('0 and 1; Unknown severity is info (DefectDojo)', () => {
    expect(corpus('gitlab_dep_scan', 'gl-dependency-scanning-report-0-vuln.json').findings).toHaveLength(0);
    for (const file of ['gl-dependency-scanning-report-1-vuln_v14.json', 'gl-dependency-scanning-report-1-vuln_v15.json']) {
      const r = corpus('gitlab_dep_scan', file);
      expect(r.findings).toHaveLength(1);
      expect(r.findings[0]).toMatchObject({ severity: 'info', toolSeverity: 'Unknown', title: 'XML Entity Expansion', package: { name: 'gopkg.in/yaml.v2', version: 'v2.2.2', ecosystem: 'golang' }, location: { path: 'service/go.sum' }, fixedVersions: ['2.2.3'] });
    }
  });

  it('missing component: 2, golang.org/x/crypto (DefectDojo)', () => {
    const r = corpus('gitlab_dep_scan', 'gl-dependency-scanning-report-2-vuln-missing-component_v15.json');
    expect(r.findings).toHaveLength(2);
    expect(r.findings.some((f) => f.package?.name === 'golang.org/x/crypto' && f.package.version === 'v0.0.0-20190308221718-c2843e01d9a2')).toBe(true);
    expect(r.findings.some((f) => f.package === undefined)).toBe(true);
  });

  it('many: more than 2, the first with CVE-2020-29652; the CWE sample has 776 (DefectDojo)', () => {
    const r = corpus('gitlab_dep_scan', 'gl-dependency-scanning-report-many-vuln_v14.json');
    expect(r.findings.length).toBeGreaterThan(2);
    expect(r.findings.find((f) => f.vulnerabilityIds.includes('CVE-2020-29652'))!.vulnerabilityIds).toEqual(['CVE-2020-29652']);
    expect(corpus('gitlab_dep_scan', 'gl-dependency-scanning-report-multiple-cwe-fabricated_v15.json').findings[0]!.cwes[0]).toBe(776);
  });
});

describeCorpus('gitlab sast on the corpus', () => {
  it('0 and 1 (Password in URL, critical) (DefectDojo)', () => {
    expect(corpus('gitlab_sast', 'gl-sast-report-0-vuln.json').findings).toHaveLength(0);
    for (const file of ['gl-sast-report-1-vuln_v14.json', 'gl-sast-report-1-vuln_v15.json']) {
      expect(corpus('gitlab_sast', file).findings[0]).toMatchObject({ title: 'Password in URL', severity: 'critical', category: 'code', location: { path: 'docker-compose.override.unit_tests.yml', startLine: 19 } });
    }
  });

  it('many-vuln: 467 entries, 219 fingerprints — what ingest stores (DefectDojo: 219 by its in-report key)', () => {
    for (const file of ['gl-sast-report-many-vuln_v14.json', 'gl-sast-report-many-vuln_v15.json']) {
      const r = corpus('gitlab_sast', file);
      expect(r.findings).toHaveLength(467);
      expect(unique(r)).toBe(219);
      expect(r.findings.slice(0, 3).map((f) => [f.title, f.severity])).toEqual([['Password in URL', 'critical'], ['Password in URL', 'critical'], ['PKCS8 key', 'critical']]);
    }
  });

  it('confidence: 8, njsscan 0.1.9; CWEs as integers (DefectDojo)', () => {
    const r = corpus('gitlab_sast', 'gl-sast-report-confidence_v15.json');
    expect(r).toMatchObject({ toolVersion: '0.1.9' });
    expect(r.findings).toHaveLength(8);
    expect(r.findings.every((f) => f.cwes.every((c) => Number.isInteger(c)))).toBe(true);
    const cwe = corpus('gitlab_sast', 'gl-sast-report-cwe_v14.json');
    expect(cwe.findings.slice(0, 2).map((f) => f.cwes[0])).toEqual([79, 89]);
    expect(corpus('gitlab_sast', 'gl-sast-report-multiple-cwe-fabricated_v15.json').findings[0]!.cwes).toEqual([79, 89]);
  });

  it('issue4344: no severity key → info (DefectDojo prefixes "[None severity]")', () => {
    const r = corpus('gitlab_sast', 'gl-sast-report_issue4344_v14.json');
    expect(r.findings[0]).toMatchObject({ title: 'Potential XSS vulnerability', severity: 'info', ruleId: 'SCS0029', location: { path: 'XXXXX.aspx.cs', startLine: 98 } });
  });
});

describe('gitlab fixtures', () => {
  it('secret detection: category secret, the scanner rule id; an entry with only a name is named by it', () => {
    const r = parseReport(scanners, new ReportInput(readFileSync(join(import.meta.dirname, 'fixtures', 'many-secret-detection-15.json'))));
    expect(r).toMatchObject({ format: 'gitlab-sast', toolVersion: '8.18.2' });
    expect(r.findings).toHaveLength(2);
    expect(r.findings[1]).toMatchObject({ category: 'secret', ruleId: 'no identifiers at all', severity: 'info' });
    expect(r.findings[0]).toMatchObject({ category: 'secret', ruleId: 'AWS', severity: 'critical', location: { path: 'deploy/env.sh', startLine: 3 }, vulnerabilityIds: [] });
    expect(r.findings[0]!.toolFingerprint).toContain('9c56cc51b374c3ba');
  });

  it('reads fixed versions out of GitLab solutions', () => {
    expect(versionsFromSolution('Upgrade apt from 1.4.8 to 1.4.9')).toEqual(['1.4.9']);
    expect(versionsFromSolution('Upgrade to version 2.2.3 or above.')).toEqual(['2.2.3']);
    expect(versionsFromSolution('Upgrade to versions 1.2.1, 2.0.3 or above.')).toEqual(['1.2.1', '2.0.3']);
    expect(versionsFromSolution('No solution provided')).toEqual([]);
  });
});
