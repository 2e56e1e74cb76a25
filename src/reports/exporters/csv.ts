// CSV export (RFC 4180) of findings, safe to open in a spreadsheet (no formula injection).
import type { StoredFinding } from '../../store/repositories/findings.js';
import type { ExportContext, ExportResult } from './context.js';
import { sortFindings, toolsOf } from './shared.js';

export const CSV_COLUMNS = [
  'severity',
  'category',
  'title',
  'ruleId',
  'vulnerabilityIds',
  'package',
  'version',
  'fixedVersions',
  'path',
  'line',
  'image',
  'tools',
  'status',
  'firstSeenAt',
  'fingerprint',
] as const;

export type CsvColumn = (typeof CSV_COLUMNS)[number];

/** First characters a spreadsheet may treat as the start of a formula (OWASP "CSV Injection"). */
const FORMULA_TRIGGERS = new Set(['=', '+', '-', '@', '\t', '\r']);

/**
 * Neutralises a cell against formula injection: a value starting with `=`, `+`, `-`, `@`, TAB or CR gets a
 * leading single quote, so Excel / LibreOffice / Sheets show it as text instead of evaluating it.
 * It does not quote for CSV; `csvField` does that after.
 */
export function neutraliseCsvCell(value: string): string {
  const first = value.charAt(0);
  return FORMULA_TRIGGERS.has(first) ? `'${value}` : value;
}

/** RFC 4180 field: quoted when it holds a comma, double quote, CR or LF; inner quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV record (without its line end) from raw cell values: each neutralised, then quoted as needed. */
export function csvRecord(cells: readonly string[]): string {
  return cells.map((c) => csvField(neutraliseCsvCell(c))).join(',');
}

function row(f: StoredFinding): Record<CsvColumn, string> {
  const line = f.location?.startLine;
  return {
    severity: f.severity,
    category: f.category,
    title: f.title,
    ruleId: f.ruleId,
    vulnerabilityIds: f.vulnerabilityIds.join(' '),
    package: f.package?.name ?? '',
    version: f.package?.version ?? '',
    fixedVersions: f.fixedVersions.join(' '),
    path: f.location?.path ?? '',
    line: line !== undefined && line > 0 ? String(line) : '',
    image: f.location?.image ?? '',
    tools: toolsOf(f).join(' '),
    status: f.status,
    firstSeenAt: f.firstSeenAt,
    fingerprint: f.fingerprint,
  };
}

/** Findings as CSV: a header row, then one record per finding (worst severity first), CRLF line ends. */
export function exportCsv(findings: readonly StoredFinding[], _context: ExportContext): ExportResult {
  const lines = [csvRecord(CSV_COLUMNS)];
  for (const f of sortFindings(findings)) {
    const r = row(f);
    lines.push(csvRecord(CSV_COLUMNS.map((c) => r[c])));
  }
  return {
    body: lines.map((l) => `${l}\r\n`).join(''),
    contentType: 'text/csv; charset=utf-8; header=present',
    fileExtension: 'csv',
  };
}
