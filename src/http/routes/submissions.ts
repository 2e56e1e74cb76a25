import { Router } from 'express';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import multer from 'multer';
import { decodeUpload } from '../../ingest/upload.js';
import { z } from 'zod';
import { AppError, ERROR_CATALOGUE, type ErrorCode } from '../../errors.js';
import { ingestSubmission, loadSubmission, loadSubmissionByKey, type SubmissionResult } from '../../ingest/submit.js';
import { loadPendingUpload, queueSubmission, type PendingUpload, type QueuedReport } from '../../ingest/async.js';
import { getProject } from '../../store/repositories/projects.js';
import { authorize, identity } from '../middleware/auth.js';
import type { AppDeps } from '../deps.js';

export const fieldsSchema = z.object({
  ref: z.string().trim().min(1, 'ref (the branch) is required').max(255),
  commit: z
    .string()
    .trim()
    .regex(/^[0-9a-fA-F]{7,64}$/, 'a git commit SHA')
    .optional(),
  tool: z.string().trim().min(1).max(64).optional(),
  id: z.string().uuid().optional(),
  targetRef: z.string().trim().min(1).max(255).optional(),
  // Where the pipeline runs (sent by `scanhub ci`): lets ScanHub write the verdict back to the MR.
  ciProvider: z.enum(['gitlab', 'jenkins', 'github', 'other']).optional(),
  ciProject: z.string().trim().min(1).max(255).optional(),
  mergeRequest: z.string().trim().regex(/^\d{1,12}$/).optional(),
  pipelineId: z.string().trim().regex(/^\d{1,20}$/).optional(),
  pipelineUrl: z.string().trim().url().max(2048).optional(),
  jobUrl: z.string().trim().url().max(2048).optional(),
});

function present(result: SubmissionResult, projectName: string) {
  return {
    id: result.id,
    project: { id: result.projectId, name: projectName },
    ref: result.ref,
    commit: result.commit,
    status: result.status,
    tools: result.tools,
    counts: result.counts,
    reports: result.reports,
    createdAt: result.createdAt,
    targetRef: result.targetRef,
    verdict: result.verdict,
    findings: `/api/v1/projects/${encodeURIComponent(result.projectId)}/findings?ref=${encodeURIComponent(result.ref)}`,
  };
}

function presentPending(upload: PendingUpload, projectName: string) {
  return {
    id: upload.id,
    project: { id: upload.projectId, name: projectName },
    ref: upload.ref,
    commit: upload.commit,
    status: upload.state,
    ...(upload.error ? { error: upload.error } : {}),
    createdAt: upload.createdAt,
    verdict: null,
  };
}

export function submissionRoutes(deps: AppDeps): Router {
  const { db, config } = deps;
  const router = Router();
  // Uploads stream to temporary files (capped per file), so a large report never sits in memory
  // while it arrives; each is removed when the request ends, whatever the outcome.
  const upload = multer({
    storage: multer.diskStorage({ destination: tmpdir() }),
    limits: { fileSize: config.maxUploadSize, files: config.maxReports, fields: 20, fieldSize: 64 * 1024, parts: config.maxReports + 20 },
  });

  router.post('/projects/:project/submissions', async (req, res) => {
    const id = identity(res);
    // Authorise before reading the upload: a stranger's body is never buffered.
    const project = await getProject(db, req.params.project, deps.lookups?.projects);
    authorize(id, 'submission.create', project.id);
    if (!req.is('multipart/form-data')) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the submission as multipart/form-data with fields ref, commit and one or more "report" files.');
    }
    res.on('close', () => {
      for (const f of (req.files as Express.Multer.File[] | undefined) ?? []) void rm(f.path, { force: true });
    });
    await new Promise<void>((resolve, reject) =>
      upload.array('report')(req, res, (err: unknown) => {
        if (!err) return resolve();
        // busboy's own parse errors ("Malformed part header", "Unexpected end of form") are the client's.
        reject(err instanceof multer.MulterError || err instanceof AppError ? err : new AppError('BAD_REQUEST', `The multipart body is malformed: ${(err as Error).message}.`));
      }),
    );
    const fields = fieldsSchema.parse(req.body ?? {});
    const files = (req.files as Express.Multer.File[] | undefined) ?? [];
    const idempotencyKey = req.get('idempotency-key')?.trim() || undefined;
    if (idempotencyKey && idempotencyKey.length > 200) throw new AppError('VALIDATION_FAILED', 'Idempotency-Key is longer than 200 characters.');
    const fieldsOfRequest = {
      projectId: project.id,
      ref: fields.ref,
      commit: fields.commit,
      id: fields.id,
      idempotencyKey,
      targetRef: fields.targetRef,
      source: fields.ciProvider
        ? { kind: 'ci', ciProvider: fields.ciProvider, ciProject: fields.ciProject, mergeRequest: fields.mergeRequest, pipelineId: fields.pipelineId, pipelineUrl: fields.pipelineUrl, jobUrl: fields.jobUrl }
        : undefined,
      actor: `token:${id.name}`,
    };
    // Large uploads (or a client that asks) are ingested by a worker: the pipeline gets an id at once.
    const queue = async (reports: QueuedReport[]) => {
      const existing = idempotencyKey ? await loadSubmissionByKey(db, project.id, idempotencyKey) : undefined;
      if (existing) {
        res.status(200).set({ 'Idempotent-Replayed': 'true' }).location(`/api/v1/submissions/${existing.id}`).json(present(existing, project.name));
        return;
      }
      const queued = await queueSubmission(db, { ...fieldsOfRequest, reports }, config.maxUploadSize);
      res.status(202).set({ 'Preference-Applied': 'respond-async' }).location(`/api/v1/submissions/${queued.id}`).json(presentPending((await loadPendingUpload(db, queued.id))!, project.name));
    };
    const wantsAsync = /\brespond-async\b/i.test(req.get('prefer') ?? '');
    // Already large on disk: stored a chunk at a time (inflated as it goes), never read whole here.
    if (files.length && (wantsAsync || files.reduce((n, f) => n + f.size, 0) > config.asyncIngestAbove)) {
      return queue(files.map((f) => ({ filename: f.originalname, tool: fields.tool, path: f.path })));
    }
    const reports = [];
    for (const f of files) reports.push({ filename: f.originalname, content: decodeUpload(await readFile(f.path), f.originalname, config.maxUploadSize), tool: fields.tool });
    // Small compressed, large inflated: still the worker's.
    if (reports.reduce((n, r) => n + r.content.length, 0) > config.asyncIngestAbove) return queue(reports);
    const request = { ...fieldsOfRequest, reports };
    const result = await ingestSubmission({ db, scanners: deps.scanners, beforeCommit: deps.beforeCommit, now: deps.now }, request);
    res
      .status(result.replayed ? 200 : 201)
      .set(result.replayed ? { 'Idempotent-Replayed': 'true' } : {})
      .location(`/api/v1/submissions/${result.id}`)
      .json(present(result, project.name));
  });

  /** The submission, or the upload still waiting for a worker under that id. */
  const load = async (res: Parameters<typeof identity>[0], idParam: string | undefined) => {
    const id = identity(res);
    if (!idParam || !z.string().uuid().safeParse(idParam).success) throw new AppError('SUBMISSION_NOT_FOUND');
    const submission = await loadSubmission(db, idParam);
    const pending = submission ? undefined : await loadPendingUpload(db, idParam);
    const projectId = submission?.projectId ?? pending?.projectId;
    if (!projectId) throw new AppError('SUBMISSION_NOT_FOUND');
    authorize(id, 'read', projectId);
    const project = await getProject(db, projectId);
    return { submission, pending, project };
  };
  router.get('/submissions/:id', async (req, res) => {
    const { submission, pending, project } = await load(res, req.params.id);
    res.json(submission ? present(submission, project.name) : presentPending(pending!, project.name));
  });
  router.get('/submissions/:id/verdict', async (req, res) => {
    const { submission, pending } = await load(res, req.params.id);
    // Still being ingested: no verdict yet (null, as for a submission not yet assessed).
    if (pending?.state === 'failed') {
      const code = pending.error && pending.error.code in ERROR_CATALOGUE ? (pending.error.code as ErrorCode) : 'VALIDATION_FAILED';
      throw new AppError(code, `The submission could not be ingested: ${pending.error?.message ?? 'unknown reason'}`);
    }
    res.json(submission ? submission.verdict : null);
  });
  return router;
}
