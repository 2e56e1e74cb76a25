// A submission: its verdict explained (each rule → the findings that tripped it, linked), what it
// changed (new / reopened / fixed), the tools that ran and the age of their data, and every export.
import { Router } from 'express';
import { AppError } from '../../../errors.js';
import type { AppDeps } from '../../../http/deps.js';
import { authorize } from '../../../http/middleware/auth.js';
import { loadSubmission } from '../../../ingest/submit.js';
import { REPORT_FORMATS } from '../../../reports/render.js';
import { freshnessOf } from '../../../reports/report-model.js';
import { findingIdsByFingerprint, submissionChanges } from '../../../store/repositories/findings.js';
import { getProject } from '../../../store/repositories/projects.js';
import { renderPage } from '../../page.js';
import { clock, projectHref, uuidSchema, viewer, when, withQuery } from './common.js';

/** Findings listed per change kind; the explorer has the rest. */
const CHANGES_LISTED = 50;

const FORMAT_LABELS: Partial<Record<(typeof REPORT_FORMATS)[number], string>> = { html: 'HTML report', pdf: 'PDF report' };

export function submissionPage(deps: AppDeps): Router {
  const { db } = deps;
  const now = clock(deps);
  const router = Router();
  router.get('/submissions/:id', async (req, res) => {
    const id = viewer(res);
    if (!uuidSchema.safeParse(req.params.id).success) throw new AppError('SUBMISSION_NOT_FOUND');
    const submission = await loadSubmission(db, req.params.id);
    if (!submission) throw new AppError('SUBMISSION_NOT_FOUND');
    authorize(id, 'read', submission.projectId);
    const project = await getProject(db, submission.projectId);
    const verdict = submission.verdict;
    const fingerprints = [
      ...(verdict?.rules ?? []).flatMap((r) => r.findings.map((f) => f.fingerprint)),
      ...(verdict?.exceptions ?? []).map((e) => e.fingerprint),
      ...(verdict?.expiredExceptions ?? []).map((e) => e.fingerprint),
    ];
    const ids = await findingIdsByFingerprint(db, project.id, fingerprints);
    const link = (fingerprint: string) => (ids.has(fingerprint) ? `/findings/${ids.get(fingerprint)}` : null);
    const rules = (verdict?.rules ?? []).map((r) => ({
      ...r,
      findings: r.findings.map((f) => ({
        ...f,
        href: link(f.fingerprint),
        label: f.vulnerabilityIds[0] ?? f.ruleId,
        where: f.package ? `${f.package.name}${f.package.version ? `@${f.package.version}` : ''}` : (f.location?.path ?? f.location?.image ?? ''),
      })),
      unlisted: Math.max(0, r.matched - r.allowed - r.findings.length),
    }));
    const at = now();
    const [added, reopened, fixed] = submission.detailPrunedAt
      ? [[], [], []]
      : await Promise.all([
          submissionChanges(db, submission.id, 'new', CHANGES_LISTED),
          submissionChanges(db, submission.id, 'reopened', CHANGES_LISTED),
          submissionChanges(db, submission.id, 'fixed', CHANGES_LISTED),
        ]);
    const reportBase = `/api/v1/submissions/${submission.id}/report`;
    const title = `${project.name} · ${submission.ref}${submission.commit ? ` @ ${submission.commit.slice(0, 12)}` : ''}`;
    renderPage(
      res,
      'browse/submission',
      { title: `Submission ${title}`, nav: 'overview', crumbs: [{ href: '/', label: 'Overview' }, { href: projectHref(project.name), label: project.name }] },
      {
        submission: { ...submission, at: when(submission.createdAt), commitShort: submission.commit?.slice(0, 12) ?? null },
        verdict: verdict && {
          outcome: verdict.outcome,
          summary: verdict.summary,
          reasons: verdict.reasons,
          counts: verdict.counts,
          policy: verdict.policy,
          evaluatedAt: when(verdict.evaluatedAt),
          exceptions: verdict.exceptions.map((e) => ({ ...e.exception, href: link(e.fingerprint), kind: e.exception.kind.replace('_', ' ') })),
          expired: verdict.expiredExceptions.map((e) => ({ ...e.exception, href: link(e.fingerprint), kind: e.exception.kind.replace('_', ' ') })),
        },
        tripped: rules.filter((r) => r.triggered),
        passed: rules.filter((r) => !r.triggered),
        changes: [
          { key: 'new', label: 'New', count: submission.counts.new, items: added, href: withQuery('/findings', {}, { project: project.name, ref: submission.ref, new: 'true' }) },
          { key: 'reopened', label: 'Reopened', count: submission.counts.reopened, items: reopened, href: null },
          { key: 'fixed', label: 'Fixed', count: submission.counts.fixed, items: fixed, href: withQuery('/findings', {}, { project: project.name, ref: submission.ref, status: 'fixed' }) },
        ],
        counts: submission.counts,
        reports: submission.reports.map((r) => ({ ...r, warningCount: r.warnings.length, db: r.dbUpdatedAt ? when(r.dbUpdatedAt) : null })),
        freshness: [
          ...freshnessOf(submission.reports, at).map((f) => ({ name: f.tool, updated: f.dbUpdatedAt ? when(f.dbUpdatedAt) : 'not reported by the tool', age: f.ageDays === null ? '—' : String(f.ageDays), stale: false })),
          ...(verdict?.data ?? []).map((d) => ({ name: `ScanHub ${d.source}`, updated: d.checkedAt ? when(d.checkedAt) : 'never loaded', age: d.ageDays === null ? '—' : String(d.ageDays), stale: d.stale })),
        ],
        pruned: submission.detailPrunedAt && when(submission.detailPrunedAt),
        exports: REPORT_FORMATS.filter((f) => f !== 'pdf').map((f) => ({ format: f, label: FORMAT_LABELS[f] ?? f, href: `${reportBase}?format=${f}` })),
        pdfHref: `${reportBase}?format=pdf`,
        findingsHref: withQuery('/findings', {}, { project: project.name, ref: submission.ref }),
        project: { name: project.name, href: projectHref(project.name) },
      },
    );
  });
  return router;
}
