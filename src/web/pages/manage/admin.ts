// /admin (admins and security): API tokens (a new token is shown once, on the page that created it;
// the list shows prefixes only; revoke), the audit log (filtered, paginated) at /admin/audit, and
// the integrations (JFrog, GitLab, Jenkins, …) with a "Verify" button per integration.
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../../errors.js';
import { auditQuery, createApiToken, listApiTokens, queryAudit, revokeApiToken } from '../../../http/routes/admin.js';
import { verifyQuery } from '../../../http/routes/integrations.js';
import { integrationVerifiers } from '../../../../integrations/index.js';
import { authorize } from '../../../http/middleware/auth.js';
import type { AppDeps } from '../../../http/deps.js';
import { ROLES } from '../../../security/tokens.js';
import { getIntegration, listIntegrations, loadIntegrationSecrets } from '../../../store/repositories/integrations.js';
import { assertForm, can, renderPage } from '../../page.js';
import { settingsSummary } from './connection-form.js';
import { field, fieldErrors, identityOf, pageOf, pager, smallForm } from './shared.js';

const TOKENS_PAGE = 25;
const AUDIT_PAGE = 30;
const AUDIT_FILTERS = ['action', 'actor', 'targetType', 'targetId'] as const;

type Created = Awaited<ReturnType<typeof createApiToken>>;
type Verified = { integrationId: string; ok: boolean; checks: { name: string; ok: boolean; message?: string; code?: string }[] };

export function adminPages(deps: AppDeps): Router {
  const { db, connections } = deps;
  const router = Router();
  const integrationSpecs = connections.filter((c) => c.family === 'integration');

  async function show(req: Request, res: Response, extra: { created?: Created; errors?: Record<string, string>; verified?: Verified; status?: number } = {}) {
    const id = identityOf(res);
    authorize(id, 'audit.read');
    const tokenPage = pageOf(req, TOKENS_PAGE);
    const tokens = can(id.role, 'token.manage') ? await listApiTokens(db, id, { limit: TOKENS_PAGE + 1, offset: tokenPage.offset }) : [];
    const integrations = can(id.role, 'integration.read') ? (await listIntegrations(db, integrationSpecs, id.projectId)).filter((v) => !id.projectId || v.projectId === id.projectId) : [];
    renderPage(res, 'manage/admin', { title: 'Admin', nav: 'admin', status: extra.status }, {
      section: 'tokens',
      created: extra.created ?? null,
      errors: extra.errors ?? {},
      hasErrors: Object.keys(extra.errors ?? {}).length > 0,
      roles: ROLES.map((r) => ({ value: r, selected: r === (field(req.body, 'role') ?? 'viewer') })),
      form: { name: field(req.body, 'name') ?? '', project: field(req.body, 'project') ?? '', expiresAt: field(req.body, 'expiresAt') ?? '' },
      tokens: tokens.slice(0, TOKENS_PAGE),
      tokensPager: pager(req, tokenPage.page, tokens.length > TOKENS_PAGE),
      integrations: integrations.map((v) => ({
        ...v,
        settings: settingsSummary(v.config),
        verifiable: Boolean(integrationVerifiers[v.kind]),
        target: v.kind === 'gitlab' ? 'project' : v.kind === 'jenkins' ? 'job' : null,
        verified: extra.verified?.integrationId === v.id ? extra.verified : null,
      })),
    });
  }

  router.get('/admin', (req, res) => show(req, res));

  router.post('/admin/tokens', smallForm, async (req, res) => {
    const id = identityOf(res);
    assertForm(req, res);
    authorize(id, 'token.manage');
    const expires = field(req.body, 'expiresAt');
    const input = { name: field(req.body, 'name') ?? '', role: field(req.body, 'role'), project: field(req.body, 'project'), expiresAt: expires ? new Date(expires).toISOString() : undefined };
    try {
      // Rendered, not redirected: the token exists only in this response and is never shown again.
      const created = await createApiToken(db, id, input);
      res.setHeader('Cache-Control', 'no-store');
      await show(req, res, { created, status: 201 });
    } catch (error) {
      const errors = error instanceof z.ZodError ? fieldErrors(error, {}, ['name', 'role', 'project', 'expiresAt']) : error instanceof AppError && error.status < 500 ? { form: error.message } : undefined;
      if (!errors) throw error;
      await show(req, res, { errors, status: 400 });
    }
  });

  router.post('/admin/tokens/:id/revoke', smallForm, async (req, res) => {
    const id = identityOf(res);
    assertForm(req, res);
    await revokeApiToken(db, id, String(req.params.id));
    res.redirect(303, '/admin');
  });

  // Without JavaScript; manage.js calls POST /api/v1/integrations/:kind/:id/verify and shows the checks in place.
  router.post('/admin/integrations/:kind/:id/verify', smallForm, async (req, res) => {
    const id = identityOf(res);
    assertForm(req, res);
    authorize(id, 'integration.manage');
    const spec = integrationSpecs.find((s) => s.kind === req.params.kind);
    const verifier = spec && integrationVerifiers[spec.kind];
    if (!spec || !verifier) throw new AppError('NOT_FOUND', `No verification for ${String(req.params.kind)} integrations.`);
    const view = await getIntegration(db, spec, String(req.params.id));
    authorize(id, 'integration.manage', view.projectId ?? undefined);
    if (id.projectId && view.projectId !== id.projectId) throw new AppError('FORBIDDEN', 'This token is scoped to a project; it cannot use organisation-wide integrations.');
    const target = verifyQuery.parse({ project: field(req.body, 'project'), job: field(req.body, 'job') });
    const result = await verifier(await loadIntegrationSecrets(db, deps.secrets, spec, view.id), deps.outbound, target);
    await show(req, res, { verified: { integrationId: view.id, ok: result.checks.every((c) => c.ok), checks: result.checks as Verified['checks'] } });
  });

  router.get('/admin/audit', async (req, res) => {
    const id = identityOf(res);
    authorize(id, 'audit.read');
    const { page, limit, offset } = pageOf(req, AUDIT_PAGE);
    const filters = Object.fromEntries(AUDIT_FILTERS.map((k) => [k, typeof req.query[k] === 'string' && req.query[k] !== '' ? (req.query[k] as string) : undefined]));
    const parsed = auditQuery.safeParse({ ...filters, limit: String(limit + 1) });
    const rows = parsed.success ? await queryAudit(db, id, parsed.data, offset) : [];
    renderPage(res, 'manage/audit', { title: 'Audit log', nav: 'admin', crumbs: [{ href: '/admin', label: 'Admin' }] }, {
      filters: Object.fromEntries(AUDIT_FILTERS.map((k) => [k, filters[k] ?? ''])),
      error: parsed.success ? null : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      entries: rows.slice(0, limit).map((r) => ({ ...r, change: JSON.stringify({ before: r.before ?? undefined, after: r.after ?? undefined }) })),
      pager: pager(req, page, rows.length > limit),
    });
  });
  return router;
}
