// The scanner plugin interface. One folder per tool under integrations/scanners/<id>/ exports one
// ScannerPlugin; integrations/index.ts lists them; test/contract checks each one meets this shape.
import type { ParsedFinding } from '../domain/finding.js';
import type { ReportInput } from './report-input.js';

export interface ReportFormat {
  /** Stable id, e.g. "trivy-json-v2". Shown by `scanhub parse` and stored per report. */
  readonly id: string;
  /** What a person would call it, with the versions it covers. */
  readonly description: string;
}

/**
 * A claim that a report is in one of this plugin's formats. `score` orders competing claims: the
 * most specific wins (generic SARIF ≈ 10, a tool's own JSON with its marker fields ≈ 50-90).
 */
export interface Detection {
  readonly format: string;
  readonly score: number;
}

export interface ParseWarning {
  /** JSON pointer (or XML path) of the item that was skipped or read with a guess. */
  readonly pointer: string;
  readonly message: string;
}

export interface ParseOutput {
  readonly format: string;
  readonly toolVersion?: string | undefined;
  readonly findings: ParsedFinding[];
  readonly warnings: ParseWarning[];
  /** When the tool's vulnerability database was last updated, if the report says (ISO 8601). */
  readonly dbUpdatedAt?: string | undefined;
  /** The scanned thing (image reference, directory, repository), if the report says. */
  readonly target?: string | undefined;
}

export interface ScannerPlugin {
  readonly kind: 'scanner';
  /** Plugin id, lower-case kebab: the `tool` of every finding it produces. */
  readonly id: string;
  readonly name: string;
  readonly formats: readonly ReportFormat[];
  /**
   * Called for every uploaded report whose tool was not named, before any parse. Must be cheap,
   * never throw, and return null when the document is not one of this plugin's formats.
   */
  detect(input: ReportInput): Detection | null;
  /**
   * Called once per report routed to this plugin. Throws ReportFormatError for a document it cannot
   * read; skips a malformed item with a warning naming its pointer instead of failing the report.
   */
  parse(input: ReportInput): ParseOutput;
  /**
   * Where a JSON report's items are: path patterns ("*" = any index), e.g. ["Results", "*",
   * "Vulnerabilities", "*"]. A report too large to hold whole is then read item by item: parse() is
   * called with the document's other parts whole and each such array holding only some of its items
   * (any other listed array empty), so it must not assume it sees every item at once. Without it, a
   * report is always read whole.
   */
  readonly streamItems?: readonly (readonly string[])[];
}
