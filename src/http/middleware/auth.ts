// Bearer-token authentication for /api, cookie sessions for the pages; role and project checks.
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../../errors.js';
import { authenticateToken, type Role, type TokenIdentity } from '../../security/tokens.js';
import type { Database } from '../../store/db.js';
import type { Lookups } from '../../store/lookup-cache.js';
import { PERMISSIONS, type Action } from '../permissions.js';
import { WindowLimiter } from '../../security/rate-limit.js';
import { csrfMatches, readSession } from '../../security/sessions.js';

export const SESSION_COOKIE = 'scanhub_session';

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function bearer(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m?.[1];
}

export function identity(res: { locals: Record<string, unknown> }): TokenIdentity {
  const id = res.locals.identity as TokenIdentity | undefined;
  if (!id) throw new AppError('UNAUTHENTICATED');
  return id;
}

/** A browser without a session goes to the sign-in page, which brings it back here after. */
export function sendToSignIn(req: Request, res: Response): void {
  res.redirect(303, req.originalUrl === '/' ? '/login' : `/login?next=${encodeURIComponent(req.originalUrl)}`);
}

/** Methods that change nothing: no CSRF token needed, and no cached token or project to forget. */
export const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Failed authentications per client address: by default 30 a minute, then 429 until the minute is over. */
export function authenticate(db: Database, options: { limiter?: WindowLimiter; perToken?: WindowLimiter | undefined; lookups?: Lookups | undefined } = {}): RequestHandler {
  const limiter = options.limiter ?? new WindowLimiter(30, 60_000);
  const perToken = options.perToken;
  return async (req, res, next) => {
    const client = req.socket.remoteAddress ?? 'unknown';
    const wait = limiter.retryAfter(client);
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      return next(new AppError('RATE_LIMITED', `Too many failed authentications from this address; retry in ${wait} s.`));
    }
    const token = bearer(req);
    let id: TokenIdentity | undefined;
    if (token) {
      id = await authenticateToken(db, token, options.lookups?.tokens);
      if (!id) {
        limiter.record(client);
        return next(new AppError('UNAUTHENTICATED', 'The API token is unknown, revoked or expired.'));
      }
    } else {
      // The dashboard's scripts call the API with the page session; changes must echo its CSRF token.
      const session = await readSession(db, readCookie(req, SESSION_COOKIE));
      if (!session) {
        // A person following a link ScanHub gave out (a report in an alert, an MR note, a pipeline
        // log) signs in and comes back, instead of reading a JSON error. Only a browser's navigation,
        // which asks for HTML over JSON: a program (no Accept, or */*) still gets its 401.
        if ((req.method === 'GET' || req.method === 'HEAD') && req.accepts(['json', 'html']) === 'html') {
          return sendToSignIn(req, res);
        }
        return next(new AppError('UNAUTHENTICATED'));
      }
      if (!SAFE_METHODS.has(req.method) && !csrfMatches(session, req.get('x-csrf-token'))) return next(new AppError('CSRF_FAILED'));
      id = session.identity;
    }
    if (perToken) {
      const tokenWait = perToken.retryAfter(id.tokenId);
      if (tokenWait > 0) {
        res.setHeader('Retry-After', String(tokenWait));
        return next(new AppError('RATE_LIMITED', `This token made more than ${perToken.limit} requests this minute; retry in ${tokenWait} s.`));
      }
      perToken.record(id.tokenId);
    }
    res.locals.identity = id;
    next();
  };
}

/** Throws FORBIDDEN unless the identity may do `action`, on `projectId` when given. */
export function authorize(id: TokenIdentity, action: Action, projectId?: string): void {
  if (!(PERMISSIONS[action] as readonly Role[]).includes(id.role)) {
    throw new AppError('FORBIDDEN', `The role "${id.role}" may not do ${action}.`);
  }
  if (projectId && id.projectId && id.projectId !== projectId) {
    throw new AppError('FORBIDDEN', 'This token is scoped to another project.');
  }
}
