// One entry for every report format: the unified HTML (and its PDF print) or an export from the
// same findings. API, CLI, scheduled reports and email attachments all go through here.
import type { AppliedException } from '../domain/policy/evaluate.js';
import { AppError } from '../errors.js';
import type { StoredFinding } from '../store/repositories/findings.js';
import { EXPORT_FORMATS, exportFindings, type ExportContext } from './exporters/index.js';
import { exportCycloneDxVex } from './exporters/cyclonedx-vex.js';
import { renderHtmlReport } from './html.js';
import { htmlToPdf } from './pdf.js';
import type { ReportModel } from './report-model.js';

export const REPORT_FORMATS = ['html', 'pdf', ...EXPORT_FORMATS, 'cyclonedx-vex'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface RenderedReport {
  body: Buffer;
  contentType: string;
  filename: string;
}

export function isReportFormat(value: string): value is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(value);
}

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'report';
}

export async function renderReport(model: ReportModel & { fixed?: StoredFinding[] }, format: string, options: { chromium?: string | undefined; gitlabSchemaVersion?: string | undefined } = {}): Promise<RenderedReport> {
  if (!isReportFormat(format)) throw new AppError('VALIDATION_FAILED', `format must be one of ${REPORT_FORMATS.join(', ')}.`);
  const base = `scanhub-${slug(model.project.name)}${model.submission ? `-${slug(model.submission.ref)}` : ''}`;
  if (format === 'html' || format === 'pdf') {
    const html = renderHtmlReport(model);
    if (format === 'html') return { body: Buffer.from(html), contentType: 'text/html; charset=utf-8', filename: `${base}.html` };
    return { body: await htmlToPdf(html, { chromium: options.chromium }), contentType: 'application/pdf', filename: `${base}.pdf` };
  }
  const findings = model.findings.map((r) => r.finding);
  const context: ExportContext = {
    project: model.project.name,
    ref: model.submission?.ref,
    commit: model.submission?.commit ?? undefined,
    submissionId: model.submission?.id,
    verdict: model.verdict,
    generatedAt: new Date(model.generatedAt),
    scanhubVersion: model.scanhubVersion,
    reportUrl: model.reportUrl,
    gitlabSchemaVersion: options.gitlabSchemaVersion,
  };
  const exceptions = new Map<string, AppliedException>(model.findings.filter((r) => r.exception).map((r) => [r.finding.fingerprint, r.exception!]));
  const out = format === 'cyclonedx-vex' ? exportCycloneDxVex(findings, context, exceptions) : exportFindings(format, findings, context);
  return { body: Buffer.from(out.body), contentType: out.contentType, filename: `${base}.${out.fileExtension}` };
}
