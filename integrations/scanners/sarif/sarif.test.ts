// SARIF parser: corpus MANIFEST assertions (DefectDojo, analysis-model, grype/trivy goldens), then
// a written fixture for the rules readme.md states.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../index.js';
import { parseReport, type ParsedReport } from '../../../src/ingest/parse-report.js';
import { ReportInput } from '../../../src/plugins/report-input.js';
import { corpusInput, describeCorpus } from '../../../test/helpers/corpus.js';

const corpus = (file: string): ParsedReport => parseReport(scanners, corpusInput('sarif', file));
const fixture = (file: string): ParsedReport => parseReport(scanners, new ReportInput(readFileSync(join(import.meta.dirname, 'fixtures', file)), file));

describeCorpus('sarif on the corpus', () => {
  it('counts: one finding per result per location (DefectDojo)', () => {
    const counts: Record<string, number> = {
      'no_runs.sarif': 0,
      'appendix_k1.sarif': 0,
      'appendix_k.sarif': 1,
      'appendix_k2.sarif': 1,
      'appendix_k3.sarif': 1,
      'SuppressionTestCurrent.sarif': 4,
      'DefectDojo_django-DefectDojo__2020-12-11_13 42 10__export.sarif': 510,
      'semgrepowasp-benchmark-sample.sarif': 1768,
      'issue_10191.json': 77,
      'taint-python-report.sarif': 11,
      'bash-report.sarif': 27,
      'dependency_check.sarif': 13,
      'blackduck_nested_fingerprints.sarif': 5,
      'njsscan.sarif': 3,
    };
    for (const [file, n] of Object.entries(counts)) {
      const r = corpus(file);
      expect(r.tool, file).toBe('sarif');
      expect(r.findings, file).toHaveLength(n);
      for (const f of r.findings) expect(f.title.length, file).toBeLessThanOrEqual(250);
    }
  });

  it('appendix_k.sarif: line 15, error → high, suppressed → false_positive', () => {
    const f = corpus('appendix_k.sarif').findings[0]!;
    // DefectDojo: "collections/list.h" (it ignores uriBaseId); the relative base SRCROOT " src/" is joined here.
    expect(f).toMatchObject({ severity: 'high', status: 'false_positive', location: { path: 'src/collections/list.h', startLine: 15 } });
    expect(f.snippet).toContain('add_core(ptr, offset, val);');
  });

  it('SuppressionTestCurrent.sarif: 4, the first titled "New suppressed result."', () => {
    const r = corpus('SuppressionTestCurrent.sarif');
    expect(r.findings.map((f) => f.title)).toContain('New suppressed result.');
    expect(r.findings.filter((f) => f.status !== 'open').length).toBeGreaterThan(0);
  });

  it('taint-python-report.sarif: paths verbatim minus file://, line 169, XML injection high, partial fingerprints', () => {
    const r = corpus('taint-python-report.sarif');
    expect(r.findings[0]!.location?.path).toBe('/home/damien/dd/dojo/tools/veracode/parser.py');
    expect(r.findings.find((f) => f.location?.path === '/home/damien/dd/dojo/tools/qualys_infrascan_webgui/parser.py' && f.location.startLine === 169)).toBeDefined();
    const xml = r.findings.find((f) => f.description?.includes('XML injection with user data from `filename in parser_helper.py:167`'))!;
    expect(xml.severity).toBe('high');
    expect(xml.vulnerabilityIds).toEqual([]);
    expect(r.findings[10]!.toolFingerprint).toMatch(/^scan/);
  });

  it('dependency_check.sarif: 13 vulnerabilities, CVE-2019-11358 high with its id', () => {
    const r = corpus('dependency_check.sarif');
    const jquery = r.findings.find((f) => f.ruleId === 'CVE-2019-11358')!;
    expect(jquery).toMatchObject({ category: 'vulnerability', severity: 'high', vulnerabilityIds: ['CVE-2019-11358'] });
    expect(r.findings.find((f) => f.location?.path?.endsWith('tastypie_swagger/static/tastypie_swagger/js/lib/handlebars-1.0.0.js'))).toBeDefined();
    expect(r.toolVersion).toBe('6.1.2');
  });

  it('njsscan.sarif: 3 (one result has two locations), CWE 327 and 798, line 235', () => {
    const r = corpus('njsscan.sarif');
    expect(r.findings.every((f) => f.location?.path === '/src/index.js')).toBe(true);
    expect(r.findings.some((f) => f.cwes.includes(327))).toBe(true);
    expect(r.findings.find((f) => f.location?.startLine === 235)!.cwes).toContain(798);
  });

  it('analysis-model samples: upper-case FAIL kinds read, suppressed ones kept as false positives', () => {
    const plain = corpus('sarif.json');
    expect(plain.findings.map((f) => [f.ruleId, f.severity, f.location?.path, f.location?.startLine])).toEqual([
      ['unnamed-rule', 'low', '/whatever/path.c', 123],
      ['Cyclomatic complexity', 'high', '/whatever/path.c', 123],
    ]);
    const suppressed = corpus('suppressed-sarif.json');
    expect(suppressed.findings).toHaveLength(3);
    // analysis-model drops the accepted suppression (2 left); the rejected one stays open here too.
    expect(suppressed.findings.filter((f) => f.status === 'open').map((f) => f.ruleId).sort()).toEqual(['Cyclomatic complexity', 'abcdef']);
    const inspect = corpus('filePathInFileUriScheme.sarif');
    expect(inspect.findings.map((f) => [f.severity, f.location?.startLine, f.location?.path]).sort()).toEqual([
      ['medium', 5, 'whatever/€path.cs'],
      ['medium', 6, 'this/dir/file.cs'],
    ]);
    expect(corpus('emptyfilePath.sarif').findings.map((f) => f.location?.path?.endsWith('.cs'))).toEqual([true, true]);
    const scs = corpus('security-scan.sarif');
    expect(scs.findings).toHaveLength(64); // analysis-model merges repeats to 51; ingest merges exact repeats
    expect(scs.findings.filter((f) => f.severity === 'high')).toHaveLength(4);
    expect(scs.findings.filter((f) => f.severity === 'low')).toHaveLength(4);
  });

  it('grype and trivy SARIF goldens parse, with security-severity deciding', () => {
    expect(corpus('TestSarifPresenter_image.golden').findings).toHaveLength(2);
    expect(corpus('TestSarifPresenter_directory.golden').findings).toHaveLength(2);
    const alpine = corpus('alpine-310.sarif.golden');
    expect(alpine.findings).toHaveLength(4);
    expect(alpine.findings.every((f) => f.category === 'vulnerability' && f.vulnerabilityIds.length === 1)).toBe(true);
  });
});

describe('sarif fixture', () => {
  it('rules, message templates, bases, suppressions, kinds and fingerprints', () => {
    const r = fixture('many-codeql-like.sarif');
    expect(r).toMatchObject({ tool: 'sarif', toolVersion: '2.19.3' });
    expect(r.findings).toHaveLength(4);
    const [sqli, unusedA, unusedB, noLoc] = r.findings;
    expect(sqli).toMatchObject({
      ruleId: 'py/sql-injection',
      category: 'code',
      severity: 'high',
      toolSeverity: 'security-severity 8.8',
      title: 'SQL query built from user-controlled sources',
      cwes: [89],
      location: { path: 'app/db.py', startLine: 12, startColumn: 5, endColumn: 60 },
      snippet: 'cursor.execute(query % name)',
      status: 'open',
      toolFingerprint: 'primaryLocationLineHash:a1b2c3d4e5f60718:1',
      references: ['https://codeql.github.com/codeql-query-help/python/py-sql-injection/'],
      cvss: [{ version: '3.1', score: 8.8, source: 'CodeQL' }],
    });
    expect(sqli!.description).toContain('This SQL query depends on a user-provided value.');
    expect(unusedA).toMatchObject({ severity: 'low', status: 'false_positive', location: { path: 'services/api/main.py', startLine: 1 } });
    expect(unusedA!.description).toBe('Import of os is not used.');
    expect(unusedB!.location?.path).toBe('/home/runner/work/app/lib/€uro.py');
    expect(noLoc).toMatchObject({ status: 'open', severity: 'high' }); // under review: not in force
    expect(noLoc!.location).toBeUndefined();
  });

  it('is generic: any tool-specific claim wins over it', () => {
    const detection = scanners.find((s) => s.id === 'sarif')!.detect(new ReportInput(readFileSync(join(import.meta.dirname, 'fixtures', 'many-codeql-like.sarif'))));
    expect(detection).toEqual({ format: 'sarif-2.1.0', score: 10 });
  });
});
