// CycloneDX parser: corpus MANIFEST assertions (DefectDojo, Trivy and Grype goldens), then a
// written 1.6 VEX fixture.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../index.js';
import { parseReport, type ParsedReport } from '../../../src/ingest/parse-report.js';
import { ReportInput } from '../../../src/plugins/report-input.js';
import { corpusInput, describeCorpus } from '../../../test/helpers/corpus.js';

const corpus = (file: string): ParsedReport => parseReport(scanners, corpusInput('cyclonedx', file));

describeCorpus('cyclonedx on the corpus', () => {
  it('SBOMs without vulnerabilities are clean reports (DefectDojo: 0)', () => {
    expect(corpus('cyclonedx_bom.xml').findings).toHaveLength(0);
    expect(corpus('retirejs.latest.xml').findings).toHaveLength(0);
  });

  it('spec1.xml (1.2 + ext/vulnerability/1.0): jackson-databind 2.9.9 CVE-2018-7489 critical (DefectDojo)', () => {
    const r = corpus('spec1.xml');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ ruleId: 'CVE-2018-7489', severity: 'critical', vulnerabilityIds: ['CVE-2018-7489'], package: { version: '2.9.9' } });
    expect(r.findings[0]!.package?.name).toMatch(/jackson-databind$/);
    expect(r.findings[0]!.cvss).toEqual([{ version: '3.0', score: 9.8, vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }]);
  });

  it('grype_dd_1_14_1.xml: 312, Django 2.2.18 and libopenjp2-7 low (DefectDojo)', () => {
    const r = corpus('grype_dd_1_14_1.xml');
    expect(r.findings).toHaveLength(312);
    expect(r.warnings).toEqual([]);
    expect(r.findings.find((f) => f.package?.name === 'Django' && f.package.version === '2.2.18')!.severity).toBe('low');
    const openjp = r.findings.find((f) => f.ruleId === 'CVE-2019-6988')!;
    expect(openjp).toMatchObject({ severity: 'low', vulnerabilityIds: ['CVE-2019-6988'], package: { name: 'libopenjp2-7', version: '2.3.0-2+deb10u2' } });
    expect(corpus('grype.xml').findings).toHaveLength(327);
  });

  it('valid-vulnerability-1.4.json: SNYK id with the CVE reference, CWEs [184, 502], critical (DefectDojo)', () => {
    const r = corpus('valid-vulnerability-1.4.json');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      ruleId: 'SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111',
      severity: 'critical',
      cwes: [184, 502],
      vulnerabilityIds: ['CVE-2018-7489', 'SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111'],
      package: { version: '2.9.4' },
    });
    expect(r.findings[0]!.package?.name).toMatch(/jackson-databind$/);
  });

  it('multiple_cwes_fabricated.xml: CWEs [79, 89] (DefectDojo)', () => {
    expect(corpus('multiple_cwes_fabricated.xml').findings[0]!.cwes).toEqual([79, 89]);
  });

  it('log4j.xml, log4j.json, nested-component-log4j.json: 8 each, log4j-core 2.13.2 CVE-2021-44228 critical (DefectDojo)', () => {
    for (const file of ['log4j.xml', 'log4j.json', 'nested-component-log4j.json']) {
      const r = corpus(file);
      expect(r.findings, file).toHaveLength(8);
      const log4shell = r.findings.find((f) => f.ruleId === 'CVE-2021-44228')!;
      expect(log4shell, file).toMatchObject({ severity: 'critical', package: { version: '2.13.2' } });
      expect(log4shell.package?.name).toMatch(/log4j-core$/);
      expect(log4shell.cvss?.some((c) => c.vector === 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H')).toBe(true);
    }
  });

  it('issue_8022.json: 1; no-severity.json: 1 critical from the CVSS score, ref to no component (DefectDojo)', () => {
    expect(corpus('issue_8022.json').findings).toHaveLength(1);
    const r = corpus('no-severity.json');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ ruleId: 'CVE-2021-44228', severity: 'critical' });
    expect(r.findings[0]!.package).toBeUndefined();
    expect(r.warnings[0]!.message).toContain('which no component declares');
  });

  it('Trivy and Grype goldens: the file inventories their MANIFEST records', () => {
    const npm = corpus('npm-cyclonedx.json.golden');
    expect(npm.findings).toHaveLength(1);
    expect(npm.findings[0]).toMatchObject({ ruleId: 'CVE-2019-11358', severity: 'medium', cwes: [79], package: { purl: 'pkg:npm/jquery@3.3.9' } });
    const pom = corpus('pom-cyclonedx.json.golden');
    expect(pom.findings.map((f) => [f.ruleId, f.severity])).toEqual([['CVE-2020-9548', 'critical'], ['CVE-2021-20190', 'high']]);
    const img = corpus('TestCycloneDxPresenterImage.golden');
    // CVE-1999-0001: the label (low) wins over its CVSS score 8.2 (DESIGN §2.1).
    expect(img.findings.find((f) => f.ruleId === 'CVE-1999-0001')).toMatchObject({ severity: 'low', package: { name: 'package-1', version: '1.1.1' } });
    expect(img.findings.find((f) => f.ruleId === 'CVE-1999-0002')!.severity).toBe('critical');
  });
});

describe('cyclonedx fixture', () => {
  it('VEX states, nested components, fixes, an image subject, and skipped entries', () => {
    const r = parseReport(scanners, new ReportInput(readFileSync(join(import.meta.dirname, 'fixtures', 'many-vex-1.6.json'))));
    expect(r).toMatchObject({ format: 'cyclonedx-json', toolVersion: '0.56.2', target: 'registry.example.test/team/app:1.4' });
    expect(r.findings.map((f) => [f.ruleId, f.package?.name, f.status, f.severity, f.fixedVersions])).toEqual([
      ['CVE-2022-1471', 'org.yaml:snakeyaml', 'not_affected', 'high', ['2.0']],
      ['CVE-2022-1471', 'inner', 'not_affected', 'high', ['2.0']],
      ['CVE-2020-0001', 'org.yaml:snakeyaml', 'open', 'medium', ['1.34']],
    ]);
    expect(r.findings[0]).toMatchObject({ vulnerabilityIds: ['CVE-2022-1471', 'GHSA-mjmj-j48q-9wg2'], cwes: [502], location: { image: 'registry.example.test/team/app:1.4' }, package: { ecosystem: 'maven', purl: 'pkg:maven/org.yaml/snakeyaml@1.33' } });
    expect(r.findings[0]!.description).toContain('VEX: not_affected (code_not_reachable): Only trusted config is parsed.');
    expect(r.warnings.map((w) => w.pointer)).toEqual(['/vulnerabilities/2', '/vulnerabilities/3']);
  });
});
