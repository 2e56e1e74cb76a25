// Bandit parser: corpus MANIFEST assertions (DefectDojo), written fixtures, real Bandit output.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../index.js';
import { parseReport, type ParsedReport } from '../../../src/ingest/parse-report.js';
import { ReportInput } from '../../../src/plugins/report-input.js';
import { corpusInput, describeCorpus, projectRoot } from '../../../test/helpers/corpus.js';
import { stripLineNumbers } from './parse.js';

const corpus = (file: string): ParsedReport => parseReport(scanners, corpusInput('bandit', file));
const read = (path: string): ParsedReport => parseReport(scanners, new ReportInput(readFileSync(path), path));
const fixture = (file: string) => read(join(import.meta.dirname, 'fixtures', file));

describeCorpus('bandit on the corpus', () => {
  it('no_vuln.json: 0 (DefectDojo)', () => {
    expect(corpus('no_vuln.json')).toMatchObject({ tool: 'bandit', findings: [] });
  });

  it('one_vuln.json: 1, B101 low, high confidence (DefectDojo)', () => {
    const r = corpus('one_vuln.json');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      title: 'Use of assert detected. The enclosed code will be removed when compiling to optimised byte code.',
      severity: 'low',
      ruleId: 'B101',
      confidence: 'high',
      location: { path: 'one/one.py' },
    });
    expect(r.findings[0]!.references).toContain('https://bandit.readthedocs.io/en/latest/plugins/b101_assert_used.html');
  });

  it('dd.json: 47, first B303 medium in dojo/tools/acunetix/parser.py (DefectDojo)', () => {
    const r = corpus('dd.json');
    expect(r.findings).toHaveLength(47);
    expect(r.findings.find((f) => f.ruleId === 'B303' && f.location?.path === 'dojo/tools/acunetix/parser.py')).toMatchObject({
      title: 'Use of insecure MD2, MD4, MD5, or SHA1 hash function.',
      severity: 'medium',
      confidence: 'high',
    });
  });

  it('many_vulns.json: 214 with Windows paths kept, one file+line+test repeat (DefectDojo: 214, 213 after dedupe)', () => {
    const r = corpus('many_vulns.json');
    expect(r.findings).toHaveLength(214);
    const first = r.findings.find((f) => f.location?.path === 'dojo/benchmark\\views.py' && f.ruleId === 'B110')!;
    expect(first).toMatchObject({ title: 'Try, Except, Pass detected.', severity: 'low', confidence: 'high' });
    expect(first.references).toContain('https://bandit.readthedocs.io/en/latest/plugins/b110_try_except_pass.html');
    expect(r.findings.some((f) => f.snippet && f.snippet.length > 0)).toBe(true);
    expect(new Set(r.findings.map((f) => f.fingerprint)).size).toBe(213);
  });
});

describe('bandit fixtures and real output', () => {
  it('one result field by field; a malformed item and a scan error are warnings', () => {
    const r = fixture('one-result.json');
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      tool: 'bandit',
      ruleId: 'B608',
      category: 'code',
      severity: 'medium',
      toolSeverity: 'MEDIUM',
      confidence: 'medium',
      cwes: [89],
      location: { path: 'app/db.py', startLine: 12, endLine: 12, startColumn: 19, endColumn: 57 },
      snippet: '    cursor.execute("SELECT * FROM t WHERE a = \'%s\'" % a)',
      references: ['https://bandit.readthedocs.io/en/1.9.4/plugins/b608_hardcoded_sql_expressions.html', 'https://cwe.mitre.org/data/definitions/89.html'],
    });
    expect(r.warnings).toEqual([
      { pointer: '/results/1', message: 'Skipped a result without test_id or filename.' },
      { pointer: '/errors/0', message: 'Bandit could not scan app/broken.py: syntax error while parsing AST from file' },
    ]);
  });

  it('keeps the fingerprint when the code moves to other lines', () => {
    expect(fixture('moved.json').findings[0]!.fingerprint).toBe(fixture('one-result.json').findings[0]!.fingerprint);
    expect(stripLineNumbers('9 a\n10 b\n11 c\n', [10])).toBe('b');
  });

  it('reads the real Bandit output on test/apps/shop-python', () => {
    const r = read(join(projectRoot, 'test/apps/demo-reports/bandit.json'));
    expect(r.findings).toHaveLength(12);
    expect(r.findings.find((f) => f.ruleId === 'B602')).toMatchObject({ severity: 'high', cwes: [78], location: { path: 'shop/admin.py' } });
  });
});
