// Exceptions in the store: created (auto-approved or pending), decided, revoked, listed, loaded for assessment.
import { AppError } from '../../errors.js';
import { needsApproval, type ExceptionRequest, type StoredException } from '../../domain/exceptions.js';
import type { Queryable } from '../db.js';
import { audit } from '../audit.js';

interface Row {
  id: string;
  project_id: string | null;
  kind: StoredException['kind'];
  justification: string | null;
  reason: string;
  owner: string;
  scope: StoredException['scope'];
  expires_at: Date | null;
  status: StoredException['status'];
  requested_by: string;
  decided_by: string | null;
  decided_at: Date | null;
  source: string | null;
  created_at: Date;
}

const COLUMNS = 'id, project_id, kind, justification, reason, owner, scope, expires_at, status, requested_by, decided_by, decided_at, source, created_at';

function toStored(r: Row): StoredException {
  const p = presentException(r);
  return { ...p, expiresAt: p.expiresAt ? new Date(p.expiresAt) : null };
}

export function presentException(r: Row) {
  return {
    id: r.id,
    projectId: r.project_id,
    kind: r.kind,
    justification: r.justification,
    reason: r.reason,
    owner: r.owner,
    scope: r.scope,
    expiresAt: r.expires_at ? new Date(r.expires_at).toISOString() : null,
    status: r.status,
    requestedBy: r.requested_by,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at ? new Date(r.decided_at).toISOString() : null,
    source: r.source,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

export type PresentedException = ReturnType<typeof presentException>;

/** Approved and pending exceptions that can apply to a project (its own and organisation-wide). */
export async function loadExceptions(q: Queryable, projectId: string): Promise<StoredException[]> {
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM exceptions WHERE (project_id = $1 OR project_id IS NULL) AND status = 'approved' ORDER BY created_at`,
    [projectId],
  );
  return rows.map(toStored);
}

export async function createException(
  q: Queryable,
  req: Omit<ExceptionRequest, 'project'>,
  options: { projectId: string | null; actor: string; canApprove: boolean; source?: string; now: Date },
): Promise<PresentedException> {
  if (req.expiresAt && new Date(req.expiresAt).getTime() <= options.now.getTime()) {
    throw new AppError('VALIDATION_FAILED', 'expiresAt is in the past.');
  }
  const approved = options.canApprove || !needsApproval(req.scope);
  const { rows } = await q.query<Row>(
    `INSERT INTO exceptions (project_id, kind, justification, reason, owner, scope, expires_at, status, requested_by, decided_by, decided_at, source)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ${COLUMNS}`,
    [
      options.projectId,
      req.kind,
      req.justification ?? null,
      req.reason,
      req.owner,
      JSON.stringify(req.scope),
      req.expiresAt ?? null,
      approved ? 'approved' : 'pending',
      options.actor,
      approved ? options.actor : null,
      approved ? options.now.toISOString() : null,
      options.source ?? null,
    ],
  );
  const created = presentException(rows[0]!);
  await audit(q, { actor: options.actor, action: 'exception.create', targetType: 'exception', targetId: created.id, after: created });
  return created;
}

export async function getException(q: Queryable, id: string): Promise<PresentedException> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM exceptions WHERE id = $1`, [id]);
  if (!rows[0]) throw new AppError('NOT_FOUND', 'No such exception.');
  return presentException(rows[0]);
}

export async function decideException(
  q: Queryable,
  id: string,
  decision: 'approved' | 'rejected' | 'revoked',
  actor: string,
  now: Date,
): Promise<PresentedException> {
  const before = await getException(q, id);
  const allowedFrom = decision === 'revoked' ? ['pending', 'approved'] : ['pending'];
  if (!allowedFrom.includes(before.status)) {
    throw new AppError('CONFLICT', `The exception is ${before.status}; it cannot be ${decision}.`);
  }
  const { rows } = await q.query<Row>(
    `UPDATE exceptions SET status = $2, decided_by = $3, decided_at = $4, updated_at = $4 WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, decision, actor, now.toISOString()],
  );
  const after = presentException(rows[0]!);
  await audit(q, { actor, action: `exception.${decision}`, targetType: 'exception', targetId: id, before, after });
  return after;
}

export async function listExceptions(
  q: Queryable,
  filter: { projectId?: string | undefined; status?: string | undefined; onlyProject?: string | null },
): Promise<PresentedException[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.projectId) {
    params.push(filter.projectId);
    where.push(`(project_id = $${params.length} OR project_id IS NULL)`);
  }
  if (filter.onlyProject) {
    params.push(filter.onlyProject);
    where.push(`(project_id = $${params.length} OR project_id IS NULL)`);
  }
  if (filter.status) {
    params.push(filter.status);
    where.push(`status = $${params.length}`);
  }
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM exceptions ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at DESC LIMIT 1000`, params);
  return rows.map(presentException);
}
