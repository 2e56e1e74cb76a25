// Trivy (aquasecurity/trivy) JSON reports: legacy arrays, SchemaVersion 2, and `trivy k8s`.
import type { ScannerPlugin } from '../../../src/plugins/scanner.js';
import { isRecord } from '../../../src/plugins/parse-helpers.js';
import { k8sReportSchema, legacyResultSchema, reportV2Schema } from './schema.js';
import { parseTrivy } from './parse.js';

export const trivy: ScannerPlugin = {
  kind: 'scanner',
  id: 'trivy',
  name: 'Trivy',
  formats: [
    { id: 'trivy-json-v2', description: 'Trivy JSON, SchemaVersion 2 (0.20 and later): vulnerabilities, misconfigurations, secrets, licenses, VEX' },
    { id: 'trivy-k8s', description: 'trivy k8s JSON cluster report (Vulnerabilities/Misconfigurations sections or Resources[])' },
    { id: 'trivy-json-legacy', description: 'Trivy JSON before 0.20: a top-level array of targets, or null' },
  ],
  detect(input) {
    const doc = input.tryJson();
    if (doc === null && input.text.trim() === 'null') return { format: 'trivy-json-legacy', score: 30 };
    if (Array.isArray(doc)) {
      const first = doc[0];
      return isRecord(first) && legacyResultSchema.safeParse(first).success && 'Vulnerabilities' in first ? { format: 'trivy-json-legacy', score: 80 } : null;
    }
    if (!isRecord(doc)) return null;
    if (reportV2Schema.safeParse(doc).success && ('ArtifactName' in doc || 'Results' in doc || 'ArtifactType' in doc)) return { format: 'trivy-json-v2', score: 90 };
    if (k8sReportSchema.safeParse(doc).success) return { format: 'trivy-k8s', score: 90 };
    return null;
  },
  parse: parseTrivy,
  // SchemaVersion 2 and the legacy array: every section of every Result.
  streamItems: ['Vulnerabilities', 'Misconfigurations', 'Secrets', 'Licenses', 'ExperimentalModifiedFindings'].flatMap((section) => [
    ['Results', '*', section, '*'],
    ['*', section, '*'],
  ]),
};
