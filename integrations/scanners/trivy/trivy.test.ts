// Trivy parser: the corpus MANIFEST assertions (DefectDojo, analysis-model, Trivy goldens), then
// hand-written fixtures for 0 / 1 / many findings and the rules readme.md states.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../index.js';
import { parseReport, type ParsedReport } from '../../../src/ingest/parse-report.js';
import { ReportInput } from '../../../src/plugins/report-input.js';
import { corpusInput, describeCorpus, gitBlobSha1, readCorpus } from '../../../test/helpers/corpus.js';

const corpus = (file: string): ParsedReport => parseReport(scanners, corpusInput('trivy', file));
const fixture = (file: string): ParsedReport =>
  parseReport(scanners, new ReportInput(readFileSync(join(import.meta.dirname, 'fixtures', file)), file));
const byRule = (r: ParsedReport, ruleId: string) => r.findings.filter((f) => f.ruleId === ruleId);

describeCorpus('trivy on the corpus', () => {
  it('reads the bytes its MANIFEST describes', () => {
    expect(gitBlobSha1(readCorpus('trivy', 'legacy_no_vuln.json'))).toBe('ec747fa47ddb81e9bf2d282011ed32aa4c59f932');
    expect(gitBlobSha1(readCorpus('trivy', 'trivy_result.json'))).toBe('6cd5977b8263205bc5f42fdd9c9176a42ccd3eb5');
  });

  it('detects every corpus file as Trivy, in the right format', () => {
    const formats: Record<string, string> = {
      'legacy_no_vuln.json': 'trivy-json-legacy',
      'legacy_trivy_mix.json': 'trivy-json-legacy',
      'trivy_result.json': 'trivy-json-legacy',
      'trivy_result_0.20.0.json': 'trivy-json-v2',
      'issue_9170.json': 'trivy-k8s',
      'kubernetes_fabricated_subset.json': 'trivy-k8s',
      'secrets.json.golden': 'trivy-json-v2',
    };
    for (const [file, format] of Object.entries(formats)) expect(corpus(file), file).toMatchObject({ tool: 'trivy', format });
  });

  it('legacy_no_vuln.json: JSON null is a clean report (DefectDojo: 0)', () => {
    expect(corpus('legacy_no_vuln.json').findings).toHaveLength(0);
  });

  it('trivy_result.json (legacy array) and trivy_result_0.20.0.json (v2 without Class): 4 each (analysis-model)', () => {
    for (const file of ['trivy_result.json', 'trivy_result_0.20.0.json']) {
      const r = corpus(file);
      expect(r.findings).toHaveLength(4);
      const avahi = byRule(r, 'CVE-2017-6519')[0]!;
      expect(avahi.title).toBe('avahi: Multicast DNS responds to unicast queries outside of local network');
      expect(avahi.severity).toBe('low'); // WARNING_LOW
      expect(byRule(r, 'CVE-2020-8619')[0]!.severity).toBe('medium'); // WARNING_NORMAL
      expect(r.findings.filter((f) => f.ruleId === 'CVE-2020-9999').map((f) => f.severity)).toContain('critical'); // ERROR
    }
    expect(byRule(corpus('trivy_result_0.20.0.json'), 'CVE-2020-5555')[0]!.severity).toBe('high'); // WARNING_HIGH
  });

  it('issue67296.json and alpine-39-skip.json.golden: no Results key → 0', () => {
    expect(corpus('issue67296.json').findings).toHaveLength(0);
    expect(corpus('alpine-39-skip.json.golden').findings).toHaveLength(0);
  });

  it('cvss_severity_source.json: 2, severity from the label, CVSS kept per source (DefectDojo)', () => {
    const r = corpus('cvss_severity_source.json');
    expect(r.findings).toHaveLength(2);
    const curl = byRule(r, 'CVE-2023-46218')[0]!;
    expect(curl.severity).toBe('medium');
    expect(curl.cvss).toContainEqual({ version: '3.1', score: 6.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N', source: 'nvd' });
    const second = byRule(r, 'CVE-2023-37920')[0]!;
    expect(second.severity).toBe('high');
    expect(second.cvss).toContainEqual({ version: '3.1', score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N', source: 'ghsa' });
  });

  it('cvssv4_severity_source.json: 3, the CVSS v4 vector and score kept (DefectDojo)', () => {
    const r = corpus('cvssv4_severity_source.json');
    expect(r.findings).toHaveLength(3);
    const v4 = r.findings.filter((f) => f.cvss?.some((c) => c.vector === 'CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N' && c.score === 6.3));
    expect(v4).toHaveLength(1);
    expect(v4[0]!.severity).toBe('medium');
  });

  it('issue_9263.json: 1, high, will_not_fix stays open (DefectDojo)', () => {
    const r = corpus('issue_9263.json');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ severity: 'high', status: 'open' });
  });

  it('issue_9333.json: 13, LOW → low (DefectDojo)', () => {
    const r = corpus('issue_9333.json');
    expect(r.findings).toHaveLength(13);
    expect(r.findings.filter((f) => f.severity === 'low')).toHaveLength(12);
  });

  it('issue_14136.json: 1 misconfiguration, low (DefectDojo)', () => {
    const r = corpus('issue_14136.json');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ category: 'misconfiguration', severity: 'low', ruleId: 'AVD-AWS-0143' });
  });

  it('license_scheme.json: 19 licenses, first HIGH GPL-2.0 in alpine-baselayout (DefectDojo)', () => {
    const r = corpus('license_scheme.json');
    expect(r.findings).toHaveLength(19);
    const gpl = r.findings.find((f) => f.ruleId === 'GPL-2.0' && f.package?.name === 'alpine-baselayout')!;
    expect(gpl).toMatchObject({ category: 'license', severity: 'high', confidence: 'high' });
    expect(gpl.description).toBe('GPL-2.0\nCategory: restricted\nPackage: alpine-baselayout');
  });

  it('issue_9170.json (trivy k8s, Resources[]): 37 misconfigurations, KSV116 low (DefectDojo)', () => {
    const r = corpus('issue_9170.json');
    expect(r.findings).toHaveLength(37);
    expect(r.findings.every((f) => f.category === 'misconfiguration')).toBe(true);
    const ksv116 = r.findings.find((f) => f.ruleId === 'KSV116' || f.ruleId === 'KSV-0116')!;
    expect(ksv116.title).toBe('Runs with a root primary or supplementary GID');
    expect(ksv116.severity).toBe('low');
    expect(ksv116.location?.resource).toMatch(/^[^/]*\/[^/]+\/[^/]+$/);
  });

  it('trivy k8s old layout: 7 vulnerabilities + 6 misconfigurations, internal duplicates kept for ingest', () => {
    for (const file of ['kubernetes_fabricated_subset.json', 'kubernetes_fabricated_internal_duplicates.json']) {
      const r = corpus(file);
      expect(r.findings.filter((f) => f.category === 'vulnerability')).toHaveLength(7);
      expect(r.findings.filter((f) => f.category === 'misconfiguration')).toHaveLength(6);
    }
    const dup = corpus('kubernetes_fabricated_internal_duplicates.json');
    // DefectDojo counts 3 internal duplicates; ScanHub's parser keeps them (same fingerprint) and ingest merges them.
    expect(dup.findings.length - new Set(dup.findings.map((f) => f.fingerprint)).size).toBe(3);
    const sub = corpus('kubernetes_fabricated_internal_duplicates_subset.json');
    expect(sub.findings.filter((f) => f.category === 'vulnerability')).toHaveLength(4);
    expect(sub.findings.filter((f) => f.category === 'misconfiguration')).toHaveLength(1);
  });

  it('trivy_misconfigurations.json: 4, DS002 high and DS026 low on two Dockerfiles (analysis-model)', () => {
    const r = corpus('trivy_misconfigurations.json');
    expect(r.findings).toHaveLength(4);
    expect(r.findings.map((f) => [f.location?.path, f.ruleId, f.severity])).toEqual([
      ['docker/Dockerfile', 'DS002', 'high'],
      ['docker/Dockerfile', 'DS026', 'low'],
      ['other/Dockerfile', 'DS002', 'high'],
      ['other/Dockerfile', 'DS026', 'low'],
    ]);
    expect(byRule(r, 'DS002')[0]!.title).toBe("Image user should not be 'root'");
    expect(byRule(r, 'DS026')[0]!.title).toBe('No HEALTHCHECK defined');
  });

  it('golden files: the inventories their MANIFEST records', () => {
    const debian = corpus('debian-buster.json.golden');
    expect(debian.findings.map((f) => [f.ruleId, f.package?.name, f.severity, f.fixedVersions])).toEqual([
      ['CVE-2019-18276', 'bash', 'low', []],
      ['CVE-2019-18224', 'libidn2-0', 'critical', ['2.0.5-1+deb10u1']],
    ]);
    expect(debian.findings[1]!.location?.image).toBe('testdata/fixtures/images/debian-buster.tar.gz');
    const centos = corpus('centos-7.json.golden');
    expect(centos.findings).toHaveLength(3);
    expect(centos.findings.find((f) => f.ruleId === 'CVE-2019-1559')).toMatchObject({ severity: 'medium', fixedVersions: ['1:1.0.2k-19.el7'], package: { name: 'openssl-libs', version: '1:1.0.2k-16.el7' } });
    const npm = corpus('npm.json.golden');
    expect(npm.findings).toHaveLength(1);
    expect(npm.findings[0]).toMatchObject({ ruleId: 'CVE-2019-11358', severity: 'medium', cwes: [79], fixedVersions: ['3.4.0'], location: { path: 'package-lock.json' }, package: { name: 'jquery', version: '3.3.9', purl: 'pkg:npm/jquery@3.3.9' } });
    // The same finding with the vendor (ubuntu) severity chosen: the label wins.
    expect(corpus('npm-ubuntu-severity.json.golden').findings[0]).toMatchObject({ ruleId: 'CVE-2019-11358', severity: 'low' });
    const pom = corpus('pom.json.golden');
    expect(pom.findings.map((f) => [f.ruleId, f.severity, f.fixedVersions[0], f.cwes])).toEqual([
      ['CVE-2020-9548', 'critical', '2.9.10.4', [502]],
      ['CVE-2021-20190', 'high', '2.9.10.7', [502]],
    ]);
    const gomod = corpus('gomod-vex.json.golden');
    expect(gomod.findings).toHaveLength(4);
    expect(gomod.findings.every((f) => f.severity === 'info' && f.toolSeverity === 'UNKNOWN')).toBe(true);
    expect(new Set(gomod.findings.map((f) => f.location?.path))).toEqual(new Set(['go.mod', 'submod/go.mod', 'submod2/go.mod']));
    const spring = corpus('spring4shell-jre8.json.golden');
    expect(spring.findings).toHaveLength(1);
    expect(spring.findings[0]).toMatchObject({ ruleId: 'CVE-2022-22965', severity: 'low', cwes: [94], fixedVersions: ['5.3.18'] });
    expect(spring.warnings).toEqual([]);
    const dockerfile = corpus('dockerfile.json.golden');
    expect(dockerfile.findings).toHaveLength(1);
    expect(dockerfile.findings[0]).toMatchObject({ category: 'misconfiguration', ruleId: 'DS-0002', severity: 'high', location: { path: 'Dockerfile' } });
    const helm = corpus('helm_testchart.json.golden');
    expect(helm.findings).toHaveLength(6);
    expect(helm.findings.find((f) => f.ruleId === 'KSV-0001')?.location).toMatchObject({ path: 'templates/deployment.yaml', startLine: 28, endLine: 57 });
    const secrets = corpus('secrets.json.golden');
    expect(secrets.findings.map((f) => [f.category, f.ruleId, f.severity, f.location?.path, f.location?.startLine])).toEqual([
      ['secret', 'aws-access-key-id', 'critical', 'deploy.sh', 3],
      ['secret', 'mysecret', 'high', 'deploy.sh', 7],
    ]);
    expect(JSON.stringify(secrets.findings)).not.toMatch(/AKIA[0-9A-Z]{12}/);
    const alpine = corpus('alpine-310.json.golden');
    expect(alpine.findings).toHaveLength(4);
    expect(alpine.findings.every((f) => f.severity === 'medium' && f.location?.image === 'testdata/fixtures/images/alpine-310.tar.gz')).toBe(true);
  });

  it('npm-with-suppressed.json.golden: the VEX-suppressed finding is kept as not_affected', () => {
    const r = corpus('npm-with-suppressed.json.golden');
    expect(r.findings).toHaveLength(2); // Trivy lists 1 vulnerability + 1 ExperimentalModifiedFindings entry
    expect(byRule(r, 'CVE-2017-20165')[0]).toMatchObject({ status: 'open', severity: 'high', fixedVersions: ['3.1.0', '2.6.9'] });
    expect(byRule(r, 'CVE-2017-16137')[0]).toMatchObject({ status: 'not_affected', severity: 'low' });
  });

  it('legacy_trivy_mix.json: 7 listed, the one without a VulnerabilityID skipped with a pointer', () => {
    const r = corpus('legacy_trivy_mix.json');
    expect(r.findings).toHaveLength(6);
    expect(r.warnings).toEqual([{ pointer: '/0/Vulnerabilities/0', message: 'Skipped a vulnerability without VulnerabilityID or PkgName.' }]);
    expect(byRule(r, 'CVE-2018-16487')[0]).toMatchObject({ package: { name: 'lodash', ecosystem: 'npm' }, location: { path: 'node-app/package-lock.json' } });
  });
});

describe('trivy fixtures', () => {
  it('0 findings from a clean image', () => {
    const r = fixture('empty-v2.json');
    expect(r).toMatchObject({ tool: 'trivy', format: 'trivy-json-v2', target: 'registry.example.test/team/clean:2.0' });
    expect(r.findings).toEqual([]);
  });

  it('1 finding, field by field', () => {
    const r = fixture('one-vuln.json');
    expect(r.toolVersion).toBe('0.56.2');
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f).toMatchObject({
      tool: 'trivy',
      toolVersion: '0.56.2',
      ruleId: 'CVE-2023-4863',
      category: 'vulnerability',
      severity: 'high',
      toolSeverity: 'HIGH',
      title: 'libwebp: Heap buffer overflow in WebP Codec',
      vulnerabilityIds: ['CVE-2023-4863', 'GHSA-j7hp-h8jx-5ppr'],
      cwes: [787],
      package: { name: 'libwebp', version: '1.2.4-r2', ecosystem: 'alpine', purl: 'pkg:apk/alpine/libwebp@1.2.4-r2?arch=x86_64&distro=3.17.3' },
      fixedVersions: ['1.2.4-r3'],
      location: { image: 'registry.example.test/team/app:1.4', layer: 'sha256:f1417ff83b319fbdae6dd9cd6d8c9c88002dcd75ecf6ec201c8c6894681cf2b5' },
      status: 'open',
      references: ['https://avd.aquasec.com/nvd/cve-2023-4863', 'https://nvd.nist.gov/vuln/detail/CVE-2023-4863'],
    });
    expect(f.location?.path).toBeUndefined();
    expect(f.cvss).toEqual([
      { version: '3.1', score: 8.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', source: 'nvd' },
      { version: '3.1', score: 8.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', source: 'redhat' },
    ]);
  });

  it('many kinds: severity rule, status, skipped items and PASS checks', () => {
    const r = fixture('many-kinds.json');
    expect(r.findings.map((f) => [f.category, f.ruleId])).toEqual([
      ['vulnerability', 'CVE-2021-23337'],
      ['vulnerability', 'CVE-2020-28500'],
      ['vulnerability', 'GHSA-29mw-wpgm-hmr9'],
      ['misconfiguration', 'KSV-0001'],
      ['secret', 'github-pat'],
      ['license', 'AGPL-3.0'],
    ]);
    expect(byRule(r, 'CVE-2020-28500')[0]).toMatchObject({ severity: 'medium', status: 'not_affected' }); // no label: CVSS 5.3
    expect(byRule(r, 'GHSA-29mw-wpgm-hmr9')[0]!.severity).toBe('info'); // UNKNOWN stays info though CVSS says 9.1
    expect(byRule(r, 'CVE-2021-23337')[0]!.package?.purl).toBe('pkg:npm/lodash@4.17.20');
    expect(byRule(r, 'KSV-0001')[0]!.location).toEqual({ path: 'deploy/k8s.yaml', startLine: 12, endLine: 30, resource: 'Deployment/api' });
    expect(byRule(r, 'github-pat')[0]).toMatchObject({ severity: 'critical', location: { path: 'scripts/deploy.sh', startLine: 4 }, cwes: [798] });
    expect(r.warnings).toEqual([{ pointer: '/Results/0/Vulnerabilities/3', message: 'Skipped a vulnerability without VulnerabilityID or PkgName.' }]);
  });

  it('refuses a malformed document with a pointer, and other tools’ reports', () => {
    expect(() => parseReport(scanners, new ReportInput('{"SchemaVersion": 2, "ArtifactName": "x", "Results": {"a": 1}}'), 'trivy')).toThrow(expect.objectContaining({ pointer: '/Results' }));
    expect(() => parseReport(scanners, new ReportInput('{"results": [], "errors": [], "version": "1.0"}'), 'trivy')).toThrow(expect.objectContaining({ code: 'REPORT_TOOL_MISMATCH' }));
  });
});
