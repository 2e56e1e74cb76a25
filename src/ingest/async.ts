// Asynchronous ingestion: the API stores the request and its report bytes and answers 202 with the
// submission's id; a worker (any instance with role worker or all) ingests it through the same
// ingestSubmission — or, above SCANHUB_STREAM_INGEST_ABOVE, ingestStoredSubmission, which reads the
// stored chunks as a stream — under that id, in one transaction. A worker killed mid-ingest leaves nothing
// behind but its lease: the job is taken up again and the submission completes once (the id makes a
// second run a replay). A report that cannot be read fails the upload with the reason, kept for GET;
// so does a job that ends for good otherwise (its worker died on every attempt, or errors persisted):
// a pipeline polling the submission hears of it instead of waiting out its timeout. A failed upload's
// report bytes are dropped at once (they may be hundreds of MB); its row, with the reason, stays until
// the retention of finished jobs (src/jobs/retention.ts).
import { createHash, randomUUID } from 'node:crypto';
import { AppError, ERROR_CATALOGUE, ReportFormatError } from '../errors.js';
import type { Job, JobHandler } from '../jobs/queue.js';
import { enqueue } from '../jobs/queue.js';
import type { ScannerPlugin } from '../plugins/scanner.js';
import type { Database, Queryable } from '../store/db.js';
import { ingestSubmission, type RequestFields, type SubmissionRequest, type UploadedReport } from './submit.js';
import { ingestStoredSubmission, type StoredReport } from './submit-stream.js';
import { concatChunks, decodeUploadFile, rechunk } from './upload.js';

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

/** A report to queue: in memory, or a file on disk read (and inflated) as it is stored. */
export type QueuedReport = { filename: string; tool?: string | undefined } & ({ content: Buffer } | { path: string });

/** Stores one report as chunks; returns its decoded size and SHA-256 (what idempotency compares). */
async function storeReport(tx: Queryable, uploadId: string, idx: number, report: QueuedReport, maxSize: number): Promise<void> {
  await tx.query(`INSERT INTO submission_upload_reports (upload_id, idx, filename, tool) VALUES ($1, $2, $3, $4)`, [uploadId, idx, report.filename, report.tool ?? null]);
  const digest = createHash('sha256');
  let size = 0;
  let seq = 0;
  const source = 'content' in report ? [report.content] : decodeUploadFile(report.path, report.filename, maxSize);
  for await (const chunk of rechunk(source)) {
    digest.update(chunk);
    size += chunk.length;
    await tx.query(`INSERT INTO submission_upload_chunks (upload_id, idx, seq, content) VALUES ($1, $2, $3, $4)`, [uploadId, idx, seq++, chunk]);
  }
  await tx.query(`UPDATE submission_upload_reports SET size = $3, sha256 = $4 WHERE upload_id = $1 AND idx = $2`, [uploadId, idx, size, digest.digest('hex')]);
}

/**
 * Stores the upload and queues its ingestion; a repeated Idempotency-Key returns the first upload's
 * id. Reports are stored a chunk at a time: a file on disk is never read whole.
 */
export async function queueSubmission(db: Database, req: RequestFields & { reports: QueuedReport[] }, maxSize = Infinity): Promise<{ id: string; duplicate: boolean }> {
  const request: StoredRequest = { ref: req.ref, commit: req.commit, idempotencyKey: req.idempotencyKey, targetRef: req.targetRef, actor: req.actor, source: req.source };
  return db.transaction(async (tx) => {
    if (req.idempotencyKey) {
      const { rows } = await tx.query<{ id: string }>(`SELECT id FROM submission_uploads WHERE project_id = $1 AND request->>'idempotencyKey' = $2`, [req.projectId, req.idempotencyKey]);
      if (rows[0]) return { id: rows[0].id, duplicate: true };
    }
    const id = req.id ?? randomUUID();
    await tx.query(`INSERT INTO submission_uploads (id, project_id, request) VALUES ($1, $2, $3)`, [id, req.projectId, JSON.stringify(request)]);
    for (const [idx, report] of req.reports.entries()) await storeReport(tx, id, idx, report, maxSize);
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

/** Uploads up to this size (all reports together) are ingested in memory; above, streamed (submit-stream.ts). */
export const DEFAULT_STREAM_ABOVE = 64 * 1024 * 1024;

/** One stored report's bytes, a chunk at a time (a row stored before chunking is its one chunk). */
export async function* storedChunks(q: Queryable, uploadId: string, idx: number): AsyncGenerator<Buffer> {
  const { rows: legacy } = await q.query<{ content: Uint8Array | null }>(`SELECT content FROM submission_upload_reports WHERE upload_id = $1 AND idx = $2`, [uploadId, idx]);
  if (legacy[0]?.content) {
    yield* rechunk([asBuffer(legacy[0].content)]);
    return;
  }
  for (let seq = 0; ; seq++) {
    const { rows } = await q.query<{ content: Uint8Array }>(`SELECT content FROM submission_upload_chunks WHERE upload_id = $1 AND idx = $2 AND seq = $3`, [uploadId, idx, seq]);
    if (!rows[0]) return;
    yield asBuffer(rows[0].content);
  }
}

const asBuffer = (b: Uint8Array) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

async function digestOf(q: Queryable, uploadId: string, idx: number): Promise<Buffer> {
  const h = createHash('sha256');
  for await (const chunk of storedChunks(q, uploadId, idx)) h.update(chunk);
  return h.digest();
}

/**
 * Ends an upload that will not be ingested: failed with the reason, its report bytes dropped. An
 * upload whose submission was committed (a worker stopped between the commit and removing the
 * upload) is simply removed: the submission answers for it.
 */
async function failUpload(q: Queryable, uploadId: string, error: { code: string; message: string }): Promise<void> {
  const { rows } = await q.query(`SELECT 1 FROM submissions WHERE id = $1`, [uploadId]);
  if (rows.length) {
    await q.query(`DELETE FROM submission_uploads WHERE id = $1`, [uploadId]);
    return;
  }
  await q.query(`UPDATE submission_uploads SET state = 'failed', error = $2 WHERE id = $1`, [uploadId, JSON.stringify(error)]);
  await q.query(`DELETE FROM submission_upload_chunks WHERE upload_id = $1`, [uploadId]);
  await q.query(`UPDATE submission_upload_reports SET content = NULL WHERE upload_id = $1`, [uploadId]);
}

export function createIngestHandler(deps: { db: Database; scanners: readonly ScannerPlugin[]; streamAbove?: number | undefined }): JobHandler {
  const handler: JobHandler = async (job: Job) => {
    const uploadId = String(job.payload.uploadId);
    const { rows } = await deps.db.query<{ project_id: string; request: StoredRequest }>(
      `UPDATE submission_uploads SET state = 'processing' WHERE id = $1 AND state <> 'failed' RETURNING project_id, request`,
      [uploadId],
    );
    const upload = rows[0];
    if (!upload) return { uploadId, skipped: 'gone or failed' };
    const stored = (
      await deps.db.query<{ idx: number; filename: string; tool: string | null; size: string | number | null; sha256: string | null }>(
        `SELECT idx, filename, tool, COALESCE(size, length(content)) AS size, sha256 FROM submission_upload_reports WHERE upload_id = $1 ORDER BY idx`,
        [uploadId],
      )
    ).rows;
    const request = { ...upload.request, projectId: upload.project_id, id: uploadId };
    const ingestDeps = { db: deps.db, scanners: deps.scanners };
    try {
      const total = stored.reduce((n, r) => n + Number(r.size), 0);
      let result;
      if (total > (deps.streamAbove ?? DEFAULT_STREAM_ABOVE)) {
        // Too large to hold whole: read back a chunk at a time, inside the ingest transaction.
        const reports = await Promise.all(stored.map(async (r): Promise<StoredReport> => ({
          filename: r.filename,
          tool: r.tool ?? undefined,
          sha256: r.sha256 ? Buffer.from(r.sha256, 'hex') : await digestOf(deps.db, uploadId, r.idx),
          chunks: (q) => storedChunks(q, uploadId, r.idx),
        })));
        result = await ingestStoredSubmission(ingestDeps, { ...request, reports });
      } else {
        const reports: UploadedReport[] = [];
        for (const r of stored) reports.push({ filename: r.filename, tool: r.tool ?? undefined, content: await concatChunks(storedChunks(deps.db, uploadId, r.idx)) });
        result = await ingestSubmission(ingestDeps, { ...request, reports });
      }
      await deps.db.query(`DELETE FROM submission_uploads WHERE id = $1`, [uploadId]);
      return { submissionId: result.id, replayed: result.replayed };
    } catch (error) {
      // A report it cannot read will not read better next time: fail the upload, keep the reason.
      if (error instanceof ReportFormatError || error instanceof AppError) {
        const e = error instanceof ReportFormatError ? error.toAppError() : error;
        await deps.db.transaction((tx) => failUpload(tx, uploadId, { code: e.code, message: e.message }));
        return { uploadId, failed: e.code };
      }
      throw error;
    }
  };
  // The job's own error stays in the job and the worker's log: it may be an internal one, not for API callers.
  handler.onDead = (tx, job) =>
    failUpload(tx, String(job.payload.uploadId), { code: 'INGEST_FAILED', message: `${ERROR_CATALOGUE.INGEST_FAILED.message} (job ${job.id}, ${job.attempts} attempt(s))` });
  return handler;
}
