// Journey: edit a project's policy in the browser. An error shows its line and column while typing
// (nothing saved), the fix validates, the dry run re-assesses the recent submissions in the
// background, save creates a version, and the history shows its diff. A viewer can look, not save.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestApp, submissionForm, type TestApp } from '../../helpers/app.js';
import { projectRoot } from '../../helpers/corpus.js';
import { describeBrowser, DESKTOP, expectAccessible, expectNoHorizontalScroll, launchBrowser, PHONE, screenshot, signIn } from '../../helpers/browser.js';

// These run inside the page (page.evaluate); the project is compiled without the DOM library.
declare const document: { querySelector(s: string): { dataset: Record<string, string> } | null };

const yaml = { 'content-type': 'application/yaml' };
const WARN_ON_HIGH_CODE = 'version: 1\nrules:\n  - id: high-code\n    when: { severity: ">=high", category: code }\n    action: warn\n';
const TYPO = 'version: 1\nrules:\n  - id: high-code\n    when: { severty: high }\n    action: fail\n';
const FAIL_ON_HIGH_CODE = WARN_ON_HIGH_CODE.replace('action: warn', 'action: fail');

describeBrowser('journey: policy editor', () => {
  let app: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    app = await startTestApp('pglite');
    browser = await launchBrowser();
    expect((await app.api('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'shop/web' }) })).status).toBe(201);
    expect((await app.api('/api/v1/projects/shop%2Fweb/policy', { method: 'PUT', headers: yaml, body: WARN_ON_HIGH_CODE })).status).toBe(201);
    const semgrep = readFileSync(join(projectRoot, 'test/apps/demo-reports/semgrep.json'), 'utf8');
    const res = await app.api('/api/v1/projects/shop%2Fweb/submissions', { method: 'POST', body: submissionForm({ ref: 'main' }, [{ name: 'semgrep.json', content: semgrep }]) });
    expect(((await res.json()) as { verdict: { outcome: string } }).verdict.outcome).toBe('warn');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const versions = async () => ((await (await app.api('/api/v1/projects/shop%2Fweb/policy/history')).json()) as { items: unknown[] }).items.length;

  it('shows an error at its line and column while typing, dry-runs the fix, saves it and shows the diff', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    const errors: string[] = [];
    // The browser's own /favicon.ico probe (ScanHub serves none) is not the page's doing.
    page.on('console', (m) => m.type() === 'error' && !m.location().url.endsWith('/favicon.ico') && errors.push(`${m.text()} ${m.location().url}`));
    await signIn(page, app.url, app.adminToken);
    await page.goto(`${app.url}/policies/shop%2Fweb`);
    const editor = page.getByLabel('Policy (YAML)');
    expect(await editor.inputValue()).toBe(WARN_ON_HIGH_CODE);

    // Typing, not saving: the server-side validation answers with the line and column.
    await editor.fill(TYPO);
    const problems = page.locator('#policy-problems');
    await expect.poll(() => problems.textContent(), { timeout: 10_000 }).toContain('Line 4, column 13');
    expect(await problems.textContent()).toContain('unknown key "severty"');
    expect(await versions()).toBe(1);
    await screenshot(page, 'policy-editor-error');

    await editor.fill(FAIL_ON_HIGH_CODE);
    await expect.poll(() => problems.textContent(), { timeout: 10_000 }).toContain('The policy is valid.');

    // The dry run re-assesses the submission under the edited text: warn today, fail under the edit.
    await page.getByRole('button', { name: 'Dry run' }).click();
    await expect.poll(() => page.locator('#dry-run-progress').textContent(), { timeout: 20_000 }).toContain('Dry run done: 1 submissions re-assessed.');
    const row = page.locator('#dry-run-results tbody tr');
    expect(await row.count()).toBe(1);
    const cells = await row.first().locator('td').allTextContents();
    expect(cells.slice(4)).toEqual(['WARN', 'FAIL', 'changes']);
    expect(await versions()).toBe(1);
    await screenshot(page, 'policy-editor-dry-run');

    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.waitForURL((u) => u.searchParams.get('saved') === '2');
    expect(await page.getByRole('status').first().textContent()).toContain('Saved as version 2');
    expect(await versions()).toBe(2);
    const latest = page.locator('details.version').first();
    expect(await latest.locator('summary').textContent()).toContain('Version 2');
    expect(await latest.locator('.diff .del').allTextContents()).toEqual(['-     action: warn']);
    expect(await latest.locator('.diff .add').allTextContents()).toEqual(['+     action: fail']);
    await screenshot(page, 'policy-editor');
    await expectAccessible(page);
    expect(errors, 'no CSP or script errors').toEqual([]);
    await page.setViewportSize(PHONE);
    await expectNoHorizontalScroll(page);
    await page.close();
  }, 60_000);

  it('refuses to save an invalid policy without JavaScript too, keeping the text and naming the line', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: DESKTOP });
    const page = await context.newPage();
    await signIn(page, app.url, app.adminToken);
    await page.goto(`${app.url}/policies/shop%2Fweb`);
    await page.getByLabel('Policy (YAML)').fill(TYPO);
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.waitForLoadState();
    expect(await page.locator('#policy-problems').textContent()).toContain('Line 4, column 13');
    expect(await page.getByLabel('Policy (YAML)').inputValue()).toBe(TYPO);
    expect(await versions()).toBe(2);
    await context.close();
  }, 30_000);

  it('shows the organisation policy and the built-in default before one is saved', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    await signIn(page, app.url, app.adminToken);
    await page.goto(`${app.url}/policies`);
    expect(await page.textContent('h1')).toBe('Organisation policy');
    expect(await page.textContent('main')).toContain('the built-in default is shown');
    expect(await page.getByLabel('Policy (YAML)').inputValue()).toContain('version: 1');
    await screenshot(page, 'policy-organisation');
    await expectAccessible(page);
    await page.setViewportSize(PHONE);
    await expectNoHorizontalScroll(page);
    await page.close();
  }, 30_000);

  it('lets a viewer read the policy but not save it: no button, and a forged post is refused', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    await signIn(page, app.url, await app.token('viewer'));
    await page.goto(`${app.url}/policies/shop%2Fweb`);
    expect(await page.getByRole('button', { name: 'Save policy' }).count()).toBe(0);
    expect(await page.getByLabel('Policy (YAML)').getAttribute('readonly')).not.toBeNull();
    const status = await page.evaluate(async (text) => {
      const csrf = document.querySelector('main')?.dataset.csrf ?? '';
      const body = new URLSearchParams({ _csrf: csrf, policy: text });
      return (await fetch('/policies/shop%2Fweb', { method: 'POST', body, redirect: 'manual' })).status;
    }, FAIL_ON_HIGH_CODE.replace('fail', 'warn'));
    expect(status).toBe(403);
    expect(await versions()).toBe(2);
    await page.close();
  }, 30_000);
});
