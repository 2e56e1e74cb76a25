// Grype (anchore/grype) `-o json`: 0.7 (matchDetails object) to current (EPSS, KEV, risk).
import type { ScannerPlugin } from '../../../src/plugins/scanner.js';
import { isRecord } from '../../../src/plugins/parse-helpers.js';
import { grypeMatchSchema, grypeReportSchema } from './schema.js';
import { parseGrype } from './parse.js';

export const grype: ScannerPlugin = {
  kind: 'scanner',
  id: 'grype',
  name: 'Grype',
  formats: [{ id: 'grype-json', description: 'grype -o json, 0.7 to current (matchDetails object or list, relatedVulnerabilities, EPSS, KEV, risk)' }],
  detect(input) {
    const doc = input.tryJson();
    if (!isRecord(doc) || !grypeReportSchema.safeParse(doc).success) return null;
    const descriptor = isRecord(doc.descriptor) ? doc.descriptor : undefined;
    if (descriptor?.name === 'grype') return { format: 'grype-json', score: 90 };
    const first = (doc.matches as unknown[])[0];
    return first !== undefined && grypeMatchSchema.safeParse(first).success ? { format: 'grype-json', score: 70 } : null;
  },
  parse: parseGrype,
  streamItems: [['matches', '*']],
};
