// Notification channels from the dashboard: the repository functions the /api/v1/channels routes
// use (createIntegration, updateIntegration, audited the same way), with the same ownership rule.
import { AppError } from '../../../errors.js';
import type { ConnectionSpec } from '../../../plugins/connection.js';
import type { TokenIdentity } from '../../../security/tokens.js';
import { audit } from '../../../store/audit.js';
import { createIntegration, getIntegration, listIntegrations, updateIntegration, type IntegrationView } from '../../../store/repositories/integrations.js';
import { authorize } from '../../../http/middleware/auth.js';
import type { AppDeps } from '../../../http/deps.js';

type ChannelDeps = Pick<AppDeps, 'db' | 'connections' | 'secrets'>;

export const channelSpecs = (deps: Pick<AppDeps, 'connections'>) => deps.connections.filter((c) => c.family === 'channel');

/** A project-scoped identity manages only its project's channels, never the organisation's. */
function checkOwner(id: TokenIdentity, action: 'integration.read' | 'integration.manage', view: { projectId: string | null }): void {
  authorize(id, action, view.projectId ?? undefined);
  if (id.projectId && view.projectId !== id.projectId) throw new AppError('FORBIDDEN', 'This token is scoped to a project; it cannot use organisation-wide channels.');
}

export function channelSpec(deps: Pick<AppDeps, 'connections'>, kind: unknown): ConnectionSpec {
  const spec = channelSpecs(deps).find((c) => c.kind === kind);
  if (!spec) throw new AppError('VALIDATION_FAILED', `Unknown channel type "${String(kind)}". Known: ${channelSpecs(deps).map((c) => c.kind).join(', ')}.`);
  return spec;
}

export async function listChannels(deps: ChannelDeps, id: TokenIdentity): Promise<IntegrationView[]> {
  authorize(id, 'integration.read');
  return (await listIntegrations(deps.db, channelSpecs(deps), id.projectId)).filter((v) => !id.projectId || v.projectId === id.projectId);
}

/** One channel and its spec, as the identity may read it. */
export async function loadChannel(deps: ChannelDeps, id: TokenIdentity, channelId: string): Promise<{ spec: ConnectionSpec; view: IntegrationView }> {
  authorize(id, 'integration.read');
  const { rows } = /^[0-9a-f-]{36}$/i.test(channelId) ? await deps.db.query<{ kind: string }>(`SELECT kind FROM integrations WHERE id = $1`, [channelId]) : { rows: [] };
  const spec = channelSpecs(deps).find((c) => c.kind === rows[0]?.kind);
  if (!spec) throw new AppError('INTEGRATION_NOT_FOUND', 'No such channel.');
  const view = await getIntegration(deps.db, spec, channelId);
  checkOwner(id, 'integration.read', view);
  return { spec, view };
}

export async function createChannel(deps: ChannelDeps, id: TokenIdentity, spec: ConnectionSpec, input: { name: string; enabled: boolean; config: Record<string, unknown> }, requestId?: string): Promise<IntegrationView> {
  checkOwner(id, 'integration.manage', { projectId: id.projectId });
  return deps.db.transaction(async (tx) => {
    const view = await createIntegration(tx, deps.secrets, spec, { name: input.name, projectId: id.projectId, enabled: input.enabled, config: input.config }, `token:${id.name}`);
    await audit(tx, { actor: `token:${id.name}`, action: `${spec.family}.create`, targetType: spec.kind, targetId: view.id, after: view, requestId });
    return view;
  });
}

export async function updateChannel(deps: ChannelDeps, id: TokenIdentity, spec: ConnectionSpec, channelId: string, input: { name: string; enabled: boolean; config: Record<string, unknown> }, requestId?: string): Promise<IntegrationView> {
  authorize(id, 'integration.manage');
  return deps.db.transaction(async (tx) => {
    const current = await getIntegration(tx, spec, channelId);
    checkOwner(id, 'integration.manage', current);
    const change = await updateIntegration(tx, deps.secrets, spec, channelId, { name: input.name, projectId: current.projectId, enabled: input.enabled, config: input.config });
    await audit(tx, { actor: `token:${id.name}`, action: `${spec.family}.update`, targetType: spec.kind, targetId: channelId, before: change.before, after: change.after, requestId });
    return change.after;
  });
}
