// The dashboard shell: sign-in returns to the page asked for, assets load under the CSP, the API
// accepts the page session only with its CSRF token for changes, and people get HTML errors.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApp, submissionForm, type TestApp } from '../../helpers/app.js';
import { projectRoot } from '../../helpers/corpus.js';
// These run inside the page (page.evaluate); the project is compiled without the DOM library.
declare const document: { documentElement: { scrollWidth: number; clientWidth: number }; querySelector(s: string): { dataset: Record<string, string> } | null };
import { describeBrowser, expectAccessible, launchBrowser, signIn } from '../../helpers/browser.js';

describeBrowser('dashboard shell', () => {
  let app: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    app = await startTestApp('pglite');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('sends a signed-out visitor to sign in and back to the page asked for', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${app.url}/?sort=name`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await expectAccessible(page);
    await page.getByLabel('API token').fill(app.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/?sort=name');
    expect(errors, 'no CSP or script errors in the console').toEqual([]);
    await page.close();
  });

  it('refuses a sign-in redirect to another site', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/login?next=//evil.example/x`);
    await page.getByLabel('API token').fill(app.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    expect(new URL(page.url()).host).toBe(new URL(app.url).host);
    await page.close();
  });

  it('lets page scripts call the API with the session, changes only with the CSRF token', async () => {
    const page = await browser.newPage();
    await signIn(page, app.url, app.adminToken);
    const read = await page.evaluate(async () => (await fetch('/api/v1/projects')).status);
    expect(read).toBe(200);
    const forged = await page.evaluate(async () => (await fetch('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'web/forged' }) })).status);
    expect(forged).toBe(403);
    const made = await page.evaluate(async () => {
      const csrf = document.querySelector('main')?.dataset.csrf ?? '';
      return (await fetch('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify({ name: 'web/made' }) })).status;
    });
    expect(made).toBe(201);
    await page.close();
  });

  it('answers a person with an HTML error page and a program with JSON', async () => {
    const page = await browser.newPage();
    await signIn(page, app.url, app.adminToken);
    const res = await page.goto(`${app.url}/no-such-page`);
    expect(res?.status()).toBe(404);
    expect(await page.textContent('h1')).toBe('NOT_FOUND');
    const api = await fetch(`${app.url}/no-such-page`, { headers: { accept: 'application/json' }, redirect: 'manual' });
    expect(api.status).toBe(401);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    await page.close();
  });

  it('takes a person following a report link (an alert, an MR note, a pipeline log) through sign-in to the report; a program still gets 401', async () => {
    expect((await app.api('/api/v1/projects', { method: 'POST', body: JSON.stringify({ name: 'web/linked' }), headers: { 'content-type': 'application/json' } })).status).toBe(201);
    const report = readFileSync(join(projectRoot, 'test/apps/demo-reports/semgrep.json'));
    const submitted = await app.api(`/api/v1/projects/${encodeURIComponent('web/linked')}/submissions`, { method: 'POST', body: submissionForm({ ref: 'main' }, [{ name: 'semgrep.json', content: report }]) });
    expect(submitted.status).toBe(201);
    const link = `/api/v1/submissions/${((await submitted.json()) as { id: string }).id}/report`;

    for (const accept of [undefined, '*/*', 'application/json', 'application/json, text/plain, */*']) {
      const res = await fetch(`${app.url}${link}`, { headers: accept ? { accept } : {}, redirect: 'manual' });
      expect(res.status, `Accept: ${accept}`).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    }
    const changed = await fetch(`${app.url}/api/v1/projects`, { method: 'POST', headers: { accept: 'text/html', 'content-type': 'application/json' }, body: '{"name":"web/nope"}', redirect: 'manual' });
    expect(changed.status).toBe(401);

    const page = await browser.newPage();
    await page.goto(`${app.url}${link}`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('API token').fill(app.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === link);
    expect(await page.title()).toContain('web/linked');
    await page.close();
  });
});
