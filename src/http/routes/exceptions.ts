// The exception workflow: request (CI, maintainer), approve/reject (security), revoke, list,
// import from other tools' formats, export as CycloneDX VEX. Every change is audited.
import express, { Router } from 'express';
import { z } from 'zod';
import { AppError, ReportFormatError } from '../../errors.js';
import { exceptionRequestSchema } from '../../domain/exceptions.js';
import { detectImportFormat, exportCycloneDxVex, importExceptions, type ImportFormat } from '../../assess/exception-io.js';
import { createException, decideException, getException, listExceptions } from '../../store/repositories/exceptions.js';
import { getProject } from '../../store/repositories/projects.js';
import type { TokenIdentity } from '../../security/tokens.js';
import type { Database } from '../../store/db.js';
import type { ExceptionRequest } from '../../domain/exceptions.js';
import { authorize, identity } from '../middleware/auth.js';
import type { AppDeps } from '../deps.js';

const canApprove = (id: TokenIdentity) => id.role === 'admin' || id.role === 'security';
const uuid = z.string().uuid();

export const exceptionListQuery = z.object({
  project: z.string().max(200).optional(),
  status: z.enum(['pending', 'approved', 'rejected', 'revoked']).optional(),
  format: z.enum(['json', 'cyclonedx-vex']).optional(),
});

export const exceptionImportQuery = z.object({
  project: z.string().max(200).optional(),
  owner: z.string().trim().min(1, 'owner is required: who answers for the imported exceptions').max(200),
  format: z.enum(['trivyignore', 'dependency-check-suppression', 'cyclonedx-vex', 'openvex']).optional(),
});

/** The project an exception request names, checked for the requester; null: organisation-wide (security roles only). */
async function exceptionProject(db: Database, id: TokenIdentity, project: string | undefined): Promise<string | null> {
  if (!project) {
    if (!canApprove(id)) throw new AppError('FORBIDDEN', 'Only admin and security roles create exceptions for all projects; name a project.');
    return null;
  }
  const p = await getProject(db, project);
  authorize(id, 'exception.request', p.id);
  return p.id;
}

/** Requests an exception as `id` (auto-approved when it may be): POST /exceptions and the triage pages. */
export async function requestException(db: Database, id: TokenIdentity, body: ExceptionRequest, now: Date) {
  authorize(id, 'exception.request');
  const projectId = await exceptionProject(db, id, body.project);
  const { project: _project, ...request } = body;
  return db.transaction((tx) => createException(tx, request, { projectId, actor: `token:${id.name}`, canApprove: canApprove(id), now }));
}

export const EXCEPTION_DECISIONS = { approve: 'approved', reject: 'rejected', revoke: 'revoked' } as const;
export type ExceptionVerb = keyof typeof EXCEPTION_DECISIONS;

/** Approves, rejects or revokes an exception as `id`: POST /exceptions/:id/<verb> and the triage pages. */
export async function decideExceptionAs(db: Database, id: TokenIdentity, exceptionId: string, verb: ExceptionVerb, now: Date) {
  if (!uuid.safeParse(exceptionId).success) throw new AppError('NOT_FOUND', 'No such exception.');
  const e = await getException(db, exceptionId);
  // Requesters may withdraw their own request; deciding is for security roles.
  const own = verb === 'revoke' && e.requestedBy === `token:${id.name}`;
  if (!own) authorize(id, 'exception.approve', e.projectId ?? undefined);
  return db.transaction((tx) => decideException(tx, e.id, EXCEPTION_DECISIONS[verb], `token:${id.name}`, now));
}

export function exceptionRoutes(deps: AppDeps): Router {
  const { db } = deps;
  const now = () => deps.now?.() ?? new Date();
  const router = Router();
  const projectFor = (id: TokenIdentity, project: string | undefined) => exceptionProject(db, id, project);

  router.post('/exceptions', async (req, res) => {
    const id = identity(res);
    authorize(id, 'exception.request');
    const body = exceptionRequestSchema.parse(req.body ?? {});
    const created = await requestException(db, id, body, now());
    res.status(201).location(`/api/v1/exceptions/${created.id}`).json(created);
  });

  router.get('/exceptions', async (req, res) => {
    const id = identity(res);
    const query = exceptionListQuery.parse(req.query);
    const project = query.project ? await getProject(db, query.project) : undefined;
    authorize(id, 'read', project?.id);
    const items = await listExceptions(db, { projectId: project?.id, status: query.status, onlyProject: id.projectId });
    if (query.format === 'cyclonedx-vex') {
      res.type('application/vnd.cyclonedx+json').json(exportCycloneDxVex(items, now()));
      return;
    }
    res.json({ items });
  });

  router.get('/exceptions/:id', async (req, res) => {
    const id = identity(res);
    if (!uuid.safeParse(req.params.id).success) throw new AppError('NOT_FOUND', 'No such exception.');
    const e = await getException(db, req.params.id);
    authorize(id, 'read', e.projectId ?? undefined);
    res.json(e);
  });

  for (const verb of Object.keys(EXCEPTION_DECISIONS) as ExceptionVerb[]) {
    router.post(`/exceptions/:id/${verb}`, async (req, res) => {
      res.json(await decideExceptionAs(db, identity(res), req.params.id, verb, now()));
    });
  }

  router.post('/exceptions/import', express.text({ type: () => true, limit: '5mb' }), async (req, res) => {
    const id = identity(res);
    authorize(id, 'exception.request');
    const query = exceptionImportQuery.parse(req.query);
    // A JSON body (VEX) was already parsed by the API's JSON parser; YAML and XML arrive as text.
    const text = typeof req.body === 'string' ? req.body : req.body && typeof req.body === 'object' ? JSON.stringify(req.body) : '';
    const format: ImportFormat | undefined = query.format ?? detectImportFormat(text);
    if (!format) throw new AppError('REPORT_FORMAT_UNKNOWN', 'Import a .trivyignore.yaml, a Dependency-Check suppression file, CycloneDX VEX or OpenVEX.');
    const projectId = await projectFor(id, query.project);
    let imported;
    try {
      imported = importExceptions(text, format, query.owner, now());
    } catch (error) {
      if (error instanceof ReportFormatError) throw error.toAppError();
      throw error;
    }
    const created = await db.transaction(async (tx) => {
      const out = [];
      for (const draft of imported.drafts) {
        const checked = exceptionRequestSchema.safeParse(draft);
        if (!checked.success) {
          imported.skipped.push(`${draft.scope.type}: ${checked.error.issues[0]?.message}`);
          continue;
        }
        out.push(await createException(tx, draft, { projectId, actor: `token:${id.name}`, canApprove: canApprove(id), source: format, now: now() }));
      }
      return out;
    });
    res.status(201).json({ format, created, skipped: imported.skipped });
  });
  return router;
}
