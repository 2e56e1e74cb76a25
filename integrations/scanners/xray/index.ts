// JFrog Xray reports: Artifact Summary v1/v2, graph scan results (and `jf scan` arrays), violations
// lists and details, the 3.x vulnerabilities report export, the 2.x Security Export, policy
// webhooks, and v2 build-scan results.
import { ReportFormatError } from '../../../src/errors.js';
import type { ParsedFinding } from '../../../src/domain/finding.js';
import type { ScannerPlugin } from '../../../src/plugins/scanner.js';
import { isRecord, WarningList, type JsonRecord } from '../../../src/plugins/parse-helpers.js';
import { issueFindings, type XrayIssue } from './issue.js';
import { readGraphScan, readReportRows, readSecurityExport, readSummary, readViolations, readWebhookIssues } from './readers.js';
import { buildScanSchema, graphScanSchema, reportRowsSchema, securityExportSchema, summarySchema, violationDetailsSchema, violationsListSchema, webhookIssuesSchema } from './schema.js';

type Format = 'xray-summary' | 'xray-graph-scan' | 'xray-jf-scan' | 'xray-violations' | 'xray-violation-details' | 'xray-report-rows' | 'xray-security-export' | 'xray-webhook' | 'xray-build-scan';

function formatOf(doc: unknown): Format | undefined {
  if (Array.isArray(doc)) {
    const first = doc[0];
    return isRecord(first) && 'scan_id' in first && graphScanSchema.safeParse(first).success ? 'xray-jf-scan' : undefined;
  }
  if (!isRecord(doc)) return undefined;
  if (summarySchema.safeParse(doc).success) return 'xray-summary';
  if (violationsListSchema.safeParse(doc).success) return 'xray-violations';
  if (violationDetailsSchema.safeParse(doc).success) return 'xray-violation-details';
  if (reportRowsSchema.safeParse(doc).success) return 'xray-report-rows';
  if (securityExportSchema.safeParse(doc).success) return 'xray-security-export';
  if (webhookIssuesSchema.safeParse(doc).success) return 'xray-webhook';
  if (buildScanSchema.safeParse(doc).success) return 'xray-build-scan';
  if ('scan_id' in doc && ('vulnerabilities' in doc || 'violations' in doc) && graphScanSchema.safeParse(doc).success) return 'xray-graph-scan';
  return undefined;
}

export const xray: ScannerPlugin = {
  kind: 'scanner',
  id: 'xray',
  name: 'JFrog Xray',
  formats: [
    { id: 'xray-summary', description: 'Xray Artifact Summary v1/v2 (POST /xray/api/v1|v2/summary/artifact)' },
    { id: 'xray-graph-scan', description: 'Xray graph scan result (GET /xray/api/v1/scan/graph/{id}), docker and package' },
    { id: 'xray-jf-scan', description: 'jf scan / jf docker scan --format json (array of graph scan results)' },
    { id: 'xray-violations', description: 'Xray violations list (POST /xray/api/v1/violations)' },
    { id: 'xray-violation-details', description: 'Xray violation details (violation_details_url)' },
    { id: 'xray-report-rows', description: 'Xray 3.x vulnerabilities report export / report content {total_rows, rows}' },
    { id: 'xray-security-export', description: 'Xray 2.x Security Export {total_count, data}' },
    { id: 'xray-webhook', description: 'Xray policy webhook body {watch_name, policy_name, issues}' },
    { id: 'xray-build-scan', description: 'Xray v2 build scan result (GET /xray/api/v2/ci/build/{name}/{number})' },
  ],
  detect(input) {
    const format = formatOf(input.tryJson());
    return format ? { format, score: 80 } : null;
  },
  // The artifact summary (other Xray bodies are read whole).
  streamItems: [['artifacts', '*', 'issues', '*']],
  parse(input) {
    const doc = input.json();
    const format = formatOf(doc);
    if (!format) throw new ReportFormatError('Not an Xray report body (summary, graph scan, violations, report export or security export).', { pointer: '' });
    const warnings = new WarningList();
    const d = doc as JsonRecord;
    const issues: XrayIssue[] = (() => {
      switch (format) {
        case 'xray-summary':
          return readSummary(d, warnings);
        case 'xray-graph-scan':
        case 'xray-build-scan':
          return readGraphScan(d, warnings);
        case 'xray-jf-scan':
          return (doc as unknown[]).flatMap((r, i) => (isRecord(r) ? readGraphScan(r, warnings, `/${i}`) : []));
        case 'xray-violations':
          return readViolations(d.violations as unknown[], warnings, '/violations');
        case 'xray-violation-details':
          return readViolations([d], warnings, '');
        case 'xray-report-rows':
          return readReportRows(d, warnings);
        case 'xray-security-export':
          return readSecurityExport(d, warnings);
        case 'xray-webhook':
          return readWebhookIssues(d, warnings);
      }
    })();
    const findings: ParsedFinding[] = [];
    issues.forEach((issue) => {
      const produced = issueFindings(issue);
      if (produced.length === 0) warnings.add('', `Skipped an Xray issue without issue id or CVE (${issue.summary?.slice(0, 60) ?? 'no summary'}).`);
      findings.push(...produced);
    });
    return { format, findings, warnings: warnings.items };
  },
};
