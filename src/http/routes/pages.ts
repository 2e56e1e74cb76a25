// The plain first-run page: projects, their latest submission and most severe open findings.
import express, { Router } from 'express';
import { renderHtml } from '../../reports/engine.js';
import { authenticateToken } from '../../security/tokens.js';
import { createSession, csrfMatches, endSession, readSession, SESSION_TTL_MS } from '../../security/sessions.js';
import { AppError } from '../../errors.js';
import type { Request } from 'express';
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

  const cookie = (value: string, maxAgeSeconds: number) =>
    `${SESSION_COOKIE}=${value}; ${['Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`, ...(secureCookie ? ['Secure'] : [])].join('; ')}`;

  /** Forms are posted from our own pages only: a foreign Origin (or Referer) is refused outright. */
  function sameOrigin(req: Request): void {
    const source = req.get('origin') ?? req.get('referer');
    if (source === undefined) return;
    let host: string | undefined;
    try {
      host = new URL(source).host;
    } catch {
      host = undefined;
    }
    // Host, not scheme: behind a TLS-terminating proxy the page is https while this socket is http.
    if (host !== req.get('host')) throw new AppError('CSRF_FAILED', 'The form was posted from another site.');
  }

  router.get('/login', (_req, res) => {
    res.type('html').send(renderHtml('pages/login', {}));
  });
  router.post('/login', form, async (req, res) => {
    sameOrigin(req);
    const token = typeof req.body?.token === 'string' ? req.body.token.trim() : '';
    const id = token ? await authenticateToken(db, token) : undefined;
    if (!id) {
      res.status(401).type('html').send(renderHtml('pages/login', { error: 'That token is unknown, revoked or expired.' }));
      return;
    }
    // A new session id at every sign-in (no fixation); the token itself never goes into the cookie.
    const session = await createSession(db, id.tokenId);
    res.setHeader('Set-Cookie', cookie(session.cookieValue, SESSION_TTL_MS / 1000));
    res.redirect(303, '/');
  });
  router.post('/logout', form, async (req, res) => {
    sameOrigin(req);
    const value = readCookie(req, SESSION_COOKIE);
    const session = await readSession(db, value);
    if (session && !csrfMatches(session, req.body?._csrf)) throw new AppError('CSRF_FAILED');
    if (value) await endSession(db, value);
    res.setHeader('Set-Cookie', cookie('', 0));
    res.redirect(303, '/login');
  });
  router.get('/', async (req, res) => {
    const session = await readSession(db, readCookie(req, SESSION_COOKIE));
    if (!session) {
      res.redirect(303, '/login');
      return;
    }
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
    res.type('html').send(renderHtml('pages/home', { identity: id, csrfToken: session.csrfToken, projects: view, moreProjects: Math.max(0, projects.length - PAGE_PROJECTS) }));
  });
  return router;
}
