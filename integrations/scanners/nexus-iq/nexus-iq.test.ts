// Nexus IQ parser: the corpus MANIFEST assertions (DefectDojo's Sonatype parser tests) count first,
// then field by field; the written fixtures for the policy report and the bridge document; package
// naming shared with Dependency-Check; detection that does not steal CycloneDX; broken input.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../index.js';
import { ReportFormatError } from '../../../src/errors.js';
import { packageIdentity } from '../../../src/domain/identity.js';
import { parseReport, type ParsedReport } from '../../../src/ingest/parse-report.js';
import { ReportInput } from '../../../src/plugins/report-input.js';
import { corpusInput, describeCorpus, gitBlobSha1, readCorpus } from '../../../test/helpers/corpus.js';
import { packageFromPurl } from '../dependency-check/common.js';
import { buildBridgeDocument } from './document.js';
import { nexusIq } from './index.js';

const corpus = (file: string) => nexusIq.parse(corpusInput('sonatype', file));
const fixture = (file: string) => readFileSync(join(import.meta.dirname, 'fixtures', file));
const parseFixture = (file: string) => nexusIq.parse(new ReportInput(fixture(file), file));
// The registry with this plugin in it, whether or not integrations/index.ts lists it yet.
const registry = [...scanners.filter((s) => s.id !== nexusIq.id), nexusIq];
const viaRegistry = (text: string | Buffer): ParsedReport => parseReport(registry, new ReportInput(text));

describeCorpus('nexus-iq on the corpus (DefectDojo test_sonatype_parser.py)', () => {
  it('reads the bytes the MANIFEST describes', () => {
    expect(gitBlobSha1(readCorpus('sonatype', 'no_vuln.json'))).toBe('f472afd557e5ea5444e304bf79a8c3eb41354ae3');
    expect(gitBlobSha1(readCorpus('sonatype', 'two_vulns.json'))).toBe('985f8d90d92514ced62586d68f685d2cd6426699');
    expect(gitBlobSha1(readCorpus('sonatype', 'many_vulns.json'))).toBe('bfe2b37026bf2d900f5a620ce3a1ae96a2b4a07a');
  });

  it('no_vuln.json: 0 findings, detected as raw report data', () => {
    expect(nexusIq.detect(corpusInput('sonatype', 'no_vuln.json'))).toEqual({ format: 'nexus-iq-raw', score: 80 });
    const r = corpus('no_vuln.json');
    expect(r.findings).toHaveLength(0);
    expect(r.warnings).toEqual([]);
  });

  it('two_vulns.json: 2 findings; findings[0] has exactly one vulnerability id, CVE-2016-2402', () => {
    const r = corpus('two_vulns.json');
    expect(r.findings).toHaveLength(2);
    expect(r.findings[0]!.vulnerabilityIds).toHaveLength(1);
    expect(r.findings[0]!.vulnerabilityIds![0]).toBe('CVE-2016-2402');
    // Deliberate difference: DefectDojo gives a Sonatype-only issue no vulnerability id; ScanHub keeps it as the id.
    expect(r.findings[1]).toMatchObject({ ruleId: 'sonatype-2018-0035', vulnerabilityIds: ['sonatype-2018-0035'], references: [] });
  });

  it('many_vulns.json: 6 findings in component × issue order with DefectDojo severities', () => {
    const r = corpus('many_vulns.json');
    expect(r.findings).toHaveLength(6);
    expect(r.findings.map((f) => f.ruleId)).toEqual(['sonatype-2018-0330', 'CVE-2016-3674', 'CVE-2017-7957', 'CVE-2016-2402', 'sonatype-2018-0035', 'sonatype-2023-4856']);
    // DefectDojo: Medium, High, High, Medium, Medium, Medium.
    expect(r.findings.map((f) => f.severity)).toEqual(['medium', 'high', 'high', 'medium', 'medium', 'medium']);
    // IQ's threat category is kept as the tool's label; it does not decide (xstream 7.5 is "critical").
    expect(r.findings.map((f) => f.toolSeverity)).toEqual(['severe', 'critical', 'critical', 'severe', 'severe', 'severe']);
  });

  it('many_vulns.json findings[5]: okhttp 2.6.0, CWE 693, CVSS vector, file path, Not Applicable → not_affected', () => {
    const f = corpus('many_vulns.json').findings[5]!;
    // DefectDojo title "sonatype-2023-4856 - okhttp com.squareup.okhttp 2.6.0"; ScanHub names the package as Dependency-Check does.
    expect(f.title).toBe('sonatype-2023-4856 in com.squareup.okhttp:okhttp 2.6.0');
    expect(f.package).toEqual({ name: 'com.squareup.okhttp:okhttp', version: '2.6.0', ecosystem: 'maven', purl: 'pkg:maven/com.squareup.okhttp/okhttp@2.6.0' });
    expect(f.cwes).toEqual([693]);
    expect(f.cvss).toEqual([{ version: '3.1', score: 5.3, vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:N/I:H/A:N', source: 'sonatype_cvss_3' }]);
    expect(f.location).toEqual({ path: 'WEB-INF/lib/okhttp-2.6.0.jar' });
    // Deliberate difference: DefectDojo keeps "Not Applicable" as an open finding with the text in mitigation.
    expect(f.status).toBe('not_affected');
    expect(f.description).toContain('IQ status: Not Applicable');
  });

  it('many_vulns.json: CVE issues carry their URL and a score-only CVSS entry; issue-less components give nothing', () => {
    const r = corpus('many_vulns.json');
    const xstream = r.findings[1]!;
    expect(xstream).toMatchObject({ references: ['http://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2016-3674'], cvss: [{ version: 'unknown', score: 7.5, source: 'cve' }], package: { name: 'org.jvnet.hudson:xstream', version: '1.4.7' } });
    expect(r.findings.some((f) => f.package?.name.includes('aws-java-sdk-signer') || f.package?.name.includes('ace-builds'))).toBe(false);
    expect(r.findings.every((f) => f.category === 'vulnerability' && f.status !== 'open' === (f.ruleId === 'sonatype-2023-4856'))).toBe(true);
  });

  it('every corpus file is claimed by nexus-iq through the registry', () => {
    for (const file of ['no_vuln.json', 'two_vulns.json', 'many_vulns.json']) {
      expect(parseReport(registry, corpusInput('sonatype', file)).tool, file).toBe('nexus-iq');
    }
  });
});

describe('nexus-iq written fixtures', () => {
  it('one.json: commons-text CVE-2022-42889 critical from CVSS 9.8, IQ packageUrl qualifiers dropped for maven', () => {
    const r = parseFixture('one.json');
    expect(r.format).toBe('nexus-iq-raw');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      ruleId: 'CVE-2022-42889',
      severity: 'critical',
      title: 'CVE-2022-42889 in commons-text 1.9 (.jar)',
      package: { name: 'org.apache.commons:commons-text', version: '1.9', ecosystem: 'maven', purl: 'pkg:maven/org.apache.commons/commons-text@1.9' },
      cwes: [94],
      location: { path: 'BOOT-INF/lib/commons-text-1.9.jar' },
      references: ['https://nvd.nist.gov/vuln/detail/CVE-2022-42889'],
    });
  });

  it('many.json: npm purl from packageUrl, further pathnames in the description, VEX analysis and Not Applicable kept as statuses', () => {
    const r = parseFixture('many.json');
    expect(r.findings).toHaveLength(4);
    expect(r.warnings).toEqual([]);
    const [lodashA, lodashB, pyyaml, jqueryUi] = r.findings;
    expect(lodashA).toMatchObject({ severity: 'high', status: 'open', package: { name: 'lodash', ecosystem: 'npm', purl: 'pkg:npm/lodash@4.17.20' }, location: { path: 'web/node_modules/lodash/package.json' } });
    expect(lodashA!.description).toContain('Also found at: admin/node_modules/lodash/package.json');
    expect(lodashA!.description).toContain('IQ status: Acknowledged');
    expect(lodashB).toMatchObject({ ruleId: 'CVE-2020-28500', severity: 'medium' });
    expect(pyyaml).toMatchObject({ status: 'false_positive', package: { name: 'PyYAML', ecosystem: 'pypi', purl: 'pkg:pypi/PyYAML@5.3' } });
    expect(pyyaml!.description).toContain('false_positive — code_not_reachable — Only safe_load is used.');
    // a-name (IQ's JavaScript identification) has no purl type.
    expect(jqueryUi).toMatchObject({ severity: 'low', status: 'not_affected', package: { name: 'jquery-ui', version: '1.12.1', ecosystem: 'a-name' } });
    expect(jqueryUi!.package!.purl).toBeUndefined();
  });

  it('policy-report.json: one finding per named id per component for security violations, one per licence violation; threat level → severity; waived/grandfathered → accepted_risk', () => {
    const r = parseFixture('policy-report.json');
    expect(r.format).toBe('nexus-iq-policy');
    expect(r.target).toBe('shop-api');
    expect(r.findings.map((f) => [f.ruleId, f.category, f.severity, f.status, f.toolSeverity])).toEqual([
      ['CVE-2022-42889', 'vulnerability', 'critical', 'open', 'threat level 10'],
      ['sonatype-2019-0115', 'vulnerability', 'critical', 'accepted_risk', 'threat level 9'],
      ['CVE-2020-36518', 'vulnerability', 'high', 'open', 'threat level 7'],
      ['License-Banned', 'license', 'high', 'accepted_risk', 'threat level 5'],
    ]);
    expect(r.findings[3]).toMatchObject({ vulnerabilityIds: [], package: { name: '@fortawesome/fontawesome-pro', version: '6.4.0', ecosystem: 'npm' } });
    expect(r.findings[3]!.description).toContain('Commercial licence: License Threat Group is Commercial — Found licence LicenseRef-Commercial.');
  });

  it('evaluation.json (bridge document): raw issues are the findings, waivers from policy data apply, uncovered violations are added', () => {
    const r = parseFixture('evaluation.json');
    expect(r.format).toBe('nexus-iq-evaluation');
    expect(r.target).toBe('shop-api');
    expect(r.findings.map((f) => [f.ruleId, f.severity, f.status, f.category])).toEqual([
      // raw: CVSS 9.8, the Security-Critical violation is open
      ['CVE-2022-42889', 'critical', 'open', 'vulnerability'],
      // raw: CVSS 8.1 → high (not the threat level's critical); Security-High violation waived
      ['sonatype-2019-0115', 'high', 'accepted_risk', 'vulnerability'],
      // named only by the Security-Medium violation: added from policy data
      ['CVE-2020-36518', 'high', 'open', 'vulnerability'],
      ['License-Banned', 'high', 'accepted_risk', 'license'],
    ]);
    expect(r.findings[1]!.description).toContain('Policy violation: Security-High (threat level 9) — accepted in IQ');
  });

  it('an issue IQ marks Not Applicable stays not_affected even when its violation is open', () => {
    const doc = JSON.parse(fixture('evaluation.json').toString('utf8')) as { raw: { components: { securityData: { securityIssues: { status: string }[] } }[] } };
    doc.raw.components[0]!.securityData.securityIssues[0]!.status = 'Not Applicable';
    expect(nexusIq.parse(new ReportInput(JSON.stringify(doc))).findings[0]!.status).toBe('not_affected');
  });

  it('a bridge document without policy data reads like its raw data', () => {
    const raw = JSON.parse(fixture('many.json').toString('utf8')) as unknown;
    const doc = buildBridgeDocument({ applicationPublicId: 'web', stage: 'build', scanId: 'abc', reportTime: 1717243200000, raw });
    expect(doc.scanhub).toMatchObject({ kind: 'nexus-iq-evaluation', version: 1, reportTime: '2024-06-01T12:00:00.000Z' });
    const r = nexusIq.parse(new ReportInput(JSON.stringify(doc)));
    expect(r.findings.map((f) => f.ruleId)).toEqual(parseFixture('many.json').findings.map((f) => f.ruleId));
  });
});

describe('nexus-iq package naming meets Dependency-Check', () => {
  it('a maven component has the same name, purl and package identity as Dependency-Check gives it', () => {
    const f = parseFixture('one.json').findings[0]!;
    const dc = packageFromPurl('pkg:maven/org.apache.commons/commons-text@1.9')!;
    expect(f.package).toEqual({ name: dc.name, version: dc.version, ecosystem: dc.ecosystem, purl: dc.purl });
    expect(packageIdentity(f.package)).toBe(packageIdentity({ name: dc.name, purl: dc.purl }));
  });

  it('builds the maven purl from coordinates when IQ sends no packageUrl', () => {
    const r = viaRegistry(JSON.stringify({ components: [{ hash: 'aa', componentIdentifier: { format: 'maven', coordinates: { groupId: 'org.x', artifactId: 'y', version: '1.0', extension: 'jar' } }, securityData: { securityIssues: [{ source: 'cve', reference: 'cve-2020-0001', severity: 4.0 }] } }] }));
    expect(r.findings[0]).toMatchObject({ ruleId: 'cve-2020-0001', vulnerabilityIds: ['CVE-2020-0001'], severity: 'medium', package: { name: 'org.x:y', purl: 'pkg:maven/org.x/y@1.0' } });
  });
});

describe('nexus-iq detection and broken input', () => {
  it('does not claim CycloneDX (also components[]) or an unrelated components list', () => {
    const cdx = { bomFormat: 'CycloneDX', specVersion: '1.5', components: [{ type: 'library', name: 'x', purl: 'pkg:npm/x@1' }], vulnerabilities: [] };
    expect(nexusIq.detect(new ReportInput(JSON.stringify(cdx)))).toBeNull();
    expect(viaRegistry(JSON.stringify(cdx)).tool).toBe('cyclonedx');
    expect(nexusIq.detect(new ReportInput('{"components":[{"name":"x"}]}'))).toBeNull();
    expect(nexusIq.detect(new ReportInput('{"components":[]}'))).toBeNull();
  });

  it('skips a malformed component or issue with a warning naming its pointer', () => {
    const r = nexusIq.parse(new ReportInput(JSON.stringify({ components: [7, { componentIdentifier: { format: 'npm', coordinates: { packageId: 'a', version: '1' } }, securityData: { securityIssues: [{ severity: 5 }, { reference: 'CVE-2021-0001', severity: 5 }] } }], matchSummary: {} })));
    expect(r.findings.map((f) => f.ruleId)).toEqual(['CVE-2021-0001']);
    expect(r.warnings.map((w) => w.pointer)).toEqual(['/components/0', '/components/1/securityData/securityIssues/0']);
  });

  it('truncated or garbled bodies fail with ReportFormatError only', () => {
    const bytes = fixture('evaluation.json');
    for (const cut of [0.1, 0.5, 0.9]) {
      const input = new ReportInput(bytes.subarray(0, Math.floor(bytes.length * cut)));
      expect(nexusIq.detect(input)).toBeNull();
      expect(() => nexusIq.parse(input)).toThrow(ReportFormatError);
    }
    expect(() => nexusIq.parse(new ReportInput('{"components": "nope"}'))).toThrow(ReportFormatError);
    expect(() => nexusIq.parse(new ReportInput('[1,2]'))).toThrow(ReportFormatError);
  });
});
