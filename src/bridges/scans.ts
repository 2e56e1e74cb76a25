// On-demand scans (POST /api/v1/projects/{p}/scans): a row a caller can follow while the bridge job
// runs, and the wrapper that keeps that row in step with the job — queued, running (with its step),
// succeeded with the submission, or failed with the reason. Rows are written outside the job's own
// transactions on purpose: progress must be visible while the job is still working.
import type { Job, JobHandler, JobHandlerContext } from '../jobs/queue.js';
import type { Queryable } from '../store/db.js';

export const SCAN_SOURCES = ['xray', 'sonarqube', 'nexus-iq'] as const;
export type ScanSource = (typeof SCAN_SOURCES)[number];

export interface ScanView {
  id: string;
  project: string;
  source: ScanSource;
  target: string;
  integrationId: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  step: string;
  attempts: number;
  submission: { id: string; outcome: string | null; summary: string | null } | null;
  error: string | null;
  requestedBy: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export async function createScan(q: Queryable, scan: { projectId: string; source: ScanSource; target: string; integrationId: string; requestedBy: string }): Promise<string> {
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO scans (project_id, source, target, integration_id, requested_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [scan.projectId, scan.source, scan.target, scan.integrationId, scan.requestedBy],
  );
  return rows[0]!.id;
}

export async function loadScan(q: Queryable, id: string): Promise<(ScanView & { projectId: string }) | undefined> {
  const { rows } = await q.query<{
    id: string; project_id: string; project: string; source: ScanSource; target: string; integration_id: string; status: ScanView['status']; step: string; attempts: number;
    submission_id: string | null; verdict: { outcome?: string; summary?: string } | null; error: string | null; requested_by: string; created_at: Date; updated_at: Date; finished_at: Date | null;
  }>(
    `SELECT s.*, p.name AS project, sub.verdict FROM scans s JOIN projects p ON p.id = s.project_id LEFT JOIN submissions sub ON sub.id = s.submission_id WHERE s.id = $1`,
    [id],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    id: r.id, projectId: r.project_id, project: r.project, source: r.source, target: r.target, integrationId: r.integration_id, status: r.status, step: r.step, attempts: r.attempts,
    submission: r.submission_id ? { id: r.submission_id, outcome: r.verdict?.outcome ?? null, summary: r.verdict?.summary ?? null } : null,
    error: r.error, requestedBy: r.requested_by,
    createdAt: new Date(r.created_at).toISOString(), updatedAt: new Date(r.updated_at).toISOString(), finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
  };
}

/** What a bridge job reports when it ends without throwing. */
export interface BridgeOutcome {
  submissionId: string;
  outcome: string;
  /** Why there is no verdict (the scan failed and an "error" submission says so). */
  reason?: string | undefined;
  replayed?: boolean | undefined;
}

export type Progress = (step: string) => Promise<void>;
export type BridgeJobHandler = (job: Job, ctx: JobHandlerContext, progress: Progress) => Promise<BridgeOutcome>;

/** A bridge job whose payload may name a scan row: the row follows the job to its end. */
export function trackScan(db: Queryable, handler: BridgeJobHandler): JobHandler {
  const tracked: JobHandler = async (job, ctx) => {
    const scanId = typeof job.payload.scanId === 'string' ? job.payload.scanId : undefined;
    const update = async (sql: string, params: unknown[]) => {
      if (scanId) await db.query(`UPDATE scans SET ${sql}, updated_at = now() WHERE id = $1`, [scanId, ...params]);
    };
    await update(`status = 'running', step = 'started', attempts = $2`, [job.attempts]);
    try {
      const result = await handler(job, ctx, (step) => update(`step = $2`, [step.slice(0, 500)]));
      const failed = result.reason !== undefined;
      await update(`status = $2, step = $3, submission_id = $4, error = $5, finished_at = now()`, [failed ? 'failed' : 'succeeded', 'done', result.submissionId, result.reason ?? null]);
      return result;
    } catch (error) {
      // The queue retries it, or ends it and onDead marks the row failed.
      const message = error instanceof Error ? error.message : String(error);
      await update(`step = $2`, [`attempt ${job.attempts} failed: ${message}`.slice(0, 500)]);
      throw error;
    }
  };
  // The job ended for good: its failure was not retryable, its attempts ran out, or the worker running
  // it died on every attempt. The row says so, with the reason, instead of "running" for ever.
  tracked.onDead = async (tx, job, reason) => {
    if (typeof job.payload.scanId !== 'string') return;
    await tx.query(
      `UPDATE scans SET status = 'failed', step = 'gave up', error = $2, finished_at = now(), updated_at = now() WHERE id = $1 AND status NOT IN ('succeeded', 'failed')`,
      [job.payload.scanId, reason.slice(0, 2000)],
    );
  };
  return tracked;
}
