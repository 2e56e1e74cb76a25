// Web page sessions: a random session id in an HttpOnly SameSite=Strict cookie (never the token),
// a CSRF token on every state-changing form, foreign origins refused, revocation ends sessions.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeEachBackend } from '../helpers/db.js';

describeEachBackend('page sessions', (backend) => {
  let app: TestApp;
  beforeEach(async () => {
    app = await startTestApp(backend);
  });
  afterEach(async () => app.close());

  const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(app.url + path, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });
  const page = (cookie: string) => fetch(app.url + '/', { redirect: 'manual', headers: { cookie } });

  async function signIn(token: string): Promise<{ cookie: string; csrf: string; setCookie: string }> {
    const res = await post('/login', { token });
    expect(res.status).toBe(303);
    const setCookie = res.headers.get('set-cookie')!;
    const cookie = setCookie.split(';')[0]!;
    const home = await page(cookie);
    expect(home.status).toBe(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await home.text())?.[1];
    expect(csrf).toBeTruthy();
    return { cookie, csrf: csrf!, setCookie };
  }

  it('keeps the token out of the cookie and sets HttpOnly, SameSite=Strict', async () => {
    const token = await app.token('viewer');
    const { setCookie } = await signIn(token);
    expect(setCookie).not.toContain(token);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const { rows } = await app.db.query<{ id_hash: string }>(`SELECT id_hash FROM sessions`);
    expect(rows).toHaveLength(1);
    expect(setCookie).not.toContain(rows[0]!.id_hash);
  });

  it('refuses sign-out without the CSRF token and accepts it with', async () => {
    const { cookie, csrf } = await signIn(await app.token('viewer'));
    expect((await post('/logout', {}, { cookie })).status).toBe(403);
    expect((await post('/logout', { _csrf: 'forged' }, { cookie })).status).toBe(403);
    expect((await page(cookie)).status).toBe(200);
    expect((await post('/logout', { _csrf: csrf }, { cookie })).status).toBe(303);
    expect((await page(cookie)).headers.get('location')).toBe('/login');
  });

  it('refuses a form posted from another origin', async () => {
    const token = await app.token('viewer');
    const res = await post('/login', { token }, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect((await post('/login', { token }, { origin: app.url })).status).toBe(303);
  });

  it('ends the session when its API token is revoked', async () => {
    const token = await app.token('security');
    const { cookie } = await signIn(token);
    await app.db.query(`UPDATE api_tokens SET revoked_at = now() WHERE name = 'test-security'`);
    expect((await page(cookie)).headers.get('location')).toBe('/login');
  });
});
