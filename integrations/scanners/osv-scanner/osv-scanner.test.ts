// OSV-Scanner parser: corpus MANIFEST assertions (DefectDojo, analysis-model), then a written fixture.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../index.js';
import { parseReport, type ParsedReport } from '../../../src/ingest/parse-report.js';
import { ReportInput } from '../../../src/plugins/report-input.js';
import { corpusInput, describeCorpus } from '../../../test/helpers/corpus.js';

const corpus = (file: string): ParsedReport => parseReport(scanners, corpusInput('osv_scanner', file));

describeCorpus('osv-scanner on the corpus', () => {
  it('osv-scanner-report.json: 3 across package-lock.json and go.mod (analysis-model)', () => {
    const r = corpus('osv-scanner-report.json');
    expect(r.findings.map((f) => [f.location?.path, `${f.package?.name}@${f.package?.version}`, f.ruleId, f.severity])).toEqual([
      ['package-lock.json', 'lodash@4.17.15', 'GHSA-p6mc-m468-83gw', 'high'],
      ['package-lock.json', 'minimist@1.2.0', 'GHSA-xvch-5gv4-984h', 'critical'],
      ['go.mod', 'github.com/gogo/protobuf@1.3.1', 'GHSA-c3h9-896r-86jm', 'medium'],
    ]);
    expect(r.findings[0]).toMatchObject({ title: 'Prototype Pollution in lodash', vulnerabilityIds: ['CVE-2020-8203', 'GHSA-p6mc-m468-83gw'], package: { ecosystem: 'npm', purl: 'pkg:npm/lodash@4.17.15' } });
    expect(r.findings[0]!.references).toContain('https://osv.dev/vulnerability/GHSA-p6mc-m468-83gw');
    expect(r.findings[1]!.vulnerabilityIds).toContain('CVE-2021-44906');
  });

  it('multi_cwe_fabricated.json: 1 with CWEs [79, 89] (DefectDojo)', () => {
    const r = corpus('multi_cwe_fabricated.json');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]!.cwes).toEqual([79, 89]);
  });

  it('osv-scanner-no-issues.json: {"results": []} is a clean run (analysis-model)', () => {
    expect(corpus('osv-scanner-no-issues.json')).toMatchObject({ tool: 'osv-scanner', findings: [] });
  });

  it('no_findings.json: a 0-byte file is refused, not read as clean (DefectDojo: 0 findings)', () => {
    expect(() => corpus('no_findings.json')).toThrow(expect.objectContaining({ code: 'REPORT_FORMAT_UNKNOWN' }));
    expect(() => parseReport(scanners, corpusInput('osv_scanner', 'no_findings.json'), 'osv-scanner')).toThrow(/is empty/);
  });
});

describe('osv-scanner fixture', () => {
  it('aliases from the record and its group, fixes from ECOSYSTEM ranges only, max_severity when no label', () => {
    const r = parseReport(scanners, new ReportInput(readFileSync(join(import.meta.dirname, 'fixtures', 'one-vuln.json'))));
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      ruleId: 'PYSEC-2019-217',
      severity: 'high',
      toolSeverity: 'max_severity 8.6',
      vulnerabilityIds: ['CVE-2019-10906', 'GHSA-462w-v97r-4m45', 'PYSEC-2019-217'],
      package: { name: 'Jinja2', version: '2.10', ecosystem: 'PyPI', purl: 'pkg:pypi/Jinja2@2.10' },
      fixedVersions: ['2.10.1'],
      location: { path: '/src/app/requirements.txt' },
      cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:N', source: 'osv' }],
    });
  });
});
