// The dashboard: server-rendered pages at /, signed in with a session (src/security/sessions.ts).
// Page groups live under src/web/pages/; each is an express Router mounted behind requirePage().
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';
import { renderHtml } from '../reports/engine.js';
import { authenticateToken } from '../security/tokens.js';
import { createSession, csrfMatches, endSession, readSession, SESSION_TTL_MS } from '../security/sessions.js';
import { AppError } from '../errors.js';
import { readCookie, SESSION_COOKIE } from '../http/middleware/auth.js';
import { templatesDir } from '../paths.js';
import type { AppDeps } from '../http/deps.js';
import { assertSameOrigin, requirePage } from './page.js';
import { browsePages } from './pages/browse/index.js';
import { managePages } from './pages/manage/index.js';

const ASSET_TYPES: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' };

/** Where to go after signing in: a path on this site only (never `//host` or a scheme). */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s]*$/.test(value) && value.length < 2000 ? value : '/';
}

export function webRoutes(deps: AppDeps): Router {
  const { db, config } = deps;
  const router = Router();
  // Secure when ScanHub serves HTTPS itself; behind a TLS proxy the cookie is still HttpOnly + SameSite=Strict.
  const secureCookie = Boolean(config.tlsCert);
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const cookie = (value: string, maxAgeSeconds: number) =>
    `${SESSION_COOKIE}=${value}; ${['Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`, ...(secureCookie ? ['Secure'] : [])].join('; ')}`;

  // Read once: the assets are part of the release, not user data.
  const assetDir = join(templatesDir, 'web/assets');
  const assets = new Map(
    readdirSync(assetDir)
      .filter((name) => /^[a-z-]+\.(css|js)$/.test(name))
      .map((name) => [name, { type: ASSET_TYPES[name.split('.').pop()!]!, body: readFileSync(join(assetDir, name)) }]),
  );
  router.get('/assets/:name', (req, res, next) => {
    const asset = assets.get(req.params.name);
    if (!asset) return next();
    res.type(asset.type).setHeader('Cache-Control', 'public, max-age=300');
    res.send(asset.body);
  });

  router.get('/login', (req, res) => {
    res.type('html').send(renderHtml('pages/login', { next: safeNext(req.query.next) }));
  });
  router.post('/login', form, async (req, res) => {
    assertSameOrigin(req);
    const token = typeof req.body?.token === 'string' ? req.body.token.trim() : '';
    const id = token ? await authenticateToken(db, token) : undefined;
    if (!id) {
      res.status(401).type('html').send(renderHtml('pages/login', { next: safeNext(req.body?.next), error: 'That token is unknown, revoked or expired.' }));
      return;
    }
    // A new session id at every sign-in (no fixation); the token itself never goes into the cookie.
    const session = await createSession(db, id.tokenId);
    res.setHeader('Set-Cookie', cookie(session.cookieValue, SESSION_TTL_MS / 1000));
    res.redirect(303, safeNext(req.body?.next));
  });
  router.post('/logout', form, async (req, res) => {
    assertSameOrigin(req);
    const value = readCookie(req, SESSION_COOKIE);
    const session = await readSession(db, value);
    if (session && !csrfMatches(session, req.body?._csrf)) throw new AppError('CSRF_FAILED');
    if (value) await endSession(db, value);
    res.setHeader('Set-Cookie', cookie('', 0));
    res.redirect(303, '/login');
  });

  const pages = Router();
  pages.use(requirePage(db));
  pages.use(browsePages(deps));
  pages.use(managePages(deps));
  // Mounted after the API, webhooks and health routes: whatever reaches here is a page.
  router.use(pages);
  return router;
}
