// Integrations (/integrations/{kind}: jfrog, gitlab, jenkins) and notification channels (/channels):
// stored settings with secrets sealed at rest and masked in every response; every change audited.
import { Router, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import type { ConnectionFamily, ConnectionSpec } from '../../plugins/connection.js';
import type { TokenIdentity } from '../../security/tokens.js';
import { audit } from '../../store/audit.js';
import type { Queryable } from '../../store/db.js';
import { getProject } from '../../store/repositories/projects.js';
import { integrationVerifiers } from '../../../integrations/index.js';
import { loadIntegrationSecrets, deleteIntegration, getIntegration } from '../../store/repositories/integrations.js';
import { authorize, identity } from '../middleware/auth.js';
import type { AppDeps } from '../deps.js';
import { checkOwner, createConnection, listConnections, updateConnection } from '../../connections/manage.js';

export const integrationBody = z.strictObject({
  name: z.string().trim().min(1).max(200).regex(/^[\w.\- ]+$/, 'letters, digits, spaces, ".", "_" and "-"'),
  project: z.string().min(1).max(200).optional(),
  enabled: z.boolean().optional(),
  config: z.record(z.string(), z.unknown()),
});

/** What a verification checks access to: a GitLab project, a Jenkins job. */
export const verifyQuery = z.object({ project: z.string().min(1).max(255).optional(), job: z.string().min(1).max(255).optional() });

export const channelBody = integrationBody.extend({ type: z.string().min(1).max(50) });
export const channelPatchBody = z.strictObject({
  name: integrationBody.shape.name.optional(),
  enabled: z.boolean().optional(),
  config: z.record(z.string(), z.unknown()).optional(),
});

export function integrationRoutes(deps: AppDeps): Router {
  const { db, connections } = deps;
  const router = Router();
  const actorOf = (id: TokenIdentity) => `token:${id.name}`;

  function specFor(family: ConnectionFamily, kind: unknown): ConnectionSpec {
    const spec = connections.find((c) => c.family === family && c.kind === kind);
    if (!spec) {
      const known = connections.filter((c) => c.family === family).map((c) => c.kind);
      throw new AppError(family === 'channel' ? 'VALIDATION_FAILED' : 'NOT_FOUND', `Unknown ${family} type "${String(kind)}". Known: ${known.join(', ')}.`);
    }
    return spec;
  }

  async function kindOfChannel(id: string): Promise<ConnectionSpec> {
    if (!z.uuid().safeParse(id).success) throw new AppError('INTEGRATION_NOT_FOUND', 'No such channel.');
    const { rows } = await db.query<{ kind: string }>(`SELECT kind FROM integrations WHERE id = $1`, [id]);
    const spec = connections.find((c) => c.family === 'channel' && c.kind === rows[0]?.kind);
    if (!spec) throw new AppError('INTEGRATION_NOT_FOUND', 'No such channel.');
    return spec;
  }

  async function projectIdOf(id: TokenIdentity, name: string | undefined): Promise<string | null> {
    if (name === undefined) return id.projectId;
    return (await getProject(db, name)).id;
  }

  async function create(res: Response, spec: ConnectionSpec, body: z.infer<typeof integrationBody>): Promise<void> {
    const id = identity(res);
    authorize(id, 'integration.manage');
    const projectId = await projectIdOf(id, body.project);
    res.status(201).json(await createConnection(deps, id, spec, { name: body.name, projectId, enabled: body.enabled, config: body.config }, res.locals.requestId as string));
  }

  async function update(res: Response, spec: ConnectionSpec, integrationId: string, body: z.infer<typeof integrationBody>): Promise<void> {
    const id = identity(res);
    authorize(id, 'integration.manage');
    const projectId = body.project === undefined ? undefined : await projectIdOf(id, body.project);
    res.json(await updateConnection(deps, id, spec, integrationId, { name: body.name, projectId, enabled: body.enabled, config: body.config }, res.locals.requestId as string));
  }

  async function remove(res: Response, spec: ConnectionSpec, integrationId: string): Promise<void> {
    const id = identity(res);
    authorize(id, 'integration.manage');
    await db.transaction(async (tx: Queryable) => {
      checkOwner(id, 'integration.manage', await getIntegration(tx, spec, integrationId));
      const before = await deleteIntegration(tx, spec, integrationId);
      await audit(tx, { actor: actorOf(id), action: `${spec.family}.delete`, targetType: spec.kind, targetId: integrationId, before, requestId: res.locals.requestId as string });
    });
    res.status(204).end();
  }

  async function show(res: Response, spec: ConnectionSpec, integrationId: string): Promise<void> {
    authorize(identity(res), 'integration.read');
    const view = await getIntegration(db, spec, integrationId);
    checkOwner(identity(res), 'integration.read', view);
    res.json(view);
  }

  async function list(res: Response, specs: readonly ConnectionSpec[]): Promise<void> {
    res.json({ items: await listConnections(db, identity(res), specs) });
  }

  router.get('/integrations', async (_req, res) => list(res, connections.filter((c) => c.family === 'integration')));
  // The role is checked before the body is read or the channel looked up: a viewer learns nothing.
  router.post('/integrations/:kind', async (req, res) => {
    authorize(identity(res), 'integration.manage');
    await create(res, specFor('integration', req.params.kind), integrationBody.parse(req.body ?? {}));
  });
  router.get('/integrations/:kind', async (req, res) => list(res, [specFor('integration', req.params.kind)]));
  router.get('/integrations/:kind/:id', async (req, res) => show(res, specFor('integration', req.params.kind), String(req.params.id)));
  router.put('/integrations/:kind/:id', async (req, res) => {
    authorize(identity(res), 'integration.manage');
    await update(res, specFor('integration', req.params.kind), String(req.params.id), integrationBody.parse(req.body ?? {}));
  });
  router.delete('/integrations/:kind/:id', async (req, res) => remove(res, specFor('integration', req.params.kind), String(req.params.id)));

  router.post('/integrations/:kind/:id/verify', async (req, res) => {
    authorize(identity(res), 'integration.manage');
    const spec = specFor('integration', req.params.kind);
    const view = await getIntegration(db, spec, String(req.params.id));
    checkOwner(identity(res), 'integration.manage', view);
    const verifier = integrationVerifiers[spec.kind];
    if (!verifier) throw new AppError('NOT_FOUND', `No verification for ${spec.kind} integrations.`);
    const target = verifyQuery.parse(req.query);
    const result = await verifier(await loadIntegrationSecrets(db, deps.secrets, spec, view.id), deps.outbound, target);
    res.json({ ok: result.checks.every((c) => c.ok), ...result });
  });

  router.get('/channels', async (_req, res) => list(res, connections.filter((c) => c.family === 'channel')));
  router.post('/channels', async (req, res) => {
    authorize(identity(res), 'integration.manage');
    const body = channelBody.parse(req.body ?? {});
    await create(res, specFor('channel', body.type), body);
  });
  router.get('/channels/:id', async (req, res) => {
    authorize(identity(res), 'integration.read');
    await show(res, await kindOfChannel(String(req.params.id)), String(req.params.id));
  });
  router.put('/channels/:id', async (req, res) => {
    authorize(identity(res), 'integration.manage');
    const spec = await kindOfChannel(String(req.params.id));
    const body = channelBody.partial({ type: true }).parse(req.body ?? {});
    if (body.type !== undefined && body.type !== spec.kind) throw new AppError('VALIDATION_FAILED', `A channel's type cannot change (it is ${spec.kind}); create a new channel.`);
    await update(res, spec, String(req.params.id), body);
  });
  router.patch('/channels/:id', async (req, res) => {
    authorize(identity(res), 'integration.manage');
    const spec = await kindOfChannel(String(req.params.id));
    const patch = channelPatchBody.parse(req.body ?? {});
    const current = await getIntegration(db, spec, String(req.params.id));
    // Unnamed settings keep their value; masked secrets in `current.config` keep theirs.
    await update(res, spec, current.id, { name: patch.name ?? current.name, enabled: patch.enabled ?? current.enabled, config: { ...current.config, ...(patch.config ?? {}) } });
  });
  router.delete('/channels/:id', async (req, res) => {
    authorize(identity(res), 'integration.manage');
    await remove(res, await kindOfChannel(String(req.params.id)), String(req.params.id));
  });
  return router;
}
