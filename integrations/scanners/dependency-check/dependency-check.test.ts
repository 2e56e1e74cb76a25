// Dependency-Check parser: corpus MANIFEST assertions (DefectDojo, analysis-model, sonar plugin),
// a written 4.1 fixture, and hostile XML (XXE, billion laughs) refused without expansion.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../index.js';
import { ReportFormatError } from '../../../src/errors.js';
import { parseReport, type ParsedReport } from '../../../src/ingest/parse-report.js';
import { ReportInput } from '../../../src/plugins/report-input.js';
import { corpusInput, describeCorpus } from '../../../test/helpers/corpus.js';

const corpus = (...path: string[]): ParsedReport => parseReport(scanners, corpusInput('dependency_check', ...path));
const NS = 'https://jeremylong.github.io/DependencyCheck/dependency-check.2.5.xsd';

describeCorpus('dependency-check on the corpus', () => {
  it('dc_empty.xml: 0; single_vuln.xml: 1 medium in org.owasp:library 6.7.8 (DefectDojo)', () => {
    expect(corpus('dc_empty.xml').findings).toHaveLength(0);
    const r = corpus('single_vuln.xml');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ ruleId: 'CVE-0000-0001', severity: 'medium', package: { name: 'org.owasp:library', version: '6.7.8' } });
    expect(r.findings[0]!.cvss).toBeUndefined();
  });

  it('multiple_vulnerabilities_has_multiple_findings.xml: 9, related dependencies not multiplied (DefectDojo)', () => {
    const r = corpus('multiple_vulnerabilities_has_multiple_findings.xml');
    expect(r.findings).toHaveLength(9);
    const dom4j = r.findings.filter((f) => f.package?.name === 'org.dom4j:dom4j');
    expect(dom4j.map((f) => f.location?.path).sort()).toEqual(['adapter-ear1.ear: dom4j-2.1.1.jar', 'adapter-ear2.ear: dom4j-2.1.1.jar']);
    expect(dom4j[0]).toMatchObject({ ruleId: 'CVE-0000-0001', severity: 'high', vulnerabilityIds: ['CVE-0000-0001'], package: { version: '2.1.1.redhat-00001', purl: 'pkg:maven/org.dom4j/dom4j@2.1.1.redhat-00001' } });
    const yargs = r.findings.filter((f) => f.package?.name === 'yargs-parser');
    expect(yargs.map((f) => [f.ruleId, f.severity])).toEqual([
      ['1500', 'low'],
      ['CVE-2020-7608', 'high'],
      ["CWE-400: Uncontrolled Resource Consumption ('Resource Exhaustion')", 'high'],
    ]);
    expect(yargs[1]!.cvss).toEqual([{ version: '3.1', score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N', source: 'OSSINDEX' }]);
    expect(yargs[2]!.cvss![0]!.vector).toBe('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H');
    expect(r.findings.some((f) => f.package?.name === 'dom4j' && f.package.version === '2.1.1')).toBe(true);
    const suppressed = r.findings.filter((f) => f.status !== 'open');
    expect(suppressed).toHaveLength(2);
    expect(suppressed.every((f) => f.severity === 'critical' && f.package?.name === 'jquery' && f.cvss?.some((c) => c.score === 9.8 && c.vector?.endsWith('/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')))).toBe(true);
  });

  it('version-6.5.3.xml: 1 low log4j-api 2.12.4 with CVSS 3.7 (DefectDojo); the fabricated copy has CWEs [295, 297]', () => {
    const r = corpus('version-6.5.3.xml');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ severity: 'low', package: { name: 'org.apache.logging.log4j:log4j-api', version: '2.12.4' }, location: { path: 'log4j-api-2.12.4.jar' } });
    expect(r.findings[0]!.cvss).toContainEqual({ version: '3.1', score: 3.7, vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N', source: 'NVD' });
    expect(r.toolVersion).toBe('6.5.3');
    expect(corpus('version-6.5.3_multi_cwe_fabricated.xml').findings[0]!.cwes).toEqual([295, 297]);
  });

  it('dependency-check-report.json: 2 in commons-beanutils (analysis-model), v2 only → high', () => {
    const r = corpus('dependency-check-report.json');
    expect(r.findings.map((f) => [f.ruleId, f.location?.path, f.severity])).toEqual([
      ['CVE-2014-0114', 'commons-beanutils-1.8.3.jar', 'high'],
      ['CVE-2019-10086', 'commons-beanutils-1.8.3.jar', 'high'],
    ]);
    expect(r.findings[0]).toMatchObject({ cwes: [20], package: { name: 'commons-beanutils:commons-beanutils', version: '1.8.3', purl: 'pkg:maven/commons-beanutils/commons-beanutils@1.8.3' } });
    expect(r).toMatchObject({ toolVersion: '6.5.0', dbUpdatedAt: '2021-11-16T08:22:36' });
  });

  it('the sonar plugin’s CVSS v4 report: v3 6.1 decides (medium), v4 6.9 kept', () => {
    const r = corpus('dependency-check-sonar-plugin', 'reportWithCvssV4', 'dependency-check-report.json');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ ruleId: 'CVE-2024-9329', severity: 'medium' });
    expect(r.findings[0]!.cvss?.map((c) => [c.version, c.score])).toEqual([['3.1', 6.1], ['4.0', 6.9]]);
  });
});

describe('dependency-check fixtures', () => {
  it('schema 4.1: ids from references, fixed version from versionEndExcluding, suppression kept', () => {
    const r = parseReport(scanners, new ReportInput(readFileSync(join(import.meta.dirname, 'fixtures', 'many-4.1.xml'))));
    expect(r).toMatchObject({ format: 'dependency-check-xml', toolVersion: '12.1.1', dbUpdatedAt: '2026-11-20T06:00:00Z', target: 'shop-api' });
    expect(r.findings).toHaveLength(2);
    expect(r.findings[0]).toMatchObject({
      ruleId: 'CVE-2022-1471',
      severity: 'high',
      vulnerabilityIds: ['CVE-2022-1471', 'GHSA-mjmj-j48q-9wg2'],
      cwes: [502],
      fixedVersions: ['2.0'],
      package: { name: 'org.yaml:snakeyaml', version: '1.33', ecosystem: 'maven', purl: 'pkg:maven/org.yaml/snakeyaml@1.33' },
      location: { path: 'snakeyaml-1.33.jar' },
      cvss: [{ version: '3.1', score: 8.3, vector: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:L', source: 'NVD' }],
      status: 'open',
    });
    // The label says HIGH, the only CVSS (v2 5.0) says medium: the score decides for Dependency-Check.
    expect(r.findings[1]).toMatchObject({ ruleId: 'CVE-2017-18640', severity: 'medium', status: 'accepted_risk' });
  });

  it('refuses XXE and billion-laughs documents without fetching or expanding anything', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE analysis [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><analysis xmlns="${NS}"><projectInfo><name>&xxe;</name></projectInfo><dependencies/></analysis>`;
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]><analysis xmlns="${NS}"><projectInfo><name>&lol9;</name></projectInfo></analysis>`;
    const externalDtd = `<?xml version="1.0"?><!DOCTYPE analysis SYSTEM "http://127.0.0.1:1/evil.dtd"><analysis xmlns="${NS}"/>`;
    for (const doc of [xxe, laughs, externalDtd]) {
      const started = performance.now();
      expect(() => parseReport(scanners, new ReportInput(doc), 'dependency-check')).toThrow(ReportFormatError);
      expect(() => parseReport(scanners, new ReportInput(doc))).toThrow(ReportFormatError);
      expect(performance.now() - started).toBeLessThan(500);
    }
    expect(() => parseReport(scanners, new ReportInput(xxe), 'dependency-check')).toThrow(/entity declarations/);
  });
});
