// Browse pages: overview, project, submission, findings explorer, triage.
import { Router } from 'express';
import { listProjects } from '../../../store/repositories/projects.js';
import { queryFindings } from '../../../store/repositories/findings.js';
import type { AppDeps } from '../../../http/deps.js';
import { pageSession, renderPage } from '../../page.js';

const PAGE_FINDINGS = 25;
const PAGE_PROJECTS = 50;

export function browsePages({ db }: AppDeps): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const session = pageSession(res);
    const id = session.identity;
    const projects = await listProjects(db, id.projectId);
    const view = [];
    for (const p of projects.slice(0, PAGE_PROJECTS)) {
      const { rows } = await db.query<{ ref: string; commit_sha: string | null; tools: string[]; counts: unknown; created_at: Date; verdict: { outcome: string; summary: string } | null }>(
        `SELECT ref, commit_sha, tools, counts, created_at, verdict FROM submissions WHERE project_id = $1 ORDER BY created_at DESC LIMIT 1`,
        [p.id],
      );
      const latest = rows[0];
      const page = latest ? await queryFindings(db, p.id, { ref: latest.ref, limit: PAGE_FINDINGS }) : { items: [], nextCursor: null };
      view.push({
        name: p.name,
        latest: latest && {
          ref: latest.ref,
          commit: latest.commit_sha,
          tools: latest.tools,
          counts: latest.counts,
          verdict: latest.verdict,
          createdAt: new Date(latest.created_at).toISOString(),
        },
        findings: page.items,
        more: page.nextCursor !== null,
      });
    }
    renderPage(res, 'overview', { title: 'Overview', nav: 'overview' }, { projects: view });
  });
  return router;
}
