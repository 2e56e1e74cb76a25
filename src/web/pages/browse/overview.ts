// Overview: every project the viewer may read, its latest verdict per ref, open findings by severity,
// new this week, the oldest unfixed critical and how fresh the data behind the verdict was.
// Sortable (?sort=) and filterable by tag (?tag=); a page of projects at a time (?page=).
import { projectVersions, VersionedCache } from '../../cache.js';
import { Router } from 'express';
import { z } from 'zod';
import { SEVERITIES, type Severity } from '../../../domain/finding.js';
import type { AppDeps } from '../../../http/deps.js';
import { dataFreshness } from '../../../data/enrich.js';
import type { Queryable } from '../../../store/db.js';
import { listProjects, type Project } from '../../../store/repositories/projects.js';
import { renderPage } from '../../page.js';
import { clock, daysBetween, projectHref, viewer, when, withQuery } from './common.js';

export const PROJECTS_PER_PAGE = 20;
/** Refs listed per project on the overview; the project page lists them all. */
const REFS_SHOWN = 5;
/** Findings named per tripped rule; the submission page explains the rest. */
const FINDINGS_PER_RULE = 15;
const WEEK_MS = 7 * 86_400_000;

const SORTS = ['name', 'verdict', 'critical', 'new', 'oldest', 'freshness'] as const;
const overviewQuery = z.object({
  sort: z.enum(SORTS).catch('name'),
  tag: z.string().trim().max(63).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});

interface VerdictRule {
  id: string;
  action: string;
  reason: string;
  triggered: boolean;
  findings: { ruleId: string; vulnerabilityIds: string[]; title: string; severity: string }[];
}

interface RefRow {
  project_id: string;
  ref: string;
  submission_id: string;
  created_at: Date;
  commit_sha: string | null;
  outcome: string | null;
  summary: string | null;
  rules: VerdictRule[] | null;
  data: { source: string; ageDays: number | null; stale: boolean }[] | null;
}

interface ProjectStats {
  refs: RefRow[];
  bySeverity: Record<Severity, number>;
  newThisWeek: number;
  oldestCritical?: { id: string; ruleId: string; title: string; firstSeenAt: Date };
}

const OUTCOME_RANK: Record<string, number> = { error: 4, fail: 3, warn: 2, pass: 1 };

/** One pass over a large project's findings costs ~100 ms per 100,000: kept until the project changes. */
const statsCache = new VersionedCache<ProjectStats>(30_000, 2_000);

/** projectStats through the cache: only projects changed since (or not seen) are computed. */
async function projectStats(q: Queryable, projectIds: string[], now: Date): Promise<Map<string, ProjectStats>> {
  const versions = await projectVersions(q, projectIds);
  const out = new Map<string, ProjectStats>();
  const missing: string[] = [];
  for (const id of projectIds) {
    const cached = statsCache.get(id, versions.get(id)!);
    if (cached) out.set(id, cached);
    else missing.push(id);
  }
  for (const [id, stats] of await computeProjectStats(q, missing, now)) {
    statsCache.set(id, versions.get(id)!, stats);
    out.set(id, stats);
  }
  return out;
}

/** Latest submission per ref, open findings by severity (per project, across its refs) and the oldest open critical. */
async function computeProjectStats(q: Queryable, projectIds: string[], now: Date): Promise<Map<string, ProjectStats>> {
  const stats = new Map<string, ProjectStats>(
    projectIds.map((id) => [id, { refs: [], bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>, newThisWeek: 0 }]),
  );
  if (projectIds.length === 0) return stats;
  const refs = await q.query<RefRow>(
    `SELECT r.project_id, r.ref, s.id AS submission_id, s.created_at, s.commit_sha,
            s.verdict->>'outcome' AS outcome, s.verdict->>'summary' AS summary, s.verdict->'rules' AS rules, s.verdict->'data' AS data
       FROM refs r JOIN submissions s ON s.id = r.last_submission_id
      WHERE r.project_id = ANY($1::uuid[])
      ORDER BY r.project_id, s.created_at DESC`,
    [projectIds],
  );
  for (const r of refs.rows) stats.get(r.project_id)?.refs.push(r);
  // One pass over the project's open findings (a finding open on several refs counts once): counts by
  // severity, new this week, and the oldest open critical.
  const counts = await q.query<{ project_id: string; severity: Severity; n: number; new_week: number; oldest_critical: string | null }>(
    `SELECT f.project_id, f.severity, count(*)::int AS n, count(*) FILTER (WHERE f.first_seen_at >= $2)::int AS new_week,
            CASE WHEN f.severity = 'critical' THEN min(f.first_seen_at::text || ' ' || f.id::text) END AS oldest_critical
       FROM findings f
      WHERE f.project_id = ANY($1::uuid[])
        AND EXISTS (SELECT 1 FROM ref_findings r WHERE r.project_id = f.project_id AND r.finding_id = f.id AND r.state = 'open')
      GROUP BY f.project_id, f.severity`,
    [projectIds, new Date(now.getTime() - WEEK_MS).toISOString()],
  );
  const oldestIds = new Map<string, string>();
  for (const c of counts.rows) {
    const s = stats.get(c.project_id);
    if (!s) continue;
    s.bySeverity[c.severity] = c.n;
    s.newThisWeek += c.new_week;
    if (c.oldest_critical) oldestIds.set(c.project_id, c.oldest_critical.slice(c.oldest_critical.lastIndexOf(' ') + 1));
  }
  if (oldestIds.size) {
    const oldest = await q.query<{ project_id: string; id: string; rule_id: string; title: string; first_seen_at: Date }>(
      `SELECT project_id, id, rule_id, title, first_seen_at FROM findings WHERE id = ANY($1::uuid[])`,
      [[...oldestIds.values()]],
    );
    for (const o of oldest.rows) {
      const s = stats.get(o.project_id);
      if (s) s.oldestCritical = { id: o.id, ruleId: o.rule_id, title: o.title, firstSeenAt: new Date(o.first_seen_at) };
    }
  }
  return stats;
}

const worstOutcome = (s: ProjectStats) => Math.max(0, ...s.refs.map((r) => OUTCOME_RANK[r.outcome ?? ''] ?? 0));
const stalestData = (s: ProjectStats) => Math.max(-1, ...s.refs.flatMap((r) => (r.data ?? []).map((d) => (d.ageDays === null ? Infinity : d.ageDays))));

function sortProjects(projects: Project[], stats: Map<string, ProjectStats>, sort: (typeof SORTS)[number]): Project[] {
  const of = (p: Project) => stats.get(p.id)!;
  const by: Record<(typeof SORTS)[number], (a: Project, b: Project) => number> = {
    name: () => 0,
    verdict: (a, b) => worstOutcome(of(b)) - worstOutcome(of(a)),
    critical: (a, b) => of(b).bySeverity.critical - of(a).bySeverity.critical || of(b).bySeverity.high - of(a).bySeverity.high,
    new: (a, b) => of(b).newThisWeek - of(a).newThisWeek,
    oldest: (a, b) => (of(a).oldestCritical?.firstSeenAt.getTime() ?? Infinity) - (of(b).oldestCritical?.firstSeenAt.getTime() ?? Infinity),
    freshness: (a, b) => stalestData(of(b)) - stalestData(of(a)),
  };
  // listProjects returns names in order, and Array.sort is stable: ties stay alphabetical.
  return [...projects].sort(by[sort]);
}

function refView(r: RefRow, now: Date) {
  const tripped = (r.rules ?? []).filter((rule) => rule.triggered);
  return {
    ref: r.ref,
    submissionHref: `/submissions/${r.submission_id}`,
    at: when(r.created_at),
    commit: r.commit_sha?.slice(0, 12) ?? null,
    outcome: r.outcome ?? 'none',
    summary: r.summary ?? 'Not assessed.',
    tripped: tripped.map((rule) => ({
      id: rule.id,
      action: rule.action,
      reason: rule.reason,
      findings: rule.findings.slice(0, FINDINGS_PER_RULE).map((f) => ({ label: f.vulnerabilityIds[0] ?? f.ruleId, ruleId: f.ruleId, severity: f.severity, title: f.title })),
      more: Math.max(0, rule.findings.length - FINDINGS_PER_RULE),
    })),
    data: (r.data ?? []).map((d) => ({ source: d.source, age: d.ageDays === null ? 'never loaded' : `${d.ageDays} d`, stale: d.stale })),
    ageDays: daysBetween(r.created_at, now),
  };
}

export function overviewPage(deps: AppDeps): Router {
  const { db } = deps;
  const now = clock(deps);
  const router = Router();
  router.get('/', async (req, res) => {
    const id = viewer(res);
    const query = overviewQuery.parse(req.query);
    const all = await listProjects(db, id.projectId);
    const tags = [...new Set(all.flatMap((p) => p.tags))].sort();
    const filtered = query.tag ? all.filter((p) => p.tags.includes(query.tag!.toLowerCase())) : all;
    const at = now();
    // Sorting by a figure needs the figures of every matching project; by name, only this page's.
    const pageStart = (query.page - 1) * PROJECTS_PER_PAGE;
    let pageProjects: Project[];
    let stats: Map<string, ProjectStats>;
    if (query.sort === 'name') {
      pageProjects = filtered.slice(pageStart, pageStart + PROJECTS_PER_PAGE);
      stats = await projectStats(db, pageProjects.map((p) => p.id), at);
    } else {
      stats = await projectStats(db, filtered.map((p) => p.id), at);
      pageProjects = sortProjects(filtered, stats, query.sort).slice(pageStart, pageStart + PROJECTS_PER_PAGE);
    }
    const current = { sort: query.sort === 'name' ? undefined : query.sort, tag: query.tag };
    const projects = pageProjects.map((p) => {
      const s = stats.get(p.id)!;
      const refs = s.refs.slice(0, REFS_SHOWN).map((r) => refView(r, at));
      return {
        name: p.name,
        href: projectHref(p.name),
        findingsHref: withQuery('/findings', {}, { project: p.name }),
        tags: p.tags.map((t) => ({ tag: t, href: withQuery('/', current, { tag: t, page: undefined }) })),
        refs,
        moreRefs: Math.max(0, s.refs.length - REFS_SHOWN),
        latest: refs[0],
        severities: SEVERITIES.map((sev) => ({ severity: sev, n: s.bySeverity[sev], href: withQuery('/findings', {}, { project: p.name, severity: sev }) })),
        newThisWeek: s.newThisWeek,
        oldestCritical: s.oldestCritical && {
          href: `/findings/${s.oldestCritical.id}`,
          ruleId: s.oldestCritical.ruleId,
          title: s.oldestCritical.title,
          days: daysBetween(s.oldestCritical.firstSeenAt, at),
        },
      };
    });
    const freshness = (await dataFreshness(db, at)).map((f) => ({ source: f.source.toUpperCase(), age: f.ageDays === null ? 'never loaded' : `${f.ageDays} days`, stale: f.stale }));
    const pages = Math.max(1, Math.ceil(filtered.length / PROJECTS_PER_PAGE));
    renderPage(res, 'browse/overview', { title: 'Overview', nav: 'overview' }, {
      projects,
      total: filtered.length,
      freshness,
      tags: tags.map((t) => ({ tag: t, selected: t === query.tag })),
      tag: query.tag,
      clearTag: query.tag ? withQuery('/', { sort: current.sort }, {}) : null,
      sorts: SORTS.map((s) => ({ key: s, label: SORT_LABELS[s], current: s === query.sort, href: withQuery('/', current, { sort: s === 'name' ? undefined : s, page: undefined }) })),
      pager: {
        page: query.page,
        pages,
        prev: query.page > 1 ? withQuery('/', current, { page: query.page - 1 > 1 ? String(query.page - 1) : undefined }) : null,
        next: query.page < pages ? withQuery('/', current, { page: String(query.page + 1) }) : null,
      },
    });
  });
  return router;
}

const SORT_LABELS: Record<(typeof SORTS)[number], string> = {
  name: 'Name',
  verdict: 'Worst verdict',
  critical: 'Most critical',
  new: 'Most new this week',
  oldest: 'Oldest critical',
  freshness: 'Stalest data',
};
