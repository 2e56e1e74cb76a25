// Semgrep parser: the corpus MANIFEST assertions (DefectDojo, analysis-model), identity across line
// moves, then hand-written fixtures and the real Semgrep output of test/apps (the demo report).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../index.js';
import { parseReport, type ParsedReport } from '../../../src/ingest/parse-report.js';
import { ReportInput } from '../../../src/plugins/report-input.js';
import { corpusInput, describeCorpus, projectRoot } from '../../../test/helpers/corpus.js';

const corpus = (folder: string, file: string): ParsedReport => parseReport(scanners, corpusInput(folder, file));
const sg = (file: string) => corpus('semgrep', file);
const fixture = (file: string): ParsedReport => parseReport(scanners, new ReportInput(readFileSync(join(import.meta.dirname, 'fixtures', file)), file));
const CBC = 'java.lang.security.audit.cbc-padding-oracle.cbc-padding-oracle';

describeCorpus('semgrep on the corpus', () => {
  it('detects every corpus file as Semgrep', () => {
    for (const file of ['empty.json', 'one_finding.json', 'semgrep-report.json', 'issue_8435.json', 'close_old_findings_report_line31.json']) {
      expect(sg(file), file).toMatchObject({ tool: 'semgrep', format: 'semgrep-json' });
    }
    expect(sg('sca-deployments-vulns.json').format).toBe('semgrep-supply-chain');
    expect(corpus('semgrep_pro', 'no_vuln.json').format).toBe('semgrep-platform');
  });

  it('empty.json: 0 (DefectDojo)', () => {
    expect(sg('empty.json').findings).toHaveLength(0);
  });

  it('one_finding.json: 1, WARNING → medium, path, line, CWE 696 (DefectDojo)', () => {
    const r = sg('one_finding.json');
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f).toMatchObject({ ruleId: CBC, severity: 'medium', toolSeverity: 'WARNING', cwes: [696], location: { path: 'src/main/java/org/owasp/benchmark/testcode/BenchmarkTest02194.java', startLine: 64 } });
    expect(f.snippet).toContain('javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("DES/CBC/PKCS5Padding");');
    expect(f.description).toContain('Using CBC with PKCS5Padding is susceptible to padding orcale attacks');
    expect(f.toolFingerprint).toBeUndefined(); // old CLI: no fingerprint
  });

  it('many_findings.json: 3, INFO → low (DefectDojo)', () => {
    const r = sg('many_findings.json');
    expect(r.findings).toHaveLength(3);
    const first = r.findings.find((f) => f.location?.path === 'src/main/java/org/owasp/benchmark/testcode/BenchmarkTest02194.java' && f.location.startLine === 64)!;
    expect(first).toMatchObject({ severity: 'medium', cwes: [696], ruleId: CBC });
    const low = r.findings.find((f) => f.location?.path === 'src/main/java/org/owasp/benchmark/testcode/BenchmarkTest01150.java' && f.location.startLine === 66)!;
    expect(low).toMatchObject({ severity: 'low', toolSeverity: 'INFO', cwes: [696], ruleId: CBC });
  });

  it('repeated_findings.json: 2 results kept by the parser, one fingerprint (DefectDojo: 1 with nb_occurences 2)', () => {
    const r = sg('repeated_findings.json');
    expect(r.findings).toHaveLength(2);
    expect(new Set(r.findings.map((f) => f.fingerprint)).size).toBe(1);
    expect(r.findings[0]).toMatchObject({ severity: 'medium', ruleId: CBC, cwes: [696], location: { path: 'src/main/java/org/owasp/benchmark/testcode/BenchmarkTest01150.java', startLine: 66 } });
  });

  it('multiple_cwes_fabricated.json: CWEs [327, 696] (DefectDojo), and the platform export [319, 311]', () => {
    expect(sg('multiple_cwes_fabricated.json').findings[0]!.cwes).toEqual([327, 696]);
    const pro = corpus('semgrep_pro', 'multiple_cwes_fabricated.json');
    expect(pro.findings).toHaveLength(1);
    expect(pro.findings[0]).toMatchObject({ cwes: [319, 311], severity: 'medium', ruleId: 'typescript.react.security.audit.react-no-refs.react-no-refs', location: { path: 'frontend/src/corpComponents/Code.tsx', startLine: 120, endLine: 124 } });
    expect(corpus('semgrep_pro', 'no_vuln.json').findings).toHaveLength(0);
  });

  it('semgrep_version_1_30_0 line 26/27: equal input → equal identities (DefectDojo)', () => {
    const a = sg('semgrep_version_1_30_0_line_26.json');
    const b = sg('semgrep_version_1_30_0_line_27.json');
    expect(a.findings).toHaveLength(5);
    expect(a.findings.map((f) => f.fingerprint)).toEqual(b.findings.map((f) => f.fingerprint));
    expect(new Set(a.findings.map((f) => f.toolFingerprint)).size).toBe(5);
  });

  it('close_old_findings: a line move keeps the fingerprint, a different Semgrep fingerprint is a new finding', () => {
    const line31 = sg('close_old_findings_report_line31.json').findings[0]!;
    const line24 = sg('close_old_findings_report_second_run_line24.json').findings[0]!;
    const other = sg('close_old_findings_report_third_run_different_unique_id.json').findings[0]!;
    expect(line31.location?.startLine).toBe(31);
    expect(line24.location?.startLine).toBe(24);
    expect(line24.fingerprint).toBe(line31.fingerprint);
    expect(other.fingerprint).not.toBe(line31.fingerprint);
    expect(line31).toMatchObject({ severity: 'high', cwes: [78], toolVersion: '1.97.0', confidence: 'medium' });
  });

  it('issue_8435.json: 1, the "<![" snippet kept as text (DefectDojo)', () => {
    const r = sg('issue_8435.json');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]!.snippet).toContain('<![');
  });

  it('semgrep-report.json: path, line and columns, ERROR → high (analysis-model)', () => {
    const r = sg('semgrep-report.json');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      ruleId: 'java.lang.security.audit.formatted-sql-string.formatted-sql-string',
      severity: 'high',
      location: { path: 'src/main/java/se/bjurr/violations/lib/parsers/JUnitParser.java', startLine: 33, startColumn: 24, endColumn: 86 },
    });
    expect(r.findings[0]!.description).toContain('Detected a formatted string in a SQL statement.');
  });

  it('sca-deployments-vulns.json: 22 vulnerabilities (DefectDojo merges them to 18 by title+path+line)', () => {
    const r = sg('sca-deployments-vulns.json');
    expect(r.findings).toHaveLength(22);
    const grpc = r.findings.find((f) => f.location?.path === 'requirements3.txt' && f.location.startLine === 222)!;
    expect(grpc).toMatchObject({
      category: 'vulnerability',
      severity: 'high',
      cwes: [617],
      vulnerabilityIds: ['CVE-2023-1428', 'GHSA-6628-q6j9-w8vg'],
      package: { name: 'grpcio', version: '1.47.0' },
      fixedVersions: ['1.53.0'],
    });
    // Identity (DESIGN §3) is vulnerability + package + version + manifest, not the line: the 22
    // entries are 8 findings after ingest (DefectDojo keys on title+path+line and keeps 18).
    expect(new Set(r.findings.map((f) => f.fingerprint)).size).toBe(8);
  });
});

describe('semgrep fixtures and real output', () => {
  it('0 findings', () => {
    expect(fixture('empty.json')).toMatchObject({ tool: 'semgrep', format: 'semgrep-json', toolVersion: '1.185.0', findings: [] });
  });

  it('treats "requires login" as absent, keeps nosemgrep results as false positives, and warns on skipped items and Semgrep errors', () => {
    const r = fixture('many-login-placeholders.json');
    expect(r.findings).toHaveLength(2);
    const evalFinding = r.findings[0]!;
    expect(evalFinding.toolFingerprint).toBeUndefined();
    expect(evalFinding.snippet).toBeUndefined();
    expect(evalFinding).toMatchObject({ category: 'code', severity: 'medium', confidence: 'low', cwes: [95], location: { path: 'app/views.py', startLine: 42, endLine: 42, startColumn: 12, endColumn: 30 } });
    const secret = r.findings[1]!;
    expect(secret).toMatchObject({ category: 'secret', severity: 'high', status: 'false_positive', cwes: [798] });
    expect(r.warnings).toEqual([
      { pointer: '/results/2', message: 'Skipped a result without check_id or path.' },
      { pointer: '/errors/0', message: 'Semgrep reported: Syntax error at line app/legacy.py:10:' },
    ]);
  });

  it('reads the real Semgrep output on test/apps/shop-python', () => {
    const r = parseReport(scanners, new ReportInput(readFileSync(join(projectRoot, 'test/apps/demo-reports/semgrep.json')), 'semgrep.json'));
    expect(r.findings).toHaveLength(7);
    expect(r.findings.find((f) => f.ruleId === 'python-sql-string-format')).toMatchObject({ severity: 'high', cwes: [89], confidence: 'high', location: { path: 'shop/db.py', startLine: 11 } });
    expect(r.findings.find((f) => f.ruleId === 'python-flask-debug')!.severity).toBe('low');
  });

  it('refuses a document whose results are not a list, and other tools’ reports', () => {
    expect(() => parseReport(scanners, new ReportInput('{"results": {"x": 1}, "errors": [], "version": "1.0.0"}'), 'semgrep')).toThrow();
    expect(() => parseReport(scanners, new ReportInput('{"SchemaVersion": 2, "ArtifactName": "x", "Results": []}'), 'semgrep')).toThrow(expect.objectContaining({ code: 'REPORT_TOOL_MISMATCH' }));
  });
});
