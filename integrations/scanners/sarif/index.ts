// SARIF 2.1.0 from any tool (CodeQL, Semgrep, Trivy, Grype, Dependency-Check, SpotBugs, …).
import type { ScannerPlugin } from '../../../src/plugins/scanner.js';
import { isRecord } from '../../../src/plugins/parse-helpers.js';
import { sarifLogSchema } from './schema.js';
import { parseSarif } from './parse.js';

export const sarif: ScannerPlugin = {
  kind: 'scanner',
  id: 'sarif',
  name: 'SARIF',
  formats: [{ id: 'sarif-2.1.0', description: 'SARIF 2.1.0 from any tool: results per location, suppressions, fingerprints, security-severity' }],
  detect(input) {
    const doc = input.tryJson();
    if (!isRecord(doc) || !sarifLogSchema.safeParse(doc).success) return null;
    const firstRun = (doc.runs as unknown[])[0];
    const marked =
      (typeof doc.version === 'string' && doc.version.startsWith('2.')) ||
      (typeof doc.$schema === 'string' && /sarif/i.test(doc.$schema)) ||
      // Some producers omit both; a run with results is still recognisably SARIF.
      (isRecord(firstRun) && Array.isArray(firstRun.results) && ('tool' in firstRun || 'invocations' in firstRun));
    // Generic container format: a tool-specific plugin reading the same file would win.
    return marked ? { format: 'sarif-2.1.0', score: 10 } : null;
  },
  parse: parseSarif,
  streamItems: [['runs', '*', 'results', '*']],
};
