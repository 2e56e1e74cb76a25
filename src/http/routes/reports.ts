// Reports: the unified HTML (or its PDF) and every export, for one submission or a project's current
// state under the findings filters.
import { Router, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { loadProjectReport, loadSubmissionReport } from '../../reports/load-report.js';
import { REPORT_FORMATS, renderReport, type RenderedReport } from '../../reports/render.js';
import { loadSubmission } from '../../ingest/submit.js';
import { getProject } from '../../store/repositories/projects.js';
import { authorize, identity } from '../middleware/auth.js';
import type { AppDeps } from '../deps.js';
import { findingFilterOf, findingQuerySchema } from './findings.js';
import { effectiveScanConfig } from './scan-config.js';

export const reportQuery = z.object({ format: z.enum(REPORT_FORMATS).default('html') });
export const projectReportQuery = findingQuerySchema.omit({ cursor: true, limit: true }).extend({ format: z.enum(REPORT_FORMATS).default('html') });

function send(res: Response, report: RenderedReport): void {
  const inline = report.contentType.startsWith('text/html');
  res
    .status(200)
    .type(report.contentType)
    .set('Content-Disposition', `${inline ? 'inline' : 'attachment'}; filename="${report.filename}"`)
    .set('Cache-Control', 'no-store')
    .send(report.body);
}

export function reportRoutes(deps: AppDeps): Router {
  const { db, config } = deps;
  const router = Router();
  const now = () => deps.now?.() ?? new Date();
  const link = (path: string) => (config.publicUrl ? config.publicUrl.replace(/\/$/, '') + path : undefined);

  router.get('/submissions/:id/report', async (req, res) => {
    const id = identity(res);
    if (!z.uuid().safeParse(req.params.id).success) throw new AppError('SUBMISSION_NOT_FOUND');
    const { format } = reportQuery.parse(req.query);
    const submission = await loadSubmission(db, req.params.id);
    if (!submission) throw new AppError('SUBMISSION_NOT_FOUND');
    authorize(id, 'read', submission.projectId);
    const model = await loadSubmissionReport(db, submission.id, now(), link(`/api/v1/submissions/${submission.id}/report`));
    send(res, await renderReport(model, format, { chromium: config.chromium, gitlabSchemaVersion: (await effectiveScanConfig(db, submission.projectId)).gitlabReportVersion }));
  });

  router.get('/projects/:project/report', async (req, res) => {
    const id = identity(res);
    const project = await getProject(db, req.params.project, deps.lookups?.projects);
    authorize(id, 'read', project.id);
    const { format, ...query } = projectReportQuery.parse(req.query);
    const model = await loadProjectReport(db, project.id, findingFilterOf(query), now(), link(`/api/v1/projects/${encodeURIComponent(project.name)}/report`));
    send(res, await renderReport(model, format, { chromium: config.chromium, gitlabSchemaVersion: (await effectiveScanConfig(db, project.id)).gitlabReportVersion }));
  });
  return router;
}
