// Triage: request an exception for one finding or a selection (kind, reason, scope, expiry), approve
// or reject as a security user, and see what is pending and what expires soon. Every change goes
// through requestException / decideExceptionAs — the code of the exceptions API — so it is
// authorised and audited the same way.
import express, { Router, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../../errors.js';
import { EXCEPTION_KINDS, VEX_JUSTIFICATIONS, exceptionRequestSchema, type ExceptionScope } from '../../../domain/exceptions.js';
import type { AppDeps } from '../../../http/deps.js';
import { authorize } from '../../../http/middleware/auth.js';
import { EXCEPTION_DECISIONS, decideExceptionAs, requestException, type ExceptionVerb } from '../../../http/routes/exceptions.js';
import { renderHtml } from '../../../reports/engine.js';
import { listExceptions, type PresentedException } from '../../../store/repositories/exceptions.js';
import { getFinding, type FindingRecord, type StoredFinding } from '../../../store/repositories/findings.js';
import { listProjects } from '../../../store/repositories/projects.js';
import { assertForm, can, pageSession, renderPage } from '../../page.js';
import { clock, formList, projectHref, readableProject, viewer, when } from './common.js';

/** Findings one request may cover: a page of the explorer. */
export const MAX_SELECTION = 100;
/** "Expiring soon": approved exceptions that lapse within this many days. */
export const EXPIRING_DAYS = 30;
export const EXCEPTIONS_PER_PAGE = 25;

const SCOPES = ['finding', 'vulnerability', 'package', 'path'] as const;
type ScopeChoice = (typeof SCOPES)[number];

const KIND_LABELS: Record<(typeof EXCEPTION_KINDS)[number], string> = {
  false_positive: 'False positive',
  accepted_risk: 'Accepted risk (needs an expiry)',
  not_affected: 'Not affected (needs a VEX justification)',
};

/** The scope a choice means for one finding; undefined when the finding has nothing to scope by. */
function scopeFor(choice: ScopeChoice, f: StoredFinding): ExceptionScope | undefined {
  switch (choice) {
    case 'finding':
      return { type: 'finding', fingerprint: f.fingerprint };
    case 'vulnerability':
      return { type: 'vulnerability', id: f.vulnerabilityIds[0] ?? f.ruleId };
    case 'package':
      return f.package ? { type: 'package', name: f.package.name, ...(f.package.ecosystem ? { ecosystem: f.package.ecosystem } : {}), ...(f.package.version ? { versions: f.package.version } : {}) } : undefined;
    case 'path':
      return f.location?.path ? { type: 'path', glob: f.location.path, ruleId: f.ruleId } : undefined;
  }
}

export function scopeText(scope: ExceptionScope): string {
  switch (scope.type) {
    case 'finding':
      return `finding ${scope.fingerprint.slice(0, 12)}…`;
    case 'vulnerability':
      return `vulnerability ${scope.id}`;
    case 'package':
      return `package ${scope.name}${scope.versions ? ` ${scope.versions}` : ' (every version)'}${scope.vulnerabilityId ? `, ${scope.vulnerabilityId}` : ''}`;
    case 'path':
      return `path ${scope.glob}${scope.ruleId ? ` (${scope.ruleId})` : ''}`;
    case 'image':
      return `image ${scope.repository}${scope.vulnerabilityId ? `, ${scope.vulnerabilityId}` : ''}`;
    case 'project':
      return 'the whole project';
  }
}

const distinct = (scopes: (ExceptionScope | undefined)[]) => [...new Map(scopes.filter((s): s is ExceptionScope => !!s).map((s) => [JSON.stringify(s), s])).values()];

/** The request form (a fragment shared by the finding page and the selection page). */
export function requestFormHtml(res: Response, projectName: string, findings: readonly StoredFinding[]): string {
  const session = pageSession(res);
  const scopes = SCOPES.map((choice) => {
    const list = distinct(findings.map((f) => scopeFor(choice, f)));
    const needsApproval = choice !== 'finding';
    return {
      value: choice,
      id: `scope-${choice}`,
      label: list.length ? list.slice(0, 3).map(scopeText).join('; ') + (list.length > 3 ? ` and ${list.length - 3} more` : '') : `no ${choice} to scope by`,
      disabled: list.length === 0,
      checked: choice === 'finding',
      note: needsApproval ? 'needs a security user’s approval' : 'takes effect at once',
    };
  });
  return renderHtml('web/browse/request-form', {
    csrfToken: session.csrfToken,
    allowed: can(session.identity.role, 'exception.request'),
    project: projectName,
    findings: findings.map((f) => ({ id: f.id })),
    count: findings.length,
    scopes,
    kinds: EXCEPTION_KINDS.map((k) => ({ value: k, label: KIND_LABELS[k] })),
    justifications: VEX_JUSTIFICATIONS,
    owner: session.identity.name,
  });
}

const requestBody = z.object({
  project: z.string().min(1).max(200),
  finding: z.unknown().transform(formList).pipe(z.array(z.string().uuid('a finding id')).min(1, 'select at least one finding').max(MAX_SELECTION)),
  kind: z.enum(EXCEPTION_KINDS),
  justification: z.union([z.literal(''), z.enum(VEX_JUSTIFICATIONS)]).optional().transform((v) => v || undefined),
  reason: z.string().max(4000),
  owner: z.string().max(200),
  scope: z.enum(SCOPES),
  // A date input: the exception ends when that day ends (UTC).
  expires: z.union([z.literal(''), z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date (YYYY-MM-DD)')]).optional().transform((v) => (v ? `${v}T23:59:59Z` : undefined)),
});

/** The selected findings, each checked to belong to the project the form names. */
async function selectedFindings(deps: AppDeps, projectId: string, ids: readonly string[]): Promise<FindingRecord[]> {
  const found = await Promise.all([...new Set(ids)].slice(0, MAX_SELECTION).map((i) => getFinding(deps.db, i)));
  const findings = found.filter((f): f is FindingRecord => !!f && f.projectId === projectId);
  if (findings.length === 0) throw new AppError('NOT_FOUND', 'None of the selected findings belongs to this project; select them again in the explorer.');
  return findings;
}

interface ExceptionView extends PresentedException {
  projectName: string;
}

function exceptionView(e: ExceptionView, identityName: string, mayApprove: boolean) {
  return {
    id: e.id,
    project: e.projectName,
    projectHref: e.projectId ? projectHref(e.projectName) : null,
    kind: e.kind.replace('_', ' '),
    justification: e.justification,
    scope: scopeText(e.scope),
    reason: e.reason,
    owner: e.owner,
    requestedBy: e.requestedBy.replace(/^token:/, ''),
    created: when(e.createdAt),
    expires: e.expiresAt ? when(e.expiresAt) : 'never',
    decidedBy: e.decidedBy?.replace(/^token:/, '') ?? null,
    mayDecide: mayApprove,
    mayWithdraw: !mayApprove && e.requestedBy === `token:${identityName}`,
  };
}

const triageQuery = z.object({
  page: z.coerce.number().int().min(1).max(1000).catch(1),
  requested: z.coerce.number().int().min(0).max(MAX_SELECTION).optional().catch(undefined),
  pending: z.coerce.number().int().min(0).max(MAX_SELECTION).optional().catch(undefined),
  done: z.enum(['approve', 'reject', 'revoke']).optional().catch(undefined),
});

const DONE_TEXT: Record<ExceptionVerb, string> = { approve: 'Exception approved.', reject: 'Exception rejected.', revoke: 'Exception revoked.' };

export function triagePage(deps: AppDeps): Router {
  const { db } = deps;
  const now = clock(deps);
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: MAX_SELECTION + 20 });

  router.get('/triage/request', async (req, res) => {
    const id = viewer(res);
    const project = await readableProject(db, id, String(req.query.project ?? ''));
    const findings = await selectedFindings(deps, project.id, formList(req.query.finding));
    renderPage(
      res,
      'browse/request',
      { title: `Request an exception · ${project.name}`, nav: 'triage', crumbs: [{ href: '/triage', label: 'Triage' }] },
      {
        findings: findings.map((f) => ({ href: `/findings/${f.id}`, label: f.vulnerabilityIds[0] ?? f.ruleId, severity: f.severity, title: f.title })),
        form: requestFormHtml(res, project.name, findings),
      },
    );
  });

  router.post('/triage/request', form, async (req, res) => {
    assertForm(req, res);
    const id = viewer(res);
    authorize(id, 'exception.request');
    const body = requestBody.parse(req.body ?? {});
    const project = await readableProject(db, id, body.project);
    const findings = await selectedFindings(deps, project.id, body.finding);
    const scopes = distinct(findings.map((f) => scopeFor(body.scope, f)));
    if (scopes.length === 0) throw new AppError('VALIDATION_FAILED', `The selected findings have no ${body.scope} to scope an exception by; choose another scope.`);
    // Validate every request before creating any, so a bad form creates nothing.
    const requests = scopes.map((scope) =>
      exceptionRequestSchema.parse({ kind: body.kind, justification: body.justification, reason: body.reason, owner: body.owner, expiresAt: body.expires, scope, project: project.id }),
    );
    let pending = 0;
    for (const request of requests) {
      const created = await requestException(db, id, request, now());
      if (created.status === 'pending') pending += 1;
    }
    res.redirect(303, `/triage?requested=${requests.length}&pending=${pending}`);
  });

  router.post('/triage/:id/:verb', form, async (req, res) => {
    assertForm(req, res);
    const verb = req.params.verb;
    if (!(verb in EXCEPTION_DECISIONS)) throw new AppError('NOT_FOUND', 'No such action.');
    await decideExceptionAs(db, viewer(res), req.params.id, verb as ExceptionVerb, now());
    res.redirect(303, `/triage?done=${verb}`);
  });

  router.get('/triage', async (req, res) => {
    const id = viewer(res);
    authorize(id, 'read');
    const query = triageQuery.parse(req.query);
    const mayApprove = can(id.role, 'exception.approve');
    const names = new Map((await listProjects(db, id.projectId)).map((p) => [p.id, p.name]));
    const named = (list: PresentedException[]): ExceptionView[] =>
      list.filter((e) => !e.projectId || names.has(e.projectId)).map((e) => ({ ...e, projectName: e.projectId ? names.get(e.projectId)! : 'all projects' }));
    const at = now();
    const horizon = at.getTime() + EXPIRING_DAYS * 86_400_000;
    // The repository lists the newest 1,000 per status; these pages show them a page at a time.
    const pendingAll = named(await listExceptions(db, { status: 'pending', onlyProject: id.projectId }));
    const expiring = named(await listExceptions(db, { status: 'approved', onlyProject: id.projectId }))
      .filter((e) => e.expiresAt && new Date(e.expiresAt).getTime() > at.getTime() && new Date(e.expiresAt).getTime() <= horizon)
      .sort((a, b) => Date.parse(a.expiresAt!) - Date.parse(b.expiresAt!));
    const start = (query.page - 1) * EXCEPTIONS_PER_PAGE;
    const pending = pendingAll.slice(start, start + EXCEPTIONS_PER_PAGE);
    const pages = Math.max(1, Math.ceil(pendingAll.length / EXCEPTIONS_PER_PAGE));
    let flash: string | null = null;
    if (query.requested !== undefined) flash = `Requested ${query.requested} exception${query.requested === 1 ? '' : 's'}${query.pending ? `; ${query.pending} await a security user’s approval` : '; in force now'}.`;
    if (query.done) flash = DONE_TEXT[query.done];
    renderPage(res, 'browse/triage', { title: 'Triage', nav: 'triage' }, {
      flash,
      mayApprove,
      pending: pending.map((e) => exceptionView(e, id.name, mayApprove)),
      pendingTotal: pendingAll.length,
      expiring: expiring.slice(0, EXCEPTIONS_PER_PAGE).map((e) => exceptionView(e, id.name, mayApprove)),
      expiringTotal: expiring.length,
      expiringDays: EXPIRING_DAYS,
      pager: { page: query.page, pages, prev: query.page > 1 ? `/triage?page=${query.page - 1}` : null, next: query.page < pages ? `/triage?page=${query.page + 1}` : null },
    });
  });
  return router;
}

