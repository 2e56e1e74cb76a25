// ScanHub's own JSON export: the findings as stored, with the project, ref and verdict around them.
import type { Severity } from '../../domain/finding.js';
import type { Verdict } from '../../domain/policy/evaluate.js';
import type { StoredFinding } from '../../store/repositories/findings.js';
import type { ExportContext, ExportResult } from './context.js';
import { countBySeverity, isoTimestamp, sortFindings } from './shared.js';

export const JSON_EXPORT_SCHEMA = 'scanhub.findings/v1';

export interface JsonExport {
  schema: typeof JSON_EXPORT_SCHEMA;
  project: string;
  ref: string | null;
  commit: string | null;
  submissionId?: string;
  generatedAt: string;
  generator: { name: 'ScanHub'; version: string };
  reportUrl?: string;
  verdict?: Verdict;
  counts: { total: number; bySeverity: Record<Severity, number> };
  findings: StoredFinding[];
}

/** A secret finding's snippet may hold the secret itself: it is left out of the export (secretHash stays). */
function redact(f: StoredFinding): StoredFinding {
  if (f.category !== 'secret' || f.snippet === undefined) return f;
  const { snippet: _secret, ...rest } = f;
  return rest;
}

/** The JSON document (as an object), for callers that want to embed it rather than serialise it. */
export function buildJsonExport(findings: readonly StoredFinding[], context: ExportContext): JsonExport {
  const sorted = sortFindings(findings).map(redact);
  return {
    schema: JSON_EXPORT_SCHEMA,
    project: context.project,
    ref: context.ref ?? null,
    commit: context.commit ?? null,
    ...(context.submissionId !== undefined ? { submissionId: context.submissionId } : {}),
    generatedAt: isoTimestamp(context.generatedAt),
    generator: { name: 'ScanHub', version: context.scanhubVersion },
    ...(context.reportUrl !== undefined ? { reportUrl: context.reportUrl } : {}),
    ...(context.verdict !== undefined ? { verdict: context.verdict } : {}),
    counts: { total: sorted.length, bySeverity: countBySeverity(sorted) },
    findings: sorted,
  };
}

/** Findings as pretty-printed JSON (`scanhub.findings/v1`), worst severity first. */
export function exportJson(findings: readonly StoredFinding[], context: ExportContext): ExportResult {
  return {
    body: `${JSON.stringify(buildJsonExport(findings, context), null, 2)}\n`,
    contentType: 'application/json; charset=utf-8',
    fileExtension: 'json',
  };
}
