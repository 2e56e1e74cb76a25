// detect → parse → normalise → identify, for one report. No I/O: used by `scanhub parse` and ingest.
import { AppError, ReportFormatError } from '../errors.js';
import type { Finding } from '../domain/finding.js';
import { normaliseFinding } from './normalise.js';
import { fingerprint, sha256Hex } from '../domain/identity.js';
import { pointer } from '../plugins/parse-helpers.js';
import type { ReportInput } from '../plugins/report-input.js';
import type { ParseOutput, ParseWarning, ScannerPlugin } from '../plugins/scanner.js';

export interface ParsedReport {
  tool: string;
  format: string;
  toolVersion?: string | undefined;
  findings: Finding[];
  warnings: ParseWarning[];
  dbUpdatedAt?: string | undefined;
  target?: string | undefined;
}

export function supportedFormats(plugins: readonly ScannerPlugin[]): string[] {
  return plugins.flatMap((p) => p.formats.map((f) => `${p.id}: ${f.description}`));
}

/** The plugin and format whose detect() claims the report most specifically, or undefined. */
export function detectTool(plugins: readonly ScannerPlugin[], input: ReportInput): { plugin: ScannerPlugin; format: string } | undefined {
  let best: { plugin: ScannerPlugin; format: string; score: number } | undefined;
  for (const plugin of plugins) {
    let detection;
    try {
      detection = plugin.detect(input);
    } catch {
      detection = null; // detect() must not throw; a plugin that does simply does not claim the report
    }
    if (detection && detection.score > 0 && (!best || detection.score > best.score)) best = { plugin, ...detection };
  }
  return best;
}

function describeInput(input: ReportInput): string {
  return input.filename ? `"${input.filename}"` : 'The report';
}

/**
 * The plugin that reads this report: the named tool's (if the report is in its format) or the
 * detected one. Throws ReportFormatError (REPORT_FORMAT_UNKNOWN / REPORT_TOOL_MISMATCH /
 * REPORT_MALFORMED) or AppError(UNKNOWN_TOOL).
 */
export function choosePlugin(plugins: readonly ScannerPlugin[], input: ReportInput, toolId?: string): ScannerPlugin {
  let plugin: ScannerPlugin | undefined;
  if (toolId) {
    plugin = plugins.find((p) => p.id === toolId);
    if (!plugin) {
      throw new AppError('UNKNOWN_TOOL', `No scanner plugin has the id "${toolId}". Known: ${plugins.map((p) => p.id).join(', ')}.`, {
        tools: plugins.map((p) => p.id),
      });
    }
    if (input.syntax === 'empty') throw new ReportFormatError(`${describeInput(input)} is empty.`, { pointer: '' });
    if (!plugin.detect(input)) {
      const looksLike = detectTool(plugins, input);
      const hint = looksLike ? ` It looks like ${looksLike.plugin.name} (${looksLike.format}).` : '';
      throw new ReportFormatError(`${describeInput(input)} is not in a ${plugin.name} format.${hint}`, {
        code: 'REPORT_TOOL_MISMATCH',
        details: { tool: plugin.id, ...(looksLike ? { looksLike: looksLike.plugin.id } : {}) },
      });
    }
    return plugin;
  }
  if (input.syntax === 'empty') throw new ReportFormatError(`${describeInput(input)} is empty.`, { pointer: '', code: 'REPORT_FORMAT_UNKNOWN' });
  plugin = detectTool(plugins, input)?.plugin;
  if (!plugin) {
    if (input.syntax === 'json') input.json(); // a JSON syntax error is more useful than "unknown"
    if (input.syntax === 'xml') input.xml();
    throw new ReportFormatError(`${describeInput(input)} is in no supported format.`, {
      code: 'REPORT_FORMAT_UNKNOWN',
      details: { supported: supportedFormats(plugins) },
    });
  }
  return plugin;
}

/**
 * The plugin's items as findings: normalised and fingerprinted (not yet told apart when the same
 * code repeats: disambiguateRepeatedCode, over the whole report). An item that cannot be normalised
 * is skipped with a warning; `firstIndex` numbers items when a report is read in parts.
 */
export function normaliseOutput(pluginId: string, output: ParseOutput, warnings: ParseWarning[], firstIndex = 0): Finding[] {
  const findings: Finding[] = [];
  output.findings.forEach((raw, index) => {
    const checked = normaliseFinding(raw, { tool: pluginId, toolVersion: output.toolVersion });
    if (!checked.ok) {
      // A plugin bug or an item we could not make sense of: say so, keep the rest.
      warnings.push({ pointer: pointer('findings', firstIndex + index), message: `Skipped an item: ${checked.reason}` });
      return;
    }
    // The normalised finding is a fresh object: it takes its fingerprint in place rather than being copied again.
    const f = checked.finding as Finding;
    f.fingerprint = fingerprint(checked.finding);
    findings.push(f);
  });
  return findings;
}

/**
 * Parses one report with the named tool's plugin, or the detected one. Throws ReportFormatError
 * (REPORT_FORMAT_UNKNOWN / REPORT_TOOL_MISMATCH / REPORT_MALFORMED) or AppError(UNKNOWN_TOOL).
 */
export function parseReport(plugins: readonly ScannerPlugin[], input: ReportInput, toolId?: string): ParsedReport {
  const plugin = choosePlugin(plugins, input, toolId);
  const output = plugin.parse(input);
  const warnings = [...output.warnings];
  const findings = normaliseOutput(plugin.id, output, warnings);
  disambiguateRepeatedCode(findings);
  return {
    tool: plugin.id,
    format: output.format,
    toolVersion: output.toolVersion,
    findings,
    warnings,
    dbUpdatedAt: output.dbUpdatedAt,
    target: output.target,
  };
}

/**
 * The same code matched by the same rule at several places of one file hashes alike; the k-th
 * place (by line) gets "#k" mixed into its fingerprint, as Semgrep's own fingerprints do, so that
 * they stay distinct findings. A result repeated at the same line stays an exact duplicate.
 */
export function disambiguateRepeatedCode(findings: Finding[]): void {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    if (f.category === 'vulnerability' || f.toolFingerprint) continue;
    const list = groups.get(f.fingerprint);
    if (list) list.push(f);
    else groups.set(f.fingerprint, [f]);
  }
  for (const [fp, list] of groups) {
    const lines = [...new Set(list.map((f) => f.location?.startLine ?? 0))].sort((a, b) => a - b);
    if (lines.length < 2) continue;
    for (const f of list) {
      const k = lines.indexOf(f.location?.startLine ?? 0);
      if (k > 0) f.fingerprint = sha256Hex(`${fp}#${k}`);
    }
  }
}
