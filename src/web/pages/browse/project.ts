// A project: verdict history (an inline SVG, no script), its refs and their latest verdict, the
// latest submission, the policy in force, the scan configuration and the integrations that send it
// submissions.
import { Router } from 'express';
import type { AppDeps } from '../../../http/deps.js';
import { effectivePolicy } from '../../../assess/policies.js';
import { effectiveScanConfig } from '../../../http/routes/scan-config.js';
import type { Queryable } from '../../../store/db.js';
import { renderPage } from '../../page.js';
import { readableProject, viewer, when, withQuery } from './common.js';

/** Submissions in the verdict history chart and table. */
export const HISTORY_POINTS = 30;
export const REFS_LISTED = 100;

const OUTCOME_COLOURS: Record<string, string> = { pass: '#1b7336', warn: '#8a5700', fail: '#b3261e', error: '#b3261e' };

interface HistoryRow {
  id: string;
  ref: string;
  commit_sha: string | null;
  created_at: Date;
  outcome: string | null;
  summary: string | null;
  total: number | null;
  new: number | null;
}

async function history(q: Queryable, projectId: string): Promise<HistoryRow[]> {
  const { rows } = await q.query<HistoryRow>(
    `SELECT id, ref, commit_sha, created_at, verdict->>'outcome' AS outcome, verdict->>'summary' AS summary,
            (counts->>'total')::int AS total, (counts->>'new')::int AS new
       FROM submissions WHERE project_id = $1 ORDER BY created_at DESC LIMIT ${HISTORY_POINTS}`,
    [projectId],
  );
  return rows;
}

/** Bars of open findings per submission, oldest left, coloured by the verdict (the table below repeats it in text). */
function trendChart(points: readonly HistoryRow[]) {
  const width = 640;
  const height = 160;
  const bottom = 20;
  const top = 8;
  const max = Math.max(1, ...points.map((p) => p.total ?? 0));
  const slot = width / Math.max(points.length, 1);
  const w = Math.max(4, Math.min(36, slot * 0.7));
  const bars = [...points].reverse().map((p, i) => {
    const h = Math.max(1, Math.round(((p.total ?? 0) / max) * (height - top - bottom)));
    const x = Math.round(i * slot + (slot - w) / 2);
    return {
      x,
      y: height - bottom - h,
      w: Math.round(w),
      h,
      colour: OUTCOME_COLOURS[p.outcome ?? ''] ?? '#5d6574',
      label: `${when(p.created_at)} ${p.ref}: ${(p.outcome ?? 'none').toUpperCase()}, ${p.total ?? 0} findings`,
      textX: Math.round(x + w / 2),
      textY: height - 6,
      text: (p.outcome ?? '–').slice(0, 1).toUpperCase(),
    };
  });
  return { width, height, bars, max };
}

async function refsOf(q: Queryable, projectId: string) {
  const { rows } = await q.query<{ ref: string; updated_at: Date; submission_id: string | null; outcome: string | null; summary: string | null }>(
    `SELECT r.ref, r.updated_at, s.id AS submission_id, s.verdict->>'outcome' AS outcome, s.verdict->>'summary' AS summary
       FROM refs r LEFT JOIN submissions s ON s.id = r.last_submission_id
      WHERE r.project_id = $1 ORDER BY r.updated_at DESC LIMIT ${REFS_LISTED}`,
    [projectId],
  );
  return rows;
}

/** Who sends this project its submissions: pipelines (by CI provider) and integrations (webhooks, bridges). */
async function integrationsUsed(q: Queryable, projectId: string) {
  const { rows } = await q.query<{ kind: string | null; provider: string | null; integration: string | null; name: string | null; n: number; last: Date }>(
    `SELECT s.source->>'kind' AS kind, s.source->>'ciProvider' AS provider, s.source->>'integrationId' AS integration, i.name, count(*)::int AS n, max(s.created_at) AS last
       FROM submissions s LEFT JOIN integrations i ON i.id::text = s.source->>'integrationId'
      WHERE s.project_id = $1
      GROUP BY 1, 2, 3, 4 ORDER BY max(s.created_at) DESC`,
    [projectId],
  );
  return rows.map((r) => ({
    via: r.kind === null ? 'API upload (scanhub submit or another client)' : r.kind === 'ci' ? `CI pipeline (${r.provider ?? 'unknown provider'})` : r.kind,
    integration: r.name ?? r.integration,
    submissions: r.n,
    last: when(r.last),
  }));
}

export function projectPage({ db }: AppDeps): Router {
  const router = Router();
  // Names contain '/': the client encodes the whole name as one segment (%2F), and express decodes it.
  router.get('/projects/:project', async (req, res) => {
    const id = viewer(res);
    const project = await readableProject(db, id, req.params.project);
    const [points, refs, policy, scanConfig, integrations] = await Promise.all([
      history(db, project.id),
      refsOf(db, project.id),
      effectivePolicy(db, project.id),
      effectiveScanConfig(db, project.id),
      integrationsUsed(db, project.id),
    ]);
    const latest = points[0];
    renderPage(res, 'browse/project', { title: project.name, nav: 'overview', crumbs: [{ href: '/', label: 'Overview' }] }, {
      project,
      findingsHref: withQuery('/findings', {}, { project: project.name }),
      reportHref: `/api/v1/projects/${encodeURIComponent(project.name)}/report?format=html`,
      chart: points.length ? trendChart(points) : null,
      history: points.map((p) => ({ id: p.id, ref: p.ref, commit: p.commit_sha?.slice(0, 12) ?? null, at: when(p.created_at), outcome: p.outcome ?? 'none', summary: p.summary ?? '', total: p.total ?? 0, new: p.new ?? 0 })),
      latest: latest && { id: latest.id, ref: latest.ref, at: when(latest.created_at), outcome: latest.outcome ?? 'none', summary: latest.summary ?? 'Not assessed.' },
      refs: refs.map((r) => ({ ref: r.ref, at: when(r.updated_at), submissionId: r.submission_id, outcome: r.outcome ?? 'none', summary: r.summary ?? '', findingsHref: withQuery('/findings', {}, { project: project.name, ref: r.ref }) })),
      policy: { origin: policy.origin, version: policy.version, source: policy.source, rules: policy.policy.rules.length },
      scanConfig: JSON.stringify(scanConfig, null, 2),
      integrations,
    });
  });
  return router;
}
