// OSV-Scanner (google/osv-scanner) `--format json`.
import type { ScannerPlugin } from '../../../src/plugins/scanner.js';
import { isRecord } from '../../../src/plugins/parse-helpers.js';
import { osvReportSchema, osvResultSchema } from './schema.js';
import { parseOsv } from './parse.js';

export const osvScanner: ScannerPlugin = {
  kind: 'scanner',
  id: 'osv-scanner',
  name: 'OSV-Scanner',
  formats: [{ id: 'osv-scanner-json', description: 'osv-scanner --format json (results[].packages[].vulnerabilities[], groups)' }],
  detect(input) {
    const doc = input.tryJson();
    if (!isRecord(doc) || !osvReportSchema.safeParse(doc).success) return null;
    const first = (doc.results as unknown[])[0];
    if (first !== undefined) return osvResultSchema.safeParse(first).success ? { format: 'osv-scanner-json', score: 85 } : null;
    // `{"results": []}` is what osv-scanner prints for a clean tree; nothing else prints only that.
    return Object.keys(doc).every((k) => k === 'results' || k === 'experimental_config_summary') ? { format: 'osv-scanner-json', score: 30 } : null;
  },
  parse: parseOsv,
  streamItems: [['results', '*', 'packages', '*']],
};
