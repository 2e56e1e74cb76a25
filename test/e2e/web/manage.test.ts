// The data and admin pages: source freshness with "Update now" running in the background, tokens
// shown once, the audit log filtered and paged, integrations verified; each page screenshotted,
// axe-clean and usable at 390 px; admin-only controls hidden from a viewer and forged posts refused.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { describeBrowser, DESKTOP, expectAccessible, expectNoHorizontalScroll, launchBrowser, PHONE, screenshot, signIn } from '../../helpers/browser.js';

declare const document: { querySelector(s: string): { dataset: Record<string, string> } | null };

describeBrowser('manage pages: data and admin', () => {
  let app: TestApp;
  let browser: Browser;
  let admin: Page;
  beforeAll(async () => {
    app = await startTestApp('pglite');
    browser = await launchBrowser();
    admin = await browser.newPage({ viewport: DESKTOP });
    await signIn(admin, app.url, app.adminToken);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const checkPage = async (page: Page, name: string) => {
    await page.setViewportSize(DESKTOP);
    await screenshot(page, name);
    await expectAccessible(page);
    await page.setViewportSize(PHONE);
    await expectNoHorizontalScroll(page);
    await page.setViewportSize(DESKTOP);
  };

  const forged = (page: Page, url: string, fields: Record<string, string> = {}) =>
    page.evaluate(
      async ({ url, fields }) => {
        const csrf = document.querySelector('main')?.dataset.csrf ?? '';
        return (await fetch(url, { method: 'POST', body: new URLSearchParams({ _csrf: csrf, ...fields }), redirect: 'manual' })).status;
      },
      { url, fields },
    );

  it('shows each source never loaded, and "Update now" reports the failure in place, then on the page', async () => {
    await admin.goto(`${app.url}/data`);
    const rows = admin.locator('section[aria-labelledby="sources-h"] tbody tr');
    expect(await rows.locator('th').allTextContents()).toEqual(['KEV stale', 'EPSS stale', 'OSV stale']);
    expect(await rows.first().textContent()).toContain('never loaded');
    await checkPage(admin, 'data');
    // The test app points every source at a closed port: the update fails, and says why.
    await rows.first().getByRole('button', { name: /Update now/ }).click();
    await expect.poll(() => admin.locator('#update-kev').textContent(), { timeout: 20_000 }).toMatch(/kev: failed — .+/);
    await admin.waitForLoadState();
    await admin.reload();
    expect(await admin.locator('section[aria-labelledby="sources-h"] tbody tr').first().locator('td .error').textContent()).toBeTruthy();
    const status = (await (await app.api('/api/v1/data/status')).json()) as { items: { source: string; lastOutcome: string | null }[] };
    expect(status.items.find((s) => s.source === 'kev')!.lastOutcome).toBe('failed');
    expect(status.items.find((s) => s.source === 'epss')!.lastOutcome).toBeNull();
  }, 60_000);

  it('shows a new token once, lists it by prefix only, and revokes it', async () => {
    await admin.goto(`${app.url}/admin`);
    await admin.getByLabel('Name', { exact: true }).fill('ci-pipeline');
    await admin.getByLabel('Role').selectOption('ci');
    await admin.getByRole('button', { name: 'Create token' }).click();
    const token = await admin.locator('#new-token').inputValue();
    expect(token.length).toBeGreaterThan(20);
    await checkPage(admin, 'admin-token-created');
    // The token works, and is never on a page again.
    expect((await app.api('/api/v1/projects', { token })).status).toBe(200);
    await admin.goto(`${app.url}/admin`);
    expect(await admin.locator('#new-token').count()).toBe(0);
    expect(await admin.content()).not.toContain(token);
    const row = admin.locator('tbody tr', { hasText: 'ci-pipeline' });
    const prefix = (await row.locator('code').textContent())!.replace('…', '');
    expect(token.startsWith(prefix)).toBe(true);
    admin.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: /Revoke/ }).click();
    await admin.waitForURL((u) => u.pathname === '/admin');
    expect(await admin.locator('tbody tr', { hasText: 'ci-pipeline' }).textContent()).toContain('revoked');
    expect((await app.api('/api/v1/projects', { token })).status).toBe(401);
    await checkPage(admin, 'admin');
  }, 60_000);

  it('filters and pages the audit log', async () => {
    for (let i = 0; i < 31; i++) await app.api('/api/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `bulk-${i}`, role: 'viewer' }) });
    await admin.goto(`${app.url}/admin/audit`);
    expect(await admin.locator('tbody tr').count()).toBe(30);
    await admin.getByRole('link', { name: 'Older entries' }).click();
    expect(await admin.locator('tbody tr').count()).toBeGreaterThan(0);
    await admin.goto(`${app.url}/admin/audit`);
    await admin.getByLabel('Action').fill('token.revoke');
    await admin.getByRole('button', { name: 'Filter' }).click();
    await admin.waitForURL((u) => u.searchParams.get('action') === 'token.revoke');
    const rows = admin.locator('tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('token.revoke');
    await checkPage(admin, 'admin-audit');
  }, 60_000);

  it('verifies an integration and shows each check\'s result', async () => {
    const created = await app.api('/api/v1/integrations/jenkins', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'build', config: { url: 'http://127.0.0.1:9', user: 'ci', apiToken: 'jenkins-secret-1' } }) });
    expect(created.status).toBe(201);
    await admin.goto(`${app.url}/admin`);
    const card = admin.locator('article', { hasText: 'build' });
    expect(await card.textContent()).toContain('********');
    expect(await admin.content()).not.toContain('jenkins-secret-1');
    await card.getByRole('button', { name: /Verify/ }).click();
    await expect.poll(() => card.locator('[role=status]').textContent(), { timeout: 20_000 }).toMatch(/FAILED credentials and job: \S+/);
    await checkPage(admin, 'admin-integrations');
  }, 60_000);

  it('hides admin controls from a viewer and a security user as their roles require, and refuses forged posts', async () => {
    const viewer = await browser.newPage({ viewport: DESKTOP });
    await signIn(viewer, app.url, await app.token('viewer'));
    expect(await viewer.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    expect((await viewer.goto(`${app.url}/admin`))?.status()).toBe(403);
    expect((await viewer.goto(`${app.url}/admin/audit`))?.status()).toBe(403);
    await viewer.goto(`${app.url}/data`);
    expect(await viewer.getByRole('button', { name: /Update now/ }).count()).toBe(0);
    expect(await forged(viewer, '/data/update', { source: 'kev' })).toBe(403);
    expect(await forged(viewer, '/admin/tokens', { name: 'forged', role: 'admin' })).toBe(403);
    const tokens = (await (await app.api('/api/v1/tokens')).json()) as { items: { name: string }[] };
    expect(tokens.items.some((t) => t.name === 'forged')).toBe(false);
    await viewer.close();

    const security = await browser.newPage({ viewport: DESKTOP });
    await signIn(security, app.url, await app.token('security'));
    await security.goto(`${app.url}/admin`);
    expect(await security.locator('#tokens-h').count()).toBe(0);
    expect(await security.locator('#integrations-h').count()).toBe(1);
    expect(await forged(security, '/admin/tokens', { name: 'forged', role: 'admin' })).toBe(403);
    // A form without the session's CSRF token is refused even for an admin.
    const noCsrf = await admin.evaluate(async () => (await fetch('/admin/tokens', { method: 'POST', body: new URLSearchParams({ name: 'x', role: 'admin' }), redirect: 'manual' })).status);
    expect(noCsrf).toBe(403);
    await security.close();
  }, 60_000);
});
