// /policies (the organisation policy) and /policies/<project>: a YAML editor validated as the
// person types (manage.js → POST /api/v1/policy/validate), a dry run over recent submissions before
// saving, save, and the history with diffs. Every action goes through the API route's functions.
import { Router, type Request, type Response } from 'express';
import { AppError } from '../../../errors.js';
import { builtInPolicy, effectivePolicy } from '../../../assess/policies.js';
import { parsePolicy, PolicyError, type PolicyProblem } from '../../../domain/policy/parse.js';
import { dryRunPolicy, dryRunQuery, policyProblems, policyVersionsWithDiffs, writePolicy } from '../../../http/routes/policies.js';
import { authorize } from '../../../http/middleware/auth.js';
import { getProject, listProjects, type Project } from '../../../store/repositories/projects.js';
import { policyHistory } from '../../../store/repositories/policies.js';
import type { AppDeps } from '../../../http/deps.js';
import { assertForm, renderPage } from '../../page.js';
import { identityOf, pageOf, pager, policyForm } from './shared.js';

const HISTORY_PAGE = 5;
/** The organisation policy's dry run covers at most this many projects (each its last submissions). */
export const ORG_DRY_RUN_PROJECTS = 20;
const PROJECT_LINKS = 100;

/** The posted YAML as typed: not trimmed, but with the CRLF line ends browsers submit textareas with. */
function postedPolicy(body: unknown): string {
  const raw = (body as Record<string, unknown> | undefined)?.policy;
  return typeof raw === 'string' ? raw.replace(/\r\n?/g, '\n') : '';
}

type DryRunRow = Awaited<ReturnType<typeof dryRunPolicy>>[number] & { project: string };

export function policyPages(deps: AppDeps): Router {
  const { db } = deps;
  const router = Router();
  const now = () => deps.now?.() ?? new Date();

  /** The project a /policies/<name> URL names (undefined: the organisation), as the identity may see it. */
  async function scopeOf(req: Request, res: Response): Promise<Project | undefined> {
    const id = identityOf(res);
    const project = req.params.scope === undefined ? undefined : await getProject(db, String(req.params.scope));
    authorize(id, 'read', project?.id);
    return project;
  }

  /** Projects an organisation-policy dry run is meaningful for: those without a policy of their own. */
  async function orgDryRunTargets(res: Response): Promise<Project[]> {
    const targets: Project[] = [];
    for (const p of await listProjects(db, identityOf(res).projectId)) {
      if ((await policyHistory(db, p.id, { limit: 1, offset: 0 })).length === 0) targets.push(p);
      if (targets.length >= ORG_DRY_RUN_PROJECTS) break;
    }
    return targets;
  }

  async function show(req: Request, res: Response, extra: { source?: string; problems?: PolicyProblem[]; dryRun?: DryRunRow[]; status?: number } = {}) {
    const id = identityOf(res);
    const project = await scopeOf(req, res);
    const { page, limit, offset } = pageOf(req, HISTORY_PAGE);
    const history = await policyVersionsWithDiffs(db, project?.id ?? null, { limit, offset });
    let source: string;
    let origin: string;
    if (project) {
      const effective = await effectivePolicy(db, project.id);
      source = effective.source;
      origin = effective.origin;
    } else {
      const latest = (await policyHistory(db, null, { limit: 1, offset: 0 }))[0];
      source = latest?.source ?? builtInPolicy().source;
      origin = latest ? 'organisation' : 'built-in';
    }
    const base = project ? `/policies/${encodeURIComponent(project.name)}` : '/policies';
    const targets = project ? [project] : await orgDryRunTargets(res);
    const projects = id.projectId ? [] : (await listProjects(db)).slice(0, PROJECT_LINKS);
    renderPage(
      res,
      'manage/policies',
      {
        title: project ? `Policy of ${project.name}` : 'Organisation policy',
        nav: 'policies',
        status: extra.status,
        crumbs: project ? [{ href: '/policies', label: 'Policies' }] : [],
      },
      {
        base,
        project: project?.name ?? null,
        origin,
        inherited: project ? origin !== 'project' : false,
        source: extra.source ?? source,
        problems: extra.problems ?? [],
        saved: typeof req.query.saved === 'string' && /^\d+$/.test(req.query.saved) ? req.query.saved : null,
        unchanged: req.query.unchanged === '1',
        dryRan: extra.dryRun !== undefined,
        dryRun: extra.dryRun ?? [],
        dryRunLast: dryRunQuery.parse({}).last,
        targets: targets.map((p) => ({ name: p.name, url: `/api/v1/projects/${encodeURIComponent(p.name)}/policy/dry-run` })),
        history: history.items.map((v) => ({ ...v, lines: v.diff.split('\n').map((l) => ({ text: l, kind: l.startsWith('+ ') ? 'add' : l.startsWith('- ') ? 'del' : 'same' })) })),
        pager: pager(req, page, history.more),
        projects: projects.map((p) => ({ name: p.name, href: `/policies/${encodeURIComponent(p.name)}`, current: p.name === project?.name })),
      },
    );
  }

  router.get(['/policies', '/policies/:scope'], (req, res) => show(req, res));

  // Without JavaScript the dry run is a form post; manage.js runs it in the background with progress.
  router.post(['/policies/dry-run', '/policies/:scope/dry-run'], policyForm, async (req, res) => {
    assertForm(req, res);
    const project = await scopeOf(req, res);
    const source = postedPolicy(req.body);
    let policy;
    try {
      policy = parsePolicy(source);
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      return show(req, res, { source, problems: error.problems, status: 422 });
    }
    const rows: DryRunRow[] = [];
    const at = now();
    for (const target of project ? [project] : await orgDryRunTargets(res)) {
      for (const item of await dryRunPolicy(db, target.id, policy, dryRunQuery.parse({}).last, at)) rows.push({ ...item, project: target.name });
    }
    await show(req, res, { source, dryRun: rows });
  });
  router.post(['/policies', '/policies/:scope'], policyForm, async (req, res) => {
    const id = identityOf(res);
    assertForm(req, res);
    const project = await scopeOf(req, res);
    const source = postedPolicy(req.body);
    try {
      const { policy, changed } = await writePolicy(db, id, project, source);
      const base = project ? `/policies/${encodeURIComponent(project.name)}` : '/policies';
      res.redirect(303, changed ? `${base}?saved=${policy.version}` : `${base}?unchanged=1`);
    } catch (error) {
      // An invalid policy comes back to the editor with its problems, the text as typed.
      if (!(error instanceof AppError) || error.code !== 'POLICY_INVALID') throw error;
      await show(req, res, { source, problems: policyProblems(source), status: 422 });
    }
  });

  return router;
}
