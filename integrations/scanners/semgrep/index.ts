// Semgrep: CLI JSON (0.x to 1.x), Supply Chain vulns export, AppSec Platform findings export.
import type { ScannerPlugin } from '../../../src/plugins/scanner.js';
import { isRecord } from '../../../src/plugins/parse-helpers.js';
import { ReportFormatError } from '../../../src/errors.js';
import { cliOutputSchema, cliResultSchema, platformSchema, supplyChainSchema } from './schema.js';
import { parseCli } from './parse-cli.js';
import { parsePlatform, parseSupplyChain } from './parse-platform.js';

export const semgrep: ScannerPlugin = {
  kind: 'scanner',
  id: 'semgrep',
  name: 'Semgrep',
  formats: [
    { id: 'semgrep-json', description: 'semgrep scan --json (CLI output, 0.x and 1.x)' },
    { id: 'semgrep-supply-chain', description: 'Semgrep Supply Chain deployments vulns export ({"vulns": […]})' },
    { id: 'semgrep-platform', description: 'Semgrep AppSec Platform findings export ({"findings": […]})' },
  ],
  detect(input) {
    const doc = input.tryJson();
    if (!isRecord(doc)) return null;
    if (cliOutputSchema.safeParse(doc).success) {
      const first = doc.results instanceof Array ? doc.results[0] : undefined;
      if (first !== undefined) return cliResultSchema.safeParse(first).success ? { format: 'semgrep-json', score: 85 } : null;
      // An empty run: recognisable by Semgrep's own keys.
      return 'errors' in doc || 'paths' in doc || 'version' in doc ? { format: 'semgrep-json', score: 40 } : null;
    }
    if (supplyChainSchema.safeParse(doc).success && ('cursor' in doc || 'hasMore' in doc || isRecord((doc.vulns as unknown[])[0]) && 'advisory' in (doc.vulns as Record<string, unknown>[])[0]!)) {
      return { format: 'semgrep-supply-chain', score: 70 };
    }
    if (platformSchema.safeParse(doc).success && Object.keys(doc).length <= 3) {
      const first = (doc.findings as unknown[])[0];
      if (first === undefined || (isRecord(first) && ('rule_name' in first || 'match_based_id' in first))) return { format: 'semgrep-platform', score: first === undefined ? 20 : 70 };
    }
    return null;
  },
  // The CLI's JSON (the platform exports are read whole).
  streamItems: [['results', '*']],
  parse(input) {
    const format = this.detect(input)?.format;
    const doc = input.json();
    switch (format) {
      case 'semgrep-json':
        return parseCli(doc as Record<string, unknown>);
      case 'semgrep-supply-chain':
        return parseSupplyChain(doc as Record<string, unknown>);
      case 'semgrep-platform':
        return parsePlatform(doc as Record<string, unknown>);
      default:
        throw new ReportFormatError('Not a Semgrep report: expected "results" (CLI), "vulns" (Supply Chain) or "findings" (AppSec Platform).', { pointer: '' });
    }
  },
};
