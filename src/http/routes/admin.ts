// Tokens (create: shown once; list: never the secret; revoke) and the audit log, for admins.
import { Router } from 'express';
import { z } from 'zod';
import { isoTimestamp } from '../../domain/timestamp.js';
import { AppError } from '../../errors.js';
import { audit } from '../../store/audit.js';
import { createToken, ROLES, type TokenIdentity } from '../../security/tokens.js';
import type { Database, Queryable } from '../../store/db.js';
import { getProject } from '../../store/repositories/projects.js';
import { authorize, identity } from '../middleware/auth.js';
import type { AppDeps } from '../deps.js';

export const createTokenBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  role: z.enum(ROLES),
  project: z.string().min(1).optional(),
  expiresAt: isoTimestamp.optional(),
});

export const auditQuery = z.object({
  action: z.string().max(100).optional(),
  targetType: z.string().max(100).optional(),
  targetId: z.string().max(200).optional(),
  actor: z.string().max(200).optional(),
  since: isoTimestamp.optional(),
  limit: z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(1).max(1000)).optional(),
});

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** Creates a token; the value is in the result only (shown once), never stored or audited. */
export async function createApiToken(db: Database, id: TokenIdentity, input: unknown) {
  authorize(id, 'token.manage');
  const body = createTokenBody.parse(input ?? {});
  if (body.expiresAt && new Date(body.expiresAt).getTime() <= Date.now()) throw new AppError('VALIDATION_FAILED', 'expiresAt is in the past.');
  const project = body.project ? await getProject(db, body.project) : undefined;
  const created = await db.transaction(async (tx) => {
    const t = await createToken(tx, { name: body.name, role: body.role, projectId: project?.id ?? null, expiresAt: body.expiresAt ? new Date(body.expiresAt) : null });
    // The audit entry names the token, never its value.
    await audit(tx, { actor: `token:${id.name}`, action: 'token.create', targetType: 'token', targetId: t.id, after: { name: body.name, role: body.role, project: project?.name ?? null, expiresAt: body.expiresAt ?? null } });
    return t;
  });
  return { id: created.id, token: created.token, name: body.name, role: body.role, project: project?.name ?? null, expiresAt: body.expiresAt ?? null };
}

/** Tokens oldest first, by prefix (never the secret); `page` bounds the rows read. */
export async function listApiTokens(db: Queryable, id: TokenIdentity, page?: { limit: number; offset: number }) {
  authorize(id, 'token.manage');
  const { rows } = await db.query<{ id: string; name: string; role: string; token_prefix: string | null; project_id: string | null; created_at: Date; expires_at: Date | null; last_used_at: Date | null; revoked_at: Date | null }>(
    `SELECT id, name, role, token_prefix, project_id, created_at, expires_at, last_used_at, revoked_at FROM api_tokens ORDER BY created_at${page ? ' LIMIT $1 OFFSET $2' : ''}`,
    page ? [page.limit, page.offset] : [],
  );
  return rows.map((r) => ({ id: r.id, name: r.name, prefix: r.token_prefix, role: r.role, projectId: r.project_id, createdAt: iso(r.created_at), expiresAt: iso(r.expires_at), lastUsedAt: iso(r.last_used_at), revokedAt: iso(r.revoked_at) }));
}

/** Revokes a token (audited); NOT_FOUND when unknown or revoked already. */
export async function revokeApiToken(db: Database, id: TokenIdentity, tokenId: string): Promise<void> {
  authorize(id, 'token.manage');
  if (!z.string().uuid().safeParse(tokenId).success) throw new AppError('NOT_FOUND', 'No such token.');
  const revoked = await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string; name: string }>(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id, name`, [tokenId]);
    if (rows[0]) await audit(tx, { actor: `token:${id.name}`, action: 'token.revoke', targetType: 'token', targetId: rows[0].id, before: { name: rows[0].name } });
    return rows[0];
  });
  if (!revoked) throw new AppError('NOT_FOUND', 'No such token, or it is revoked already.');
}

/** The audit log, newest first, filtered; `offset` pages through it (the dashboard). */
export async function queryAudit(db: Queryable, id: TokenIdentity, q: z.output<typeof auditQuery>, offset = 0) {
  authorize(id, 'audit.read');
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (q.action) add('action = ?', q.action);
  if (q.targetType) add('target_type = ?', q.targetType);
  if (q.targetId) add('target_id = ?', q.targetId);
  if (q.actor) add('actor = ?', q.actor);
  if (q.since) add('at >= ?', q.since);
  const { rows } = await db.query<{ id: string | number; at: Date; actor: string; action: string; target_type: string; target_id: string | null; before: unknown; after: unknown }>(
    `SELECT id, at, actor, action, target_type, target_id, before, after FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ${q.limit ?? 100} OFFSET ${Math.max(0, Math.trunc(offset))}`,
    params,
  );
  return rows.map((r) => ({ id: Number(r.id), at: new Date(r.at).toISOString(), actor: r.actor, action: r.action, targetType: r.target_type, targetId: r.target_id, before: r.before, after: r.after }));
}

export function adminRoutes(deps: AppDeps): Router {
  const { db } = deps;
  const router = Router();

  router.post('/tokens', async (req, res) => {
    res.status(201).json(await createApiToken(db, identity(res), req.body));
  });

  router.get('/tokens', async (_req, res) => {
    res.json({ items: await listApiTokens(db, identity(res)) });
  });

  router.delete('/tokens/:id', async (req, res) => {
    await revokeApiToken(db, identity(res), String(req.params.id));
    res.status(204).end();
  });

  router.get('/audit', async (req, res) => {
    const id = identity(res);
    authorize(id, 'audit.read');
    res.json({ items: await queryAudit(db, id, auditQuery.parse(req.query)) });
  });
  return router;
}
