// Who may do what: one table, used by every route through authorize(), and by the RBAC matrix test
// (test/e2e/rbac.test.ts) together with API_ROUTES below, which must list every API route.
import type { Role } from '../security/tokens.js';

export const PERMISSIONS = {
  read: ['admin', 'security', 'maintainer', 'ci', 'viewer'],
  'project.create': ['admin', 'maintainer'],
  'submission.create': ['admin', 'maintainer', 'ci', 'security'],
  'policy.write': ['admin', 'security'],
  'scanconfig.write': ['admin', 'security', 'maintainer'],
  'exception.request': ['admin', 'security', 'maintainer', 'ci'],
  'exception.approve': ['admin', 'security'],
  'integration.read': ['admin', 'security', 'maintainer'],
  'integration.manage': ['admin', 'security'],
  'alert.manage': ['admin', 'security', 'maintainer'],
  'alert.ack': ['admin', 'security', 'maintainer'],
  'data.update': ['admin', 'security'],
  'token.manage': ['admin'],
  'audit.read': ['admin', 'security'],
} as const satisfies Record<string, readonly Role[]>;

export type Action = keyof typeof PERMISSIONS;

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path under /api/v1, as registered. */
  path: string;
  action: Action;
  /** The route belongs to a project: a token scoped to another project is refused. */
  projectScoped?: boolean;
}

export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'POST', path: '/projects', action: 'project.create' },
  { method: 'GET', path: '/projects', action: 'read' },
  { method: 'GET', path: '/projects/:project', action: 'read', projectScoped: true },
  { method: 'PATCH', path: '/projects/:project', action: 'project.create', projectScoped: true },
  { method: 'POST', path: '/projects/:project/submissions', action: 'submission.create', projectScoped: true },
  { method: 'GET', path: '/submissions/:id', action: 'read', projectScoped: true },
  { method: 'GET', path: '/submissions/:id/verdict', action: 'read', projectScoped: true },
  { method: 'GET', path: '/projects/:project/findings', action: 'read', projectScoped: true },
  { method: 'PUT', path: '/projects/:project/policy', action: 'policy.write', projectScoped: true },
  { method: 'PUT', path: '/policy', action: 'policy.write' },
  { method: 'GET', path: '/projects/:project/policy', action: 'read', projectScoped: true },
  { method: 'GET', path: '/projects/:project/policy/history', action: 'read', projectScoped: true },
  { method: 'GET', path: '/policy/history', action: 'read' },
  { method: 'POST', path: '/projects/:project/policy/dry-run', action: 'read', projectScoped: true },
  { method: 'POST', path: '/exceptions', action: 'exception.request' },
  { method: 'GET', path: '/exceptions', action: 'read' },
  { method: 'GET', path: '/exceptions/:id', action: 'read' },
  { method: 'POST', path: '/exceptions/:id/approve', action: 'exception.approve' },
  { method: 'POST', path: '/exceptions/:id/reject', action: 'exception.approve' },
  { method: 'POST', path: '/exceptions/:id/revoke', action: 'exception.approve' },
  { method: 'POST', path: '/exceptions/import', action: 'exception.request' },
  { method: 'PUT', path: '/projects/:project/scan-config', action: 'scanconfig.write', projectScoped: true },
  { method: 'PUT', path: '/scan-config', action: 'policy.write' },
  { method: 'GET', path: '/projects/:project/scan-config', action: 'read', projectScoped: true },
  { method: 'POST', path: '/tokens', action: 'token.manage' },
  { method: 'GET', path: '/tokens', action: 'token.manage' },
  { method: 'DELETE', path: '/tokens/:id', action: 'token.manage' },
  { method: 'GET', path: '/audit', action: 'audit.read' },
  { method: 'GET', path: '/scanners', action: 'read' },
  { method: 'GET', path: '/submissions/:id/report', action: 'read', projectScoped: true },
  { method: 'GET', path: '/projects/:project/report', action: 'read', projectScoped: true },
  { method: 'GET', path: '/integrations', action: 'integration.read' },
  { method: 'POST', path: '/integrations/:kind', action: 'integration.manage' },
  { method: 'GET', path: '/integrations/:kind', action: 'integration.read' },
  { method: 'GET', path: '/integrations/:kind/:id', action: 'integration.read' },
  { method: 'PUT', path: '/integrations/:kind/:id', action: 'integration.manage' },
  { method: 'DELETE', path: '/integrations/:kind/:id', action: 'integration.manage' },
  { method: 'POST', path: '/integrations/:kind/:id/verify', action: 'integration.manage' },
  { method: 'GET', path: '/channels', action: 'integration.read' },
  { method: 'POST', path: '/channels', action: 'integration.manage' },
  { method: 'GET', path: '/channels/:id', action: 'integration.read' },
  { method: 'PUT', path: '/channels/:id', action: 'integration.manage' },
  { method: 'DELETE', path: '/channels/:id', action: 'integration.manage' },
  { method: 'PATCH', path: '/channels/:id', action: 'integration.manage' },
  { method: 'POST', path: '/channels/:id/test', action: 'integration.manage' },
  { method: 'POST', path: '/alert-rules', action: 'alert.manage' },
  { method: 'GET', path: '/alert-rules', action: 'read' },
  { method: 'GET', path: '/alert-rules/:id', action: 'read' },
  { method: 'PUT', path: '/alert-rules/:id', action: 'alert.manage' },
  { method: 'DELETE', path: '/alert-rules/:id', action: 'alert.manage' },
  { method: 'GET', path: '/notifications', action: 'read' },
  { method: 'POST', path: '/notifications/:id/ack', action: 'alert.ack' },
  { method: 'POST', path: '/data/update', action: 'data.update' },
  { method: 'POST', path: '/policy/validate', action: 'read' },
  { method: 'POST', path: '/projects/:project/scans', action: 'submission.create', projectScoped: true },
  { method: 'GET', path: '/scans/:id', action: 'read', projectScoped: true },
  { method: 'GET', path: '/data/status', action: 'read' },
  { method: 'GET', path: '/data/sources', action: 'read' },
];
