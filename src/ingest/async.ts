// Asynchronous ingestion: the API stores the request and its report bytes and answers 202 with the
// submission's id; a worker (any instance with role worker or all) ingests it through the same
// ingestSubmission, under that id, in one transaction. A worker killed mid-ingest leaves nothing
// behind but its lease: the job is taken up again and the submission completes once (the id makes a
// second run a replay). A report that cannot be read fails the upload with the reason, kept for GET.
import { randomUUID } from 'node:crypto';
import { AppError, ReportFormatError } from '../errors.js';
import type { Job, JobHandler } from '../jobs/queue.js';
import { enqueue } from '../jobs/queue.js';
import type { ScannerPlugin } from '../plugins/scanner.js';
import type { Database, Queryable } from '../store/db.js';
import { ingestSubmission, type SubmissionRequest, type UploadedReport } from './submit.js';

export const INGEST_QUEUE = 'ingest.submission';

type StoredRequest = Omit<SubmissionRequest, 'reports' | 'projectId' | 'id'>;

export interface PendingUpload {
  id: string;
  projectId: string;
  ref: string;
  commit: string | null;
  state: 'queued' | 'processing' | 'failed';
  error: { code: string; message: string } | null;
  createdAt: string;
}

/** Stores the upload and queues its ingestion; a repeated Idempotency-Key returns the first upload's id. */
export async function queueSubmission(db: Database, req: SubmissionRequest): Promise<{ id: string; duplicate: boolean }> {
  const request: StoredRequest = { ref: req.ref, commit: req.commit, idempotencyKey: req.idempotencyKey, targetRef: req.targetRef, actor: req.actor, source: req.source };
  return db.transaction(async (tx) => {
    if (req.idempotencyKey) {
      const { rows } = await tx.query<{ id: string }>(`SELECT id FROM submission_uploads WHERE project_id = $1 AND request->>'idempotencyKey' = $2`, [req.projectId, req.idempotencyKey]);
      if (rows[0]) return { id: rows[0].id, duplicate: true };
    }
    const id = req.id ?? randomUUID();
    await tx.query(`INSERT INTO submission_uploads (id, project_id, request) VALUES ($1, $2, $3)`, [id, req.projectId, JSON.stringify(request)]);
    for (const [idx, report] of req.reports.entries()) {
      await tx.query(`INSERT INTO submission_upload_reports (upload_id, idx, filename, tool, content) VALUES ($1, $2, $3, $4, $5)`, [id, idx, report.filename, report.tool ?? null, report.content]);
    }
    await enqueue(tx, INGEST_QUEUE, { uploadId: id }, { dedupeKey: id, maxAttempts: 5 });
    return { id, duplicate: false };
  });
}

/** A submission that is still waiting for (or failed in) a worker, if `id` is one. */
export async function loadPendingUpload(q: Queryable, id: string): Promise<PendingUpload | undefined> {
  const { rows } = await q.query<{ id: string; project_id: string; request: StoredRequest; state: PendingUpload['state']; error: PendingUpload['error']; created_at: Date }>(
    `SELECT id, project_id, request, state, error, created_at FROM submission_uploads WHERE id = $1`,
    [id],
  );
  const r = rows[0];
  return r && { id: r.id, projectId: r.project_id, ref: r.request.ref, commit: r.request.commit ?? null, state: r.state, error: r.error, createdAt: new Date(r.created_at).toISOString() };
}

export function createIngestHandler(deps: { db: Database; scanners: readonly ScannerPlugin[] }): JobHandler {
  return async (job: Job) => {
    const uploadId = String(job.payload.uploadId);
    const { rows } = await deps.db.query<{ project_id: string; request: StoredRequest }>(
      `UPDATE submission_uploads SET state = 'processing' WHERE id = $1 AND state <> 'failed' RETURNING project_id, request`,
      [uploadId],
    );
    const upload = rows[0];
    if (!upload) return { uploadId, skipped: 'gone or failed' };
    const reports = (
      await deps.db.query<{ filename: string; tool: string | null; content: Buffer | Uint8Array }>(`SELECT filename, tool, content FROM submission_upload_reports WHERE upload_id = $1 ORDER BY idx`, [uploadId])
    ).rows.map((r): UploadedReport => ({ filename: r.filename, tool: r.tool ?? undefined, content: Buffer.from(r.content) }));
    try {
      const result = await ingestSubmission({ db: deps.db, scanners: deps.scanners }, { ...upload.request, projectId: upload.project_id, id: uploadId, reports });
      await deps.db.query(`DELETE FROM submission_uploads WHERE id = $1`, [uploadId]);
      return { submissionId: result.id, replayed: result.replayed };
    } catch (error) {
      // A report it cannot read will not read better next time: fail the upload, keep the reason.
      if (error instanceof ReportFormatError || error instanceof AppError) {
        const e = error instanceof ReportFormatError ? error.toAppError() : error;
        await deps.db.query(`UPDATE submission_uploads SET state = 'failed', error = $2 WHERE id = $1`, [uploadId, JSON.stringify({ code: e.code, message: e.message })]);
        return { uploadId, failed: e.code };
      }
      throw error;
    }
  };
}
