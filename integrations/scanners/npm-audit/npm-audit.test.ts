// npm audit parser: corpus MANIFEST assertions (DefectDojo, analysis-model), then written fixtures.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../index.js';
import { parseReport, type ParsedReport } from '../../../src/ingest/parse-report.js';
import { ReportInput } from '../../../src/plugins/report-input.js';
import { corpusInput, describeCorpus } from '../../../test/helpers/corpus.js';

const v6 = (file: string): ParsedReport => parseReport(scanners, corpusInput('npm_audit', file));
const v7 = (file: string): ParsedReport => parseReport(scanners, corpusInput('npm_audit_7_plus', file));
const fixture = (file: string) => new ReportInput(readFileSync(join(import.meta.dirname, 'fixtures', file)), file);

describeCorpus('npm audit ≤ 6 on the corpus', () => {
  it('no_vuln.json: 0; one_vuln.json: growl 1.9.2 with CWE 94 (DefectDojo)', () => {
    expect(v6('no_vuln.json').findings).toHaveLength(0);
    const one = v6('one_vuln.json');
    expect(one.findings).toHaveLength(1);
    expect(one.findings[0]).toMatchObject({ cwes: [94], severity: 'critical', vulnerabilityIds: ['CVE-2017-16042'], fixedVersions: ['1.10.2'], package: { name: 'growl', version: '1.9.2', purl: 'pkg:npm/growl@1.9.2' } });
  });

  it('many_vuln.json: 5, CVE ids per dependency path, mime 1.3.4 (DefectDojo)', () => {
    const r = v6('many_vuln.json');
    expect(r.findings).toHaveLength(5);
    expect(r.findings.find((f) => f.location?.resource === 'censored_by_npm_audit>send>mime')!.vulnerabilityIds).toEqual(['CVE-2017-16138']);
    expect(r.findings.find((f) => f.location?.resource === 'express>fresh')!.vulnerabilityIds).toEqual(['CVE-2017-16119']);
    expect(r.findings.some((f) => f.package?.name === 'mime' && f.package.version === '1.3.4')).toBe(true);
  });

  it('issue_7897.json: 5; multiple_cwes2.json: 6 with CWEs [918, 1333] (DefectDojo)', () => {
    expect(v6('issue_7897.json').findings).toHaveLength(5);
    const r = v6('multiple_cwes2.json');
    expect(r.findings).toHaveLength(6);
    expect(r.findings.find((f) => f.package?.name === 'ansi-regex')!.cwes).toEqual([918, 1333]);
  });

  it('the npm 7 report is read by the npm ≥ 7 format (DefectDojo’s npm ≤ 6 parser refuses it)', () => {
    expect(v6('many_vuln_npm7.json').format).toBe('npm-audit-v2');
  });
});

describeCorpus('npm audit ≥ 7 on the corpus', () => {
  it('no_vuln.json: 0', () => {
    expect(v7('no_vuln.json').findings).toHaveLength(0);
  });

  it('one_vuln.json: debug with two advisories → two findings (DefectDojo: 1, High, CWE 400)', () => {
    const r = v7('one_vuln.json');
    expect(r.findings).toHaveLength(2);
    const redos = r.findings.find((f) => f.ruleId === 'GHSA-gxpj-cx7g-858c')!;
    expect(redos).toMatchObject({ cwes: [400], severity: 'medium', package: { name: 'debug' } });
    expect(redos.cvss).toEqual([{ version: '3.0', score: 5.3, vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L', source: 'npm' }]);
    expect(r.findings.find((f) => f.ruleId === 'GHSA-9vvw-cc9w-f27h')!.severity).toBe('high');
  });

  it('multiple_cwes_fabricated.json: 1 with CWEs [400, 1333] (DefectDojo)', () => {
    const r = v7('multiple_cwes_fabricated.json');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]!.cwes).toEqual([400, 1333]);
  });

  it('npm-audit.json: 21, one per advisory in via (analysis-model)', () => {
    const r = v7('npm-audit.json');
    expect(r.findings).toHaveLength(21);
    const xss = r.findings.find((f) => f.title === 'Cross-Site Scripting in serialize-javascript')!;
    expect(xss).toMatchObject({ severity: 'medium', cwes: [79], ruleId: 'GHSA-h9rv-jmmf-4pgx', package: { name: 'serialize-javascript' } });
    expect(r.findings.find((f) => f.title === 'Insecure serialization leading to RCE in serialize-javascript')).toMatchObject({ severity: 'high', cwes: [502], ruleId: 'GHSA-hxcc-f52p-wc94' });
    expect(r.findings.find((f) => f.title === 'Directory Traversal in send')).toMatchObject({ severity: 'low', cwes: [22], ruleId: 'GHSA-xwg4-93c6-3h42' });
    expect(r.findings.find((f) => f.title === 'Regular Expression Denial of Service in fresh')).toMatchObject({ severity: 'low', cwes: [] });
    expect(r.findings.find((f) => f.ruleId === 'GHSA-vx3p-948g-6vhq')).toMatchObject({ severity: 'critical', cwes: [400, 243], package: { name: 'ssri' } });
  });

  it('many_vuln_npm7.json: the 15 entries carry 8 advisories', () => {
    expect(v6('many_vuln_npm7.json').findings).toHaveLength(8);
  });
});

describe('npm audit fixtures', () => {
  it('transitive-only entries add nothing; a fix for the package itself is its fixed version', () => {
    const r = parseReport(scanners, fixture('one-v2-transitive.json'));
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      ruleId: 'GHSA-hrpp-h998-j3pp',
      vulnerabilityIds: ['GHSA-hrpp-h998-j3pp'],
      severity: 'high',
      cwes: [1321],
      fixedVersions: ['6.10.3'],
      location: { path: 'package-lock.json', resource: 'node_modules/qs' },
    });
  });

  it('refuses npm’s error output quoting npm’s message', () => {
    expect(() => parseReport(scanners, fixture('npm-error.json'))).toThrow('npm audit failed instead of reporting: ENOLOCK: This command requires an existing lockfile.');
  });
});
