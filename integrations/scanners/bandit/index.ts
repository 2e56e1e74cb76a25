// Bandit (PyCQA) `-f json`, with and without issue_cwe and column offsets.
import type { ScannerPlugin } from '../../../src/plugins/scanner.js';
import { isRecord } from '../../../src/plugins/parse-helpers.js';
import { banditReportSchema, banditResultSchema } from './schema.js';
import { parseBandit } from './parse.js';

export const bandit: ScannerPlugin = {
  kind: 'scanner',
  id: 'bandit',
  name: 'Bandit',
  formats: [{ id: 'bandit-json', description: 'bandit -f json (1.6 to 1.9: with or without issue_cwe and col_offset)' }],
  detect(input) {
    const doc = input.tryJson();
    if (!isRecord(doc) || !banditReportSchema.safeParse(doc).success) return null;
    const first = (doc.results as unknown[])[0];
    if (first !== undefined) return banditResultSchema.safeParse(first).success ? { format: 'bandit-json', score: 85 } : null;
    // An empty run is recognisable by Bandit's metrics block and timestamp.
    return isRecord(doc.metrics) && typeof doc.generated_at === 'string' ? { format: 'bandit-json', score: 60 } : null;
  },
  parse: parseBandit,
  streamItems: [['results', '*']],
};
