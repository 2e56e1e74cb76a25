// The plain first-run page: projects, their latest submission and most severe open findings.
import express, { Router } from 'express';
import { renderHtml } from '../../reports/engine.js';
import { authenticateToken } from '../../security/tokens.js';
import { listProjects } from '../../store/repositories/projects.js';
import { queryFindings } from '../../store/repositories/findings.js';
import { readCookie, SESSION_COOKIE } from '../middleware/auth.js';
import type { AppDeps } from '../deps.js';

const PAGE_FINDINGS = 25;
/** The plain page is a first look, not the dashboard: it shows the first projects only. */
const PAGE_PROJECTS = 50;

export function pageRoutes({ db, config }: AppDeps): Router {
  const router = Router();
  // Secure when ScanHub serves HTTPS itself; behind a TLS proxy the cookie is still HttpOnly + SameSite=Strict.
  const secureCookie = Boolean(config.tlsCert);
  const form = express.urlencoded({ extended: false, limit: '4kb' });

  router.get('/login', (_req, res) => {
    res.type('html').send(renderHtml('pages/login', {}));
  });
  router.post('/login', form, async (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token.trim() : '';
    const id = token ? await authenticateToken(db, token) : undefined;
    if (!id) {
      res.status(401).type('html').send(renderHtml('pages/login', { error: 'That token is unknown, revoked or expired.' }));
      return;
    }
    const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${12 * 3600}`, ...(secureCookie ? ['Secure'] : [])];
    res.setHeader('Set-Cookie', `${SESSION_COOKIE}=${encodeURIComponent(token)}; ${attrs.join('; ')}`);
    res.redirect(303, '/');
  });
  router.post('/logout', (_req, res) => {
    res.setHeader('Set-Cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    res.redirect(303, '/login');
  });
  router.get('/', async (req, res) => {
    const token = readCookie(req, SESSION_COOKIE);
    const id = token ? await authenticateToken(db, token) : undefined;
    if (!id) {
      res.redirect(303, '/login');
      return;
    }
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
    res.type('html').send(renderHtml('pages/home', { identity: id, projects: view, moreProjects: Math.max(0, projects.length - PAGE_PROJECTS) }));
  });
  return router;
}
