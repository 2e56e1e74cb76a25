// Assembles a ReportModel from the store: a submission as it was assessed, or a project's current
// state under the same filters as GET …/findings.
import type { AppliedException } from '../domain/policy/evaluate.js';
import { AppError } from '../errors.js';
import { loadSubmission } from '../ingest/submit.js';
import { scanhubVersion } from '../paths.js';
import type { Queryable } from '../store/db.js';
import { queryFindings, STORED_FINDING_COLUMNS, storedFindingText, type FindingFilter, type StoredFinding, type StoredFindingRow } from '../store/repositories/findings.js';
import { getProject } from '../store/repositories/projects.js';
import { emptySeverityCounts, freshnessOf, rankFindings, totalsOf, type ReportModel, type TrendPoint } from './report-model.js';
import type { Severity } from '../domain/finding.js';

const TREND_POINTS = 12;

/** ScanHub's own data sources (KEV, EPSS, OSV) as the verdict recorded them. */
function scanhubFreshness(data: readonly { source: string; checkedAt: string | null; ageDays: number | null }[] | undefined) {
  return (data ?? []).map((d) => ({ tool: `ScanHub ${d.source.toUpperCase()}`, dbUpdatedAt: d.checkedAt, ageDays: d.ageDays }));
}

/** Findings (aliased `f`) as stored findings. */
async function storedFindings(q: Queryable, sql: string, params: unknown[]): Promise<StoredFinding[]> {
  const { rows } = await q.query<StoredFindingRow>(`SELECT ${STORED_FINDING_COLUMNS} ${sql}`, params);
  return rows.map((r) => JSON.parse(storedFindingText(r)) as StoredFinding);
}

/** Every finding matching the filter, page by page (exports are not paged). */
export async function allFindings(q: Queryable, projectId: string, filter: FindingFilter): Promise<StoredFinding[]> {
  const out: StoredFinding[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await queryFindings(q, projectId, { ...filter, cursor, limit: 1000 });
    out.push(...page.items);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
}

async function trendOf(q: Queryable, projectId: string, ref: string | undefined): Promise<TrendPoint[]> {
  const { rows: subs } = await q.query<{ id: string; created_at: Date; verdict: { outcome: string } | null; severity_counts: Partial<Record<Severity, number>> | null }>(
    `SELECT id, created_at, verdict, severity_counts FROM submissions WHERE project_id = $1 ${ref ? 'AND ref = $2' : ''} ORDER BY created_at DESC LIMIT ${TREND_POINTS}`,
    ref ? [projectId, ref] : [projectId],
  );
  if (subs.length === 0) return [];
  const { rows } = await q.query<{ submission_id: string; severity: Severity; n: number }>(
    `SELECT o.submission_id, f.severity, count(DISTINCT o.finding_id)::int AS n
       FROM occurrences o JOIN findings f ON f.id = o.finding_id
      WHERE o.submission_id = ANY($1::uuid[]) GROUP BY o.submission_id, f.severity`,
    [subs.map((s) => s.id)],
  );
  return subs.reverse().map((s) => {
    // A submission whose findings retention dropped kept their counts by severity.
    const bySeverity = { ...emptySeverityCounts(), ...s.severity_counts };
    for (const r of rows) if (r.submission_id === s.id) bySeverity[r.severity] = r.n;
    return { at: new Date(s.created_at).toISOString(), outcome: s.verdict?.outcome ?? null, bySeverity };
  });
}

function exceptionMap(list: readonly { fingerprint: string; exception: AppliedException }[] | undefined): Map<string, AppliedException> {
  return new Map((list ?? []).map((e) => [e.fingerprint, e.exception]));
}

export async function loadSubmissionReport(q: Queryable, submissionId: string, now: Date, reportUrl?: string): Promise<ReportModel & { fixed: StoredFinding[] }> {
  const submission = await loadSubmission(q, submissionId);
  if (!submission) throw new AppError('SUBMISSION_NOT_FOUND');
  // An empty report would say "no findings": say instead that they were pruned.
  if (submission.detailPrunedAt) throw new AppError('SUBMISSION_PRUNED');
  const project = await getProject(q, submission.projectId);
  const findings = await storedFindings(q, `FROM findings f WHERE f.id IN (SELECT finding_id FROM occurrences WHERE submission_id = $1)`, [submission.id]);
  const fixed = await storedFindings(q, `FROM findings f JOIN ref_findings r ON r.finding_id = f.id WHERE r.fixed_in_submission = $1`, [submission.id]);
  return {
    scope: 'submission',
    project: { id: project.id, name: project.name },
    title: `${project.name} · ${submission.ref}${submission.commit ? ` @ ${submission.commit.slice(0, 12)}` : ''}`,
    generatedAt: now.toISOString(),
    scanhubVersion,
    submission: {
      id: submission.id,
      ref: submission.ref,
      commit: submission.commit,
      targetRef: submission.targetRef,
      tools: submission.tools,
      createdAt: submission.createdAt,
      counts: submission.counts,
    },
    verdict: submission.verdict ?? undefined,
    totals: totalsOf(findings),
    trend: await trendOf(q, project.id, submission.ref),
    freshness: [...freshnessOf(submission.reports, now), ...scanhubFreshness(submission.verdict?.data)],
    findings: rankFindings(findings, exceptionMap(submission.verdict?.exceptions)),
    fixed,
    reportUrl,
  };
}

export async function loadProjectReport(q: Queryable, projectIdOrName: string, filter: FindingFilter, now: Date, reportUrl?: string): Promise<ReportModel> {
  const project = await getProject(q, projectIdOrName);
  const { rows } = await q.query<{ id: string }>(
    `SELECT id FROM submissions WHERE project_id = $1 ${filter.ref ? 'AND ref = $2' : ''} ORDER BY created_at DESC LIMIT 1`,
    filter.ref ? [project.id, filter.ref] : [project.id],
  );
  const latest = rows[0] ? await loadSubmission(q, rows[0].id) : undefined;
  const findings = await allFindings(q, project.id, filter);
  return {
    scope: 'project',
    project: { id: project.id, name: project.name },
    title: `${project.name}${filter.ref ? ` · ${filter.ref}` : ''} — current state`,
    generatedAt: now.toISOString(),
    scanhubVersion,
    submission: latest
      ? { id: latest.id, ref: latest.ref, commit: latest.commit, targetRef: latest.targetRef, tools: latest.tools, createdAt: latest.createdAt, counts: latest.counts }
      : undefined,
    verdict: latest?.verdict ?? undefined,
    totals: totalsOf(findings),
    trend: await trendOf(q, project.id, filter.ref),
    freshness: [...freshnessOf(latest?.reports ?? [], now), ...scanhubFreshness(latest?.verdict?.data)],
    findings: rankFindings(findings, exceptionMap(latest?.verdict?.exceptions)),
    reportUrl,
  };
}
