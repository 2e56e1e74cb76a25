// Sonatype Nexus IQ Server / Sonatype Lifecycle: Application Report raw data, policy report data,
// and the bridge document (raw + policy of one evaluation) built by client.ts.
import { ReportFormatError } from '../../../src/errors.js';
import type { ParsedFinding } from '../../../src/domain/finding.js';
import { WarningList } from '../../../src/plugins/parse-helpers.js';
import type { ScannerPlugin } from '../../../src/plugins/scanner.js';
import { readBridgeDocument } from './parse-bridge.js';
import { readViolations, violationFindings } from './parse-policy.js';
import { readRawIssues } from './parse-raw.js';
import { bridgeDocumentSchema, policyReportSchema, rawReportSchema } from './schema.js';

type Format = 'nexus-iq-raw' | 'nexus-iq-policy' | 'nexus-iq-evaluation';

/** Scores: above generic formats (CycloneDX 20, SARIF 10); the bridge marker is the most specific. */
const SCORES: Record<Format, number> = { 'nexus-iq-evaluation': 95, 'nexus-iq-policy': 85, 'nexus-iq-raw': 80 };

function formatOf(doc: unknown): Format | undefined {
  if (bridgeDocumentSchema.safeParse(doc).success) return 'nexus-iq-evaluation';
  if (policyReportSchema.safeParse(doc).success) return 'nexus-iq-policy';
  if (rawReportSchema.safeParse(doc).success) return 'nexus-iq-raw';
  return undefined;
}

export const nexusIq: ScannerPlugin = {
  kind: 'scanner',
  id: 'nexus-iq',
  name: 'Sonatype Nexus IQ / Lifecycle',
  formats: [
    { id: 'nexus-iq-raw', description: 'Nexus IQ Application Report raw data (GET /api/v2/applications/{publicId}/reports/{scanId}/raw)' },
    { id: 'nexus-iq-policy', description: 'Nexus IQ policy report data (GET /api/v2/applications/{publicId}/reports/{scanId}/policy)' },
    { id: 'nexus-iq-evaluation', description: 'ScanHub Nexus IQ bridge document: raw + policy data of one application evaluation' },
  ],
  detect(input) {
    const format = formatOf(input.tryJson());
    return format ? { format, score: SCORES[format] } : null;
  },
  parse(input) {
    const doc = input.json();
    const warnings = new WarningList();
    let findings: ParsedFinding[];
    let target: string | undefined;
    const bridge = bridgeDocumentSchema.safeParse(doc);
    const policy = policyReportSchema.safeParse(doc);
    const raw = rawReportSchema.safeParse(doc);
    let format: Format;
    if (bridge.success) {
      format = 'nexus-iq-evaluation';
      findings = readBridgeDocument(bridge.data, warnings);
      target = bridge.data.scanhub.applicationPublicId;
    } else if (policy.success) {
      format = 'nexus-iq-policy';
      findings = readViolations(policy.data.components, warnings, '').flatMap(violationFindings);
      target = policy.data.application.publicId;
    } else if (raw.success) {
      format = 'nexus-iq-raw';
      findings = readRawIssues(raw.data.components, warnings, '').map((i) => i.finding);
    } else {
      throw new ReportFormatError('Not a Nexus IQ body: expected raw report data ({components, matchSummary}), policy report data ({application, reportTime, components}) or a ScanHub Nexus IQ bridge document.', { pointer: '' });
    }
    return { format, findings, warnings: warnings.items, ...(target ? { target } : {}) };
  },
};
