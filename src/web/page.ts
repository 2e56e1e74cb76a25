// The dashboard's page plumbing: who is signed in (a session cookie, see src/security/sessions.ts),
// form checks (same origin + CSRF token), and rendering a view inside the shared layout.
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors.js';
import { renderHtml } from '../reports/engine.js';
import { readSession, csrfMatches, type Session } from '../security/sessions.js';
import { PERMISSIONS, type Action } from '../http/permissions.js';
import type { Role } from '../security/tokens.js';
import { readCookie, sendToSignIn, SESSION_COOKIE } from '../http/middleware/auth.js';
import type { Database } from '../store/db.js';

/** The signed-in session of a page request (set by requirePage). */
export function pageSession(res: Response): Session {
  const session = res.locals.session as Session | undefined;
  if (!session) throw new AppError('UNAUTHENTICATED');
  return session;
}

/** Pages need a session: a browser without one goes to the sign-in page and comes back after; a program gets 401. */
export function requirePage(db: Database): RequestHandler {
  return async (req, res, next) => {
    const session = await readSession(db, readCookie(req, SESSION_COOKIE));
    if (session) {
      res.locals.session = session;
      return next();
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && req.accepts(['html', 'json']) === 'html') {
      return sendToSignIn(req, res);
    }
    next(new AppError('UNAUTHENTICATED', 'Your session has ended; sign in again.'));
  };
}

/** Forms are posted from our own pages only: a foreign Origin (or Referer) is refused outright. */
export function assertSameOrigin(req: Request): void {
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

/** A state-changing form: same origin and the session's CSRF token in `_csrf`. */
export function assertForm(req: Request, res: Response): Session {
  assertSameOrigin(req);
  const session = pageSession(res);
  if (!csrfMatches(session, (req.body as Record<string, unknown> | undefined)?._csrf)) throw new AppError('CSRF_FAILED');
  return session;
}

/** May this role do `action`? For showing or hiding controls; handlers still call authorize(). */
export function can(role: Role, action: Action): boolean {
  return (PERMISSIONS[action] as readonly Role[]).includes(role);
}

const NAV = [
  { href: '/', label: 'Overview', key: 'overview' },
  { href: '/findings', label: 'Findings', key: 'findings' },
  { href: '/triage', label: 'Triage', key: 'triage' },
  { href: '/policies', label: 'Policies', key: 'policies' },
  { href: '/alerts', label: 'Alerts', key: 'alerts' },
  { href: '/data', label: 'Data', key: 'data' },
  { href: '/admin', label: 'Admin', key: 'admin', action: 'audit.read' as Action },
];

export interface PageOptions {
  /** The <title> and <h1>. */
  title: string;
  /** Which navigation entry is current. */
  nav: string;
  status?: number;
  /** Breadcrumbs above the title: [{href, label}]. */
  crumbs?: { href: string; label: string }[];
}

/** Renders templates/web/<view>.hbs inside templates/web/layout.hbs. */
export function renderPage(res: Response, view: string, options: PageOptions, data: object): void {
  const session = pageSession(res);
  const context = { ...data, identity: session.identity, csrfToken: session.csrfToken, can: roleAbilities(session.identity.role) };
  const body = renderHtml(`web/${view}`, context);
  const nav = NAV.filter((n) => !n.action || can(session.identity.role, n.action)).map((n) => ({ ...n, current: n.key === options.nav }));
  res
    .status(options.status ?? 200)
    .type('html')
    .send(renderHtml('web/layout', { title: options.title, crumbs: options.crumbs ?? [], body, nav, identity: session.identity, csrfToken: session.csrfToken }));
}

/** Every action as a flag, so templates can write {{#if can.exception_approve}}. */
function roleAbilities(role: Role): Record<string, boolean> {
  return Object.fromEntries(Object.keys(PERMISSIONS).map((a) => [a.replace('.', '_'), can(role, a as Action)]));
}
