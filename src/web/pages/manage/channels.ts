// Notification channels from the dashboard: the same functions as the /api/v1/channels routes
// (src/connections/manage.ts: ownership rule, sealed secrets, audit).
import { AppError } from '../../../errors.js';
import type { ConnectionSpec } from '../../../plugins/connection.js';
import type { TokenIdentity } from '../../../security/tokens.js';
import { getIntegration, type IntegrationView } from '../../../store/repositories/integrations.js';
import { checkOwner, createConnection, listConnections, updateConnection } from '../../../connections/manage.js';
import { authorize } from '../../../http/middleware/auth.js';
import type { AppDeps } from '../../../http/deps.js';

type ChannelDeps = Pick<AppDeps, 'db' | 'connections' | 'secrets'>;

export const channelSpecs = (deps: Pick<AppDeps, 'connections'>) => deps.connections.filter((c) => c.family === 'channel');

export function channelSpec(deps: Pick<AppDeps, 'connections'>, kind: unknown): ConnectionSpec {
  const spec = channelSpecs(deps).find((c) => c.kind === kind);
  if (!spec) throw new AppError('VALIDATION_FAILED', `Unknown channel type "${String(kind)}". Known: ${channelSpecs(deps).map((c) => c.kind).join(', ')}.`);
  return spec;
}

export async function listChannels(deps: ChannelDeps, id: TokenIdentity): Promise<IntegrationView[]> {
  return listConnections(deps.db, id, channelSpecs(deps));
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
  return createConnection(deps, id, spec, { ...input, projectId: id.projectId }, requestId);
}

export async function updateChannel(deps: ChannelDeps, id: TokenIdentity, spec: ConnectionSpec, channelId: string, input: { name: string; enabled: boolean; config: Record<string, unknown> }, requestId?: string): Promise<IntegrationView> {
  return updateConnection(deps, id, spec, channelId, input, requestId);
}
