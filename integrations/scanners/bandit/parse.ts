// `bandit -f json` → findings, one per result. The `code` excerpt carries line-number prefixes;
// they are stripped so the snippet (and so the fingerprint) survives the code moving.
import type { ParsedFinding } from '../../../src/domain/finding.js';
import { severityFromLabel } from '../../../src/domain/severity.js';
import { ReportFormatError } from '../../../src/errors.js';
import { asArray, confidenceFromLabel, isRecord, lineNumber, parseCwes, str, uniqueStrings, WarningList, type JsonRecord } from '../../../src/plugins/parse-helpers.js';
import type { ReportInput } from '../../../src/plugins/report-input.js';
import type { ParseOutput } from '../../../src/plugins/scanner.js';

/** "12 x = eval(v)\n13 y = 1\n" → the lines of `range` without their numbers. */
export function stripLineNumbers(code: string, range: number[]): string {
  const wanted = new Set(range);
  const lines = code.split('\n').filter((l) => l.trim() !== '');
  const kept = lines
    .map((l) => /^(\d+)\s?(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && (wanted.size === 0 || wanted.has(Number(m[1]))))
    .map((m) => m[2] ?? '');
  return kept.join('\n');
}

export function parseBandit(input: ReportInput): ParseOutput {
  const doc = input.json();
  if (!isRecord(doc) || !Array.isArray(doc.results)) throw new ReportFormatError('A Bandit report has a "results" array.', { pointer: '/results' });
  const warnings = new WarningList();
  const findings: ParsedFinding[] = [];
  doc.results.forEach((r, i) => {
    const at = `/results/${i}`;
    if (!isRecord(r)) return warnings.add(at, 'Skipped a result that is not an object.');
    const f = readResult(r, at, warnings);
    if (f) findings.push(f);
    return undefined;
  });
  asArray(doc.errors).forEach((e, i) => {
    if (isRecord(e)) warnings.add(`/errors/${i}`, `Bandit could not scan ${str(e.filename) ?? 'a file'}: ${str(e.reason) ?? 'error'}`);
  });
  return { format: 'bandit-json', findings, warnings: warnings.items };
}

function readResult(r: JsonRecord, at: string, warnings: WarningList): ParsedFinding | undefined {
  const testId = str(r.test_id);
  const filename = str(r.filename);
  if (!testId || !filename) {
    warnings.add(at, 'Skipped a result without test_id or filename.');
    return undefined;
  }
  const label = str(r.issue_severity);
  const start = lineNumber(r.line_number);
  const range = asArray(r.line_range).map(lineNumber).filter((n): n is number => n !== undefined);
  const end = range.length ? Math.max(...range) : undefined;
  const code = typeof r.code === 'string' ? stripLineNumbers(r.code, range.length ? range : start ? [start] : []) : undefined;
  const cwe = isRecord(r.issue_cwe) ? r.issue_cwe.id : undefined;
  const text = str(r.issue_text) ?? str(r.test_name) ?? testId;
  const startColumn = lineNumber(r.col_offset);
  const endColumn = lineNumber(r.end_col_offset);
  const conf = confidenceFromLabel(str(r.issue_confidence));
  return {
    tool: 'bandit',
    ruleId: testId,
    category: 'code',
    // Bandit says LOW/MEDIUM/HIGH (UNDEFINED → info); no CVSS exists to fall back on.
    severity: severityFromLabel(label) ?? 'info',
    ...(label ? { toolSeverity: label } : {}),
    title: text,
    description: `${text}${str(r.test_name) ? ` (${str(r.test_name)}:${testId})` : ''}`,
    vulnerabilityIds: [],
    cwes: parseCwes(cwe),
    fixedVersions: [],
    location: {
      path: filename,
      ...(start ? { startLine: start } : {}),
      ...(end ? { endLine: end } : {}),
      ...(startColumn !== undefined ? { startColumn } : {}),
      ...(endColumn !== undefined ? { endColumn } : {}),
    },
    status: 'open',
    ...(conf ? { confidence: conf } : {}),
    references: uniqueStrings([r.more_info, isRecord(r.issue_cwe) ? r.issue_cwe.link : undefined]),
    ...(code ? { snippet: code } : {}),
  };
}
