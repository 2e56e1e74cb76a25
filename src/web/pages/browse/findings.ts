// The findings explorer: one project at a time (chosen in the filter form, default the first the
// viewer may read), the API's filters plus KEV, EPSS and fix availability, grouped by vulnerability,
// package or path, a page at a time (the repository's cursor paging; groups page by offset).
// Rows carry checkboxes: the selection goes to the triage form.
import { projectVersions, VersionedCache } from '../../cache.js';
import { Router } from 'express';
import { z } from 'zod';
import { CATEGORIES, FINDING_STATUSES, SEVERITIES, knownExploitation } from '../../../domain/finding.js';
import type { AppDeps } from '../../../http/deps.js';
import { findingQuerySchema } from '../../../http/routes/findings.js';
import type { Queryable } from '../../../store/db.js';
import { FINDING_GROUPINGS, groupFindings, queryFindings, type FindingFilter, type StoredFinding } from '../../../store/repositories/findings.js';
import { listProjects } from '../../../store/repositories/projects.js';
import { renderPage } from '../../page.js';
import { readableProject, viewer, withQuery } from './common.js';

export const FINDINGS_PER_PAGE = 50;
export const GROUPS_PER_PAGE = 50;


const groupCache = new VersionedCache<Awaited<ReturnType<typeof groupFindings>>>(30_000, 500);
const flag = z.enum(['true', 'false', '']).optional().transform((v) => (v ? v === 'true' : undefined));
/** The API's filters (same names, same validation) and the page's own. */
export const explorerQuery = findingQuerySchema.omit({ limit: true, new: true, fixAvailable: true }).extend({
  project: z.string().max(200).optional(),
  new: flag,
  kev: flag,
  fix: flag,
  epss: z.union([z.literal(''), z.coerce.number().min(0).max(1)]).optional().transform((v) => (v === '' ? undefined : v)),
  group: z.enum(['', ...FINDING_GROUPINGS]).optional().transform((v) => v || undefined),
  offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
});

/** Values for the tool and ref pickers: small lists from the project's submissions, not from its findings. */
async function pickers(q: Queryable, projectId: string) {
  const tools = await q.query<{ tool: string }>(`SELECT DISTINCT unnest(tools) AS tool FROM submissions WHERE project_id = $1 ORDER BY 1`, [projectId]);
  const refs = await q.query<{ ref: string }>(`SELECT ref FROM refs WHERE project_id = $1 ORDER BY updated_at DESC LIMIT 100`, [projectId]);
  return { tools: tools.rows.map((r) => r.tool), refs: refs.rows.map((r) => r.ref) };
}

function rowOf(f: StoredFinding) {
  const { kev, epss } = knownExploitation(f);
  const where = f.location?.path ? `${f.location.path}${f.location.startLine ? `:${f.location.startLine}` : ''}` : (f.location?.image ?? f.location?.resource ?? '');
  return {
    id: f.id,
    href: `/findings/${f.id}`,
    severity: f.severity,
    label: f.vulnerabilityIds[0] ?? f.ruleId,
    ruleId: f.ruleId,
    title: f.title,
    pkg: f.package ? `${f.package.name}${f.package.version ? `@${f.package.version}` : ''}` : '',
    where,
    fix: f.fixedVersions.join(', '),
    kev,
    epss: epss === undefined ? '' : epss.toFixed(3),
    sources: f.sources.join(', '),
    status: f.state ?? f.status,
  };
}

export function findingsPage({ db }: AppDeps): Router {
  const router = Router();
  router.get('/findings', async (req, res) => {
    const id = viewer(res);
    const query = explorerQuery.parse(req.query);
    const projects = await listProjects(db, id.projectId);
    const chosen = query.project ?? projects[0]?.name;
    const common = { title: 'Findings', nav: 'findings' };
    if (!chosen) {
      renderPage(res, 'browse/findings', common, { projects: [], empty: true });
      return;
    }
    const project = await readableProject(db, id, chosen);
    const filter: FindingFilter = {
      severity: query.severity,
      category: query.category,
      tool: query.tool,
      status: query.status,
      q: query.q,
      ref: query.ref,
      new: query.new,
      kev: query.kev,
      epssMin: query.epss,
      fixAvailable: query.fix,
    };
    // The links keep every filter as the person typed it (with the project's name, never its id).
    const current: Record<string, string | undefined> = {
      project: project.name,
      ref: query.ref,
      severity: query.severity,
      category: query.category,
      tool: query.tool,
      status: query.status,
      q: query.q,
      new: query.new === undefined ? undefined : String(query.new),
      kev: query.kev === undefined ? undefined : String(query.kev),
      fix: query.fix === undefined ? undefined : String(query.fix),
      epss: query.epss === undefined ? undefined : String(query.epss),
      group: query.group,
    };
    const { tools, refs } = await pickers(db, project.id);
    const choice = (values: readonly string[], selected: string | undefined) => values.map((v) => ({ value: v, selected: v === selected }));
    const triState = (value: boolean | undefined) => [
      { value: '', label: 'Any', selected: value === undefined },
      { value: 'true', label: 'Yes', selected: value === true },
      { value: 'false', label: 'No', selected: value === false },
    ];
    let view: object;
    if (query.group) {
      const offset = query.offset ?? 0;
      // Grouping aggregates every matching finding: the page of groups is kept until the project changes.
      const key = JSON.stringify([project.id, filter, query.group, offset]);
      const version = (await projectVersions(db, [project.id])).get(project.id)!;
      let result = groupCache.get(key, version);
      if (!result) {
        result = await groupFindings(db, project.id, filter, query.group, { offset, limit: GROUPS_PER_PAGE });
        groupCache.set(key, version, result);
      }
      const { groups, hasMore } = result;
      view = {
        grouped: true,
        groups: groups.map((g) => ({
          ...g,
          label: g.key ?? `(no ${query.group})`,
          href: g.key ? withQuery('/findings', { ...current, group: undefined }, { q: g.key }) : null,
        })),
        next: hasMore ? withQuery('/findings', current, { offset: String(offset + GROUPS_PER_PAGE) }) : null,
        first: offset > 0 ? withQuery('/findings', current, {}) : null,
      };
    } else {
      const page = await queryFindings(db, project.id, { ...filter, cursor: query.cursor, limit: FINDINGS_PER_PAGE });
      view = {
        grouped: false,
        rows: page.items.map(rowOf),
        next: page.nextCursor ? withQuery('/findings', current, { cursor: page.nextCursor }) : null,
        first: query.cursor ? withQuery('/findings', current, {}) : null,
      };
    }
    renderPage(res, 'browse/findings', { ...common, title: `Findings · ${project.name}` }, {
      ...view,
      project: { name: project.name },
      projects: projects.map((p) => ({ value: p.name, selected: p.id === project.id })),
      q: query.q ?? '',
      epss: query.epss ?? '',
      refs: choice(refs, query.ref),
      severities: choice(SEVERITIES, query.severity),
      customSeverity: query.severity && !(SEVERITIES as readonly string[]).includes(query.severity) ? query.severity : null,
      categories: choice(CATEGORIES, query.category),
      tools: choice(tools, query.tool),
      statuses: choice(FINDING_STATUSES, query.status),
      isNew: triState(query.new),
      kev: triState(query.kev),
      fix: triState(query.fix),
      groupings: [{ value: '', label: 'No grouping', selected: !query.group }, ...FINDING_GROUPINGS.map((g) => ({ value: g, label: `By ${g}`, selected: g === query.group }))],
      exportHref: withQuery(`/api/v1/projects/${encodeURIComponent(project.name)}/report`, { ...current, project: undefined, group: undefined, kev: undefined, fix: undefined, epss: undefined }, { format: 'csv' }),
    });
  });
  return router;
}
