// Creating, changing and listing stored connections (integrations and notification channels) as an
// identity may: one place for the ownership rule and the audit trail, used by the API routes and the
// dashboard alike.
import { AppError } from '../errors.js';
import { authorize } from '../http/middleware/auth.js';
import type { ConnectionSpec } from '../plugins/connection.js';
import type { SecretBox } from '../security/secrets.js';
import type { TokenIdentity } from '../security/tokens.js';
import { audit } from '../store/audit.js';
import type { Database } from '../store/db.js';
import { createIntegration, getIntegration, listIntegrations, updateIntegration, type IntegrationView } from '../store/repositories/integrations.js';

interface ManageDeps {
  db: Database;
  secrets: SecretBox | undefined;
}

const actorOf = (id: TokenIdentity) => `token:${id.name}`;

/** A project-scoped token manages only its project's connections, never the organisation's. */
export function checkOwner(id: TokenIdentity, action: 'integration.read' | 'integration.manage', view: { projectId: string | null }): void {
  authorize(id, action, view.projectId ?? undefined);
  if (id.projectId && view.projectId !== id.projectId) throw new AppError('FORBIDDEN', 'This token is scoped to a project; it cannot use organisation-wide integrations or channels.');
}

export async function listConnections(db: Database, id: TokenIdentity, specs: readonly ConnectionSpec[]): Promise<IntegrationView[]> {
  authorize(id, 'integration.read');
  return (await listIntegrations(db, specs, id.projectId)).filter((v) => !id.projectId || v.projectId === id.projectId);
}

export async function createConnection(
  deps: ManageDeps,
  id: TokenIdentity,
  spec: ConnectionSpec,
  input: { name: string; projectId: string | null; enabled?: boolean | undefined; config: Record<string, unknown> },
  requestId?: string,
): Promise<IntegrationView> {
  authorize(id, 'integration.manage');
  checkOwner(id, 'integration.manage', { projectId: input.projectId });
  return deps.db.transaction(async (tx) => {
    const view = await createIntegration(tx, deps.secrets, spec, input, actorOf(id));
    await audit(tx, { actor: actorOf(id), action: `${spec.family}.create`, targetType: spec.kind, targetId: view.id, after: view, requestId });
    return view;
  });
}

/** Replaces a connection's settings; `projectId` undefined keeps its project. */
export async function updateConnection(
  deps: ManageDeps,
  id: TokenIdentity,
  spec: ConnectionSpec,
  connectionId: string,
  input: { name: string; projectId?: string | null | undefined; enabled?: boolean | undefined; config: Record<string, unknown> },
  requestId?: string,
): Promise<IntegrationView> {
  authorize(id, 'integration.manage');
  return deps.db.transaction(async (tx) => {
    const current = await getIntegration(tx, spec, connectionId);
    checkOwner(id, 'integration.manage', current);
    const target = input.projectId === undefined ? current.projectId : input.projectId;
    checkOwner(id, 'integration.manage', { projectId: target });
    const change = await updateIntegration(tx, deps.secrets, spec, connectionId, { name: input.name, projectId: target, enabled: input.enabled, config: input.config });
    await audit(tx, { actor: actorOf(id), action: `${spec.family}.update`, targetType: spec.kind, targetId: connectionId, before: change.before, after: change.after, requestId });
    return change.after;
  });
}
