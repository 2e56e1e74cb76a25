// Xray parser: the corpus MANIFEST ground truth (DefectDojo's four Xray parsers, jfrog-cli-security
// counts), non-report bodies refused, and the component-id rules.
import { describe, expect, it } from 'vitest';
import { scanners } from '../../index.js';
import { parseReport, type ParsedReport } from '../../../src/ingest/parse-report.js';
import { corpusInput, describeCorpus } from '../../../test/helpers/corpus.js';
import { fixedVersion, parseComponentId } from './components.js';

const corpus = (file: string): ParsedReport => parseReport(scanners, corpusInput('xray', file));

describeCorpus('xray on the corpus', () => {
  it('Xray 2.x Security Export: 1 libx11 with CWE 787 and a fix; 3; multi-CWE [787, 119] (DefectDojo)', () => {
    const one = corpus('xray-v2-security-export-one-deb.dd.json');
    expect(one).toMatchObject({ format: 'xray-security-export' });
    expect(one.findings).toHaveLength(1);
    expect(one.findings[0]).toMatchObject({ vulnerabilityIds: ['CVE-2018-14600'], cwes: [787], fixedVersions: ['2:1.6.4-3+deb9u1'], package: { name: 'libx11', version: '2:1.6.4-3', ecosystem: 'deb' } });
    expect(corpus('xray-v2-security-export-three.dd.json').findings).toHaveLength(3);
    expect(corpus('xray-v2-security-export-multi-cwe.fabricated.dd.json').findings[0]!.cwes).toEqual([787, 119]);
  });

  it('Xray 3.x report export: 0, Jinja2 medium with a fix, 3 (DefectDojo)', () => {
    expect(corpus('xray-report-vulnerabilities-empty.dd.json').findings).toHaveLength(0);
    const one = corpus('xray-report-vulnerabilities-one-pypi.dd.json');
    expect(one.findings).toHaveLength(1);
    expect(one.findings[0]).toMatchObject({ ruleId: 'CVE-2020-28493', vulnerabilityIds: ['CVE-2020-28493', 'XRAY-139239'], severity: 'medium', fixedVersions: ['2.11.3'], package: { name: 'Jinja2', version: '2.11.2', purl: 'pkg:pypi/Jinja2@2.11.2' } });
    expect(one.findings[0]!.title.startsWith('This affects the package')).toBe(true);
    expect(corpus('xray-report-vulnerabilities-three.dd.json').findings).toHaveLength(3);
  });

  it('Artifact Summary: 0, 1 critical XRAY-124116, 15 with CVE-2021-42385, multi-CWE (DefectDojo)', () => {
    expect(corpus('xray-artifact-summary-v1-docker-no-issues.dd.json').findings).toHaveLength(0);
    const one = corpus('xray-artifact-summary-v1-docker-one-issue.dd.json');
    expect(one.findings[0]).toMatchObject({ ruleId: 'XRAY-124116', vulnerabilityIds: ['XRAY-124116'], severity: 'critical', location: { image: 'artifact1:1.0' }, package: { name: 'openssl', version: '1.1.1k-r0' } });
    expect(one.findings[0]!.title.startsWith('OpenSSL crypto')).toBe(true);
    const many = corpus('xray-artifact-summary-v1-many-issues.dd.json');
    expect(many.findings).toHaveLength(15);
    expect(many.findings.some((f) => f.vulnerabilityIds[0] === 'CVE-2021-42385')).toBe(true);
    expect(corpus('xray-artifact-summary-v1-multi-cwe.fabricated.dd.json').findings[0]!.cwes).toEqual([787, 119]);
    const v2 = corpus('xray-artifact-summary-v2-docker.clientgo.json');
    expect(v2.findings.find((f) => f.ruleId === 'CVE-2021-41771')).toMatchObject({ severity: 'high', cwes: [119] });
  });

  it('jf scan output: maven 1 high with fix 1.9.4; 3; pypi/django 107 per component (DefectDojo: 1, 3, 99)', () => {
    const one = corpus('xray-scan-graph-ondemand-maven-one-vuln.dd.json');
    expect(one.findings).toHaveLength(1);
    expect(one.findings[0]).toMatchObject({ vulnerabilityIds: ['CVE-2014-0114', 'XRAY-55616'], severity: 'high', fixedVersions: ['1.9.4'], package: { name: 'test' }, location: { path: 'lib/commons-beanutils-1.9.2.jar' } });
    expect(corpus('xray-scan-graph-ondemand-many-vulns.dd.json').findings).toHaveLength(3);
    const django = corpus('xray-scan-graph-ondemand-pypi-django.dd.json');
    expect(django.findings).toHaveLength(107);
    expect(new Set(django.findings.map((f) => f.fingerprint)).size).toBe(91);
    expect(django.findings.find((f) => f.package?.name === 'sqlparse')).toMatchObject({ ruleId: 'CVE-2023-30608', vulnerabilityIds: ['CVE-2023-30608', 'XRAY-515353'], severity: 'high', fixedVersions: ['0.4.4'], package: { version: '0.4.3' } });
  });

  it('graph scans: SCA vulnerabilities as jfrog-cli-security counts them (docker 8 issues, npm 12), violations not doubled', () => {
    const docker = corpus('xray-scan-graph-docker-image-with-violation.clisecurity.json');
    expect(new Set(docker.findings.map((f) => f.ruleId)).size).toBe(8);
    expect(docker.findings.every((f) => f.location?.image === 'platform.jfrog.io/swamp-docker/swamp:latest')).toBe(true);
    const npm = corpus('xray-scan-graph-npm-audit-with-violations.clisecurity.json');
    expect(new Set(npm.findings.map((f) => `${f.ruleId}`)).size).toBe(12);
    expect(corpus('xray-scan-graph-pypi-results.clisecurity.json').findings).toHaveLength(15);
  });

  it('violations, violation details, webhooks and build scans parse; license issues are license findings', () => {
    expect(corpus('xray-violations-list-page1.siem.json').findings).toHaveLength(25);
    expect(corpus('xray-violation-details.siem.json').findings[0]).toMatchObject({ vulnerabilityIds: ['CVE-2018-2000568', 'XRAYS1-artifact_1.zip7005086'], severity: 'high' });
    expect(corpus('xray-webhook-security-one-issue-docker.sechub.json').findings[0]!.location?.image).toBe('artifactory-fluentd:1.11.2');
    const mixed = corpus('xray-webhook-security-and-license.sechub.json');
    expect(mixed.findings.filter((f) => f.category === 'license').length).toBeGreaterThan(0);
    expect(corpus('xray-build-scan-v2-results.clientgo.json').findings[0]).toMatchObject({ ruleId: 'CVE-2022-41853', severity: 'critical' });
  });

  it('refuses bodies that are not reports: status, entitlements, Artifactory webhooks', () => {
    for (const file of ['xray-artifact-status-done.clientgo.json', 'xray-entitlements-entitled.clientgo.json', 'artifactory-webhook-docker-pushed.keel.json', 'xray-report-status-completed.clientgo.json']) {
      expect(() => corpus(file), file).toThrow(expect.objectContaining({ code: 'REPORT_FORMAT_UNKNOWN' }));
    }
  });
});

describe('xray component ids', () => {
  it.each([
    ['gav://org.yaml:snakeyaml:1.16', { name: 'org.yaml:snakeyaml', version: '1.16', ecosystem: 'maven', purl: 'pkg:maven/org.yaml/snakeyaml@1.16' }],
    ['npm://desopmo:1.33.7', { name: 'desopmo', version: '1.33.7', ecosystem: 'npm', purl: 'pkg:npm/desopmo@1.33.7' }],
    ['pypi://django:4.1.4', { name: 'django', version: '4.1.4', ecosystem: 'pypi', purl: 'pkg:pypi/django@4.1.4' }],
    ['alpine://3.18:libcrypto3:3.1.1-r1', { name: 'libcrypto3', version: '3.1.1-r1', ecosystem: 'apk' }],
    ['deb://debian:stretch:libx11:2:1.6.4-3', { name: 'libx11', version: '2:1.6.4-3', ecosystem: 'deb' }],
    ['npm://desopmo', { name: 'desopmo', ecosystem: 'npm', purl: 'pkg:npm/desopmo' }],
    ['docker://repo/app:1.4', { name: 'repo/app:1.4', image: 'repo/app:1.4' }],
  ])('%s', (id, expected) => expect(parseComponentId(id)).toEqual(expected));

  it('reads fixed-version notations', () => {
    expect(['[1.9.4]', '[2.9.10.7,)', '≥ 2:1.6.4-3+deb9u1', '2.11.3', '(,1.2.3)'].map(fixedVersion)).toEqual(['1.9.4', '2.9.10.7', '2:1.6.4-3+deb9u1', '2.11.3', undefined]);
  });
});
