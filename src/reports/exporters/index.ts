// Pure findings exporters: StoredFinding[] + ExportContext → a file body in a standard format.
import type { StoredFinding } from '../../store/repositories/findings.js';
import type { ExportContext, ExportResult } from './context.js';
import { exportCsv } from './csv.js';
import { gitlabContainerScanning, gitlabDependencyScanning, gitlabSast } from './gitlab.js';
import { exportJson } from './json.js';
import { exportJunit } from './junit.js';
import { exportSarif } from './sarif.js';

export type { ExportContext, ExportResult } from './context.js';
export { CSV_COLUMNS, csvField, csvRecord, exportCsv, neutraliseCsvCell } from './csv.js';
export type { CsvColumn } from './csv.js';
export { JSON_EXPORT_SCHEMA, buildJsonExport, exportJson } from './json.js';
export type { JsonExport } from './json.js';
export { SARIF_SCHEMA_URI, SECURITY_SEVERITY, buildSarif, exportSarif, httpUrl, sarifLevel, securitySeverityScore, toUriReference } from './sarif.js';
export type { SarifLevel, SarifLog, SarifResult, SarifRule } from './sarif.js';
export { describeVerdictFinding, escapeXml, exportJunit } from './junit.js';
export type { JunitOptions } from './junit.js';
export {
  GITLAB_SCHEMA_VERSION,
  gitlabContainerScanning,
  gitlabDependencyScanning,
  gitlabSast,
  gitlabSeverity,
  gitlabTimestamp,
  gitlabVulnerabilityId,
  isContainerScanningFinding,
  isDependencyScanningFinding,
  isSastFinding,
  vulnerabilityIdentifier,
} from './gitlab.js';
export type { GitlabIdentifier, GitlabReport, GitlabScanType, GitlabSeverity, GitlabVulnerability } from './gitlab.js';

export const EXPORT_FORMATS = [
  'csv',
  'json',
  'sarif',
  'junit',
  'gitlab-container-scanning',
  'gitlab-dependency-scanning',
  'gitlab-sast',
] as const;

export type ExportFormat = (typeof EXPORT_FORMATS)[number];

type Exporter = (findings: readonly StoredFinding[], context: ExportContext) => ExportResult;

const EXPORTERS: Readonly<Record<ExportFormat, Exporter>> = {
  csv: exportCsv,
  json: exportJson,
  sarif: exportSarif,
  junit: (findings, context) => exportJunit(findings, context),
  'gitlab-container-scanning': (findings, context) => gitlabContainerScanning(findings, context, context.gitlabSchemaVersion),
  'gitlab-dependency-scanning': (findings, context) => gitlabDependencyScanning(findings, context, context.gitlabSchemaVersion),
  'gitlab-sast': (findings, context) => gitlabSast(findings, context, context.gitlabSchemaVersion),
};

export function isExportFormat(value: string): value is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(value);
}

/** Exports findings in `format`; an unknown format throws an Error naming the valid ones. */
export function exportFindings(format: string, findings: readonly StoredFinding[], context: ExportContext): ExportResult {
  if (!isExportFormat(format)) {
    throw new Error(`Unknown export format "${format}": use one of ${EXPORT_FORMATS.join(', ')}.`);
  }
  return EXPORTERS[format](findings, context);
}
