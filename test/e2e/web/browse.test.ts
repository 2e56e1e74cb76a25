// The browse pages in a real browser: every page screenshotted at 1280×800, axe-clean and usable at
// 390 px; the overview's sorting, tag filter and paging; the explorer's filters, grouping and cursor
// paging on a project with two pages of findings; selection → exception request; the PDF prepared
// in the background; and a viewer who sees no decision buttons and whose forged POST is refused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestApp, submissionForm, type TestApp } from '../../helpers/app.js';
import { projectRoot } from '../../helpers/corpus.js';
import { DESKTOP, PHONE, describeBrowser, expectAccessible, expectNoHorizontalScroll, launchBrowser, screenshot, signIn } from '../../helpers/browser.js';
// These run inside the page (page.evaluate); the project is compiled without the DOM library.
declare const document: { querySelector(s: string): { dataset: Record<string, string> } | null };

const demo = (name: string) => readFileSync(join(projectRoot, 'test/apps/demo-reports', name));
const BIG_FINDINGS = 60;
const BIG_SEVERITIES = ['HIGH', 'MEDIUM', 'LOW'];
const BIG_PACKAGES = 7;

/** A Trivy image report with BIG_FINDINGS distinct vulnerabilities (no criticals: the verdict warns). */
function bigTrivyReport(): string {
  const doc = JSON.parse(demo('trivy-image.json').toString('utf8')) as { Results: { Vulnerabilities: Record<string, unknown>[] }[] };
  const template = doc.Results[0]!.Vulnerabilities[0]!;
  doc.Results = [
    {
      ...doc.Results[0]!,
      Vulnerabilities: Array.from({ length: BIG_FINDINGS }, (_, i) => ({
        ...template,
        VulnerabilityID: `CVE-2031-${String(1000 + i)}`,
        PkgID: `libbig${i % BIG_PACKAGES}@1.0.${i % BIG_PACKAGES}`,
        PkgName: `libbig${i % BIG_PACKAGES}`,
        PkgIdentifier: { PURL: `pkg:apk/alpine/libbig${i % BIG_PACKAGES}@1.0.${i % BIG_PACKAGES}` },
        InstalledVersion: `1.0.${i % BIG_PACKAGES}`,
        FixedVersion: i % 2 ? '2.0.0' : '',
        Status: i % 2 ? 'fixed' : 'affected',
        Severity: BIG_SEVERITIES[i % BIG_SEVERITIES.length],
        Title: `Synthetic flaw number ${i} in libbig${i % BIG_PACKAGES}`,
        References: [`https://nvd.nist.gov/vuln/detail/CVE-2031-${1000 + i}`],
      })),
    },
  ];
  return JSON.stringify(doc);
}

describeBrowser('dashboard browse pages', () => {
  let app: TestApp;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let demoSubmission: string;
  let pendingException: string;

  const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  async function submit(project: string, files: { name: string; content: string | Buffer }[]) {
    const res = await app.api(`/api/v1/projects/${encodeURIComponent(project)}/submissions`, { method: 'POST', body: submissionForm({ ref: 'main' }, files) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  beforeAll(async () => {
    app = await startTestApp('pglite');
    browser = await launchBrowser();
    expect((await app.api('/api/v1/projects', json({ name: 'web/demo', tags: ['team-a'] }))).status).toBe(201);
    expect((await app.api('/api/v1/projects', json({ name: 'web/big', tags: ['team-b'] }))).status).toBe(201);
    // Enough projects for a second overview page (20 a page).
    for (let i = 0; i < 20; i += 1) expect((await app.api('/api/v1/projects', json({ name: `web/zz-empty-${String(i).padStart(2, '0')}` }))).status).toBe(201);
    demoSubmission = await submit('web/demo', ['semgrep.json', 'bandit.json', 'trivy-image.json', 'grype-image.json'].map((name) => ({ name, content: demo(name) })));
    await submit('web/big', [{ name: 'trivy-big.json', content: bigTrivyReport() }]);
    // A maintainer's vulnerability-wide request waits for a security user.
    const pending = await app.api('/api/v1/exceptions', {
      ...json({ project: 'web/demo', kind: 'false_positive', reason: 'Test-only code path', owner: 'dev', scope: { type: 'vulnerability', id: 'CVE-2019-10906' } }),
      token: await app.token('maintainer'),
    });
    expect(pending.status).toBe(201);
    pendingException = ((await pending.json()) as { id: string }).id;
    admin = await browser.newContext({ viewport: DESKTOP });
    admin.setDefaultTimeout(15_000);
    page = await admin.newPage();
    await signIn(page, app.url, app.adminToken);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** Screenshot at 1280×800, axe, then the same page at 390 px without sideways scrolling. */
  async function checkPage(path: string, name: string) {
    await page.setViewportSize(DESKTOP);
    const res = await page.goto(app.url + path);
    expect(res?.status(), path).toBe(200);
    await screenshot(page, `browse-${name}`);
    await expectAccessible(page);
    await page.setViewportSize(PHONE);
    await expectNoHorizontalScroll(page);
    await page.setViewportSize(DESKTOP);
  }

  const rowsOf = (p: Page) => p.locator('table.findings tbody tr');

  it('renders every page accessibly at desktop and phone widths', async () => {
    await checkPage('/', 'overview');
    await checkPage('/projects/web%2Fdemo', 'project');
    await checkPage(`/submissions/${demoSubmission}`, 'submission');
    await checkPage('/findings?project=web%2Fdemo', 'findings');
    await checkPage('/findings?project=web%2Fdemo&group=package', 'findings-grouped');
    await page.goto(`${app.url}/findings?project=web%2Fdemo&q=CVE-2020-14343`);
    const href = await page.getByRole('link', { name: 'CVE-2020-14343' }).first().getAttribute('href');
    await checkPage(href!, 'finding');
    expect(await page.textContent('main')).toMatch(/trivy/);
    expect(await page.textContent('main')).toMatch(/grype/);
    await checkPage('/triage', 'triage');
    await checkPage(`/triage/request?project=web%2Fdemo&finding=${href!.split('/').pop()}`, 'request');
  }, 180_000);

  it('sorts, filters by tag and pages the overview', async () => {
    const names = async () => page.locator('section.project h2 a').allTextContents();
    await page.goto(`${app.url}/`);
    expect((await names()).slice(0, 2)).toEqual(['web/big', 'web/demo']);
    expect(await names()).toHaveLength(20);
    await page.getByRole('link', { name: 'Next projects' }).click();
    expect(await names()).toEqual(['web/zz-empty-18', 'web/zz-empty-19']);
    await page.goto(`${app.url}/`);
    await page.getByRole('link', { name: 'Worst verdict' }).click();
    expect(new URL(page.url()).searchParams.get('sort')).toBe('verdict');
    expect((await names()).slice(0, 2)).toEqual(['web/demo', 'web/big']); // FAIL before WARN
    await page.getByLabel('Tag').selectOption('team-b');
    await page.getByRole('button', { name: 'Filter' }).click();
    expect(await names()).toEqual(['web/big']);
    expect(new URL(page.url()).searchParams.get('sort')).toBe('verdict'); // the sort survives the filter
    const big = page.locator('section.project').first();
    await expect(big.textContent()).resolves.toContain('WARN');
  });

  it('filters, groups and pages the findings explorer on the server', async () => {
    await page.goto(`${app.url}/findings?project=web%2Fbig`);
    expect(await rowsOf(page).count()).toBe(50);
    const first = await rowsOf(page).locator('td a').allTextContents();
    await page.getByRole('link', { name: 'Next page' }).click();
    const second = await rowsOf(page).locator('td a').allTextContents();
    expect(second).toHaveLength(BIG_FINDINGS - 50);
    expect(new Set([...first, ...second]).size).toBe(BIG_FINDINGS);
    expect(await page.getByRole('link', { name: 'Next page' }).count()).toBe(0);
    // Worst first across the page boundary.
    expect(await rowsOf(page).locator('.sev').last().textContent()).toBe('LOW');

    await page.goto(`${app.url}/findings?project=web%2Fbig`);
    await page.getByLabel('Severity').selectOption('high');
    await page.getByLabel('Fix available').selectOption('true');
    await page.getByRole('button', { name: 'Apply' }).click();
    const expected = Array.from({ length: BIG_FINDINGS }, (_, i) => i).filter((i) => i % 3 === 0 && i % 2 === 1).length;
    expect(await rowsOf(page).count()).toBe(expected);
    expect(new Set(await rowsOf(page).locator('.sev').allTextContents())).toEqual(new Set(['HIGH']));

    await page.goto(`${app.url}/findings?project=web%2Fbig&q=libbig3`);
    expect(await rowsOf(page).count()).toBe(Array.from({ length: BIG_FINDINGS }, (_, i) => i).filter((i) => i % BIG_PACKAGES === 3).length);
    await page.goto(`${app.url}/findings?project=web%2Fbig&kev=true`);
    expect(await page.textContent('main')).toContain('No findings match these filters.');
    await page.goto(`${app.url}/findings?project=web%2Fbig&epss=0.5`);
    expect(await page.textContent('main')).toContain('No findings match these filters.');

    await page.goto(`${app.url}/findings?project=web%2Fbig`);
    await page.getByLabel('Group').selectOption('package');
    await page.getByRole('button', { name: 'Apply' }).click();
    const groups = page.locator('section table tbody tr');
    expect(await groups.count()).toBe(BIG_PACKAGES);
    const counts = (await groups.locator('td:nth-child(3)').allTextContents()).map(Number);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(BIG_FINDINGS);
    await groups.first().getByRole('link').click();
    expect(new URL(page.url()).searchParams.get('q')).toMatch(/^libbig\d$/);
    expect(await rowsOf(page).count()).toBe(counts[0]);
  });

  it('requests exceptions for a selection of findings from the explorer', async () => {
    await page.goto(`${app.url}/findings?project=web%2Fbig&severity=low`);
    const boxes = rowsOf(page).locator('input[type=checkbox]');
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.getByRole('button', { name: 'Request an exception for the selected findings' }).click();
    await page.waitForURL(/\/triage\/request\?/);
    expect(await page.locator('main ul.plain li').count()).toBe(2);
    await page.getByLabel('Kind').selectOption('false_positive');
    await page.getByLabel('Reason').fill('The package is not loaded at runtime.');
    await page.getByRole('button', { name: 'Request the exception' }).click();
    await page.waitForURL(/\/triage\?/);
    // Finding-scoped exceptions need no approval (DESIGN §5): in force at once, one per finding.
    expect(await page.getByRole('status').textContent()).toBe('Requested 2 exceptions; in force now.');
    const list = (await (await app.api('/api/v1/exceptions?project=web%2Fbig&status=approved')).json()) as { items: { scope: { type: string } }[] };
    expect(list.items.filter((e) => e.scope.type === 'finding')).toHaveLength(2);
  });

  it('prepares the PDF in the background and offers the download', async () => {
    await page.goto(`${app.url}/submissions/${demoSubmission}`);
    await page.getByRole('link', { name: 'PDF report' }).click();
    await page.getByText('The PDF is ready.').waitFor({ timeout: 90_000 });
    const link = page.locator('[data-pdf] a');
    expect(await link.getAttribute('href')).toMatch(/^blob:/);
    expect(await link.getAttribute('download')).toMatch(/\.pdf$/);
  }, 120_000);

  it('shows a viewer no decision buttons and refuses a forged decision', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const viewer = await context.newPage();
    await signIn(viewer, app.url, await app.token('viewer'));
    await viewer.goto(`${app.url}/triage`);
    expect(await viewer.textContent('main')).toContain('Test-only code path');
    expect(await viewer.getByRole('button', { name: /^(Approve|Reject)/ }).count()).toBe(0);
    const forged = await viewer.evaluate(async (id) => {
      const csrf = document.querySelector('main')?.dataset.csrf ?? '';
      const post = async (body: string) => (await fetch(`/triage/${id}/approve`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })).status;
      return { withToken: await post(`_csrf=${encodeURIComponent(csrf)}`), withoutToken: await post('') };
    }, pendingException);
    expect(forged).toEqual({ withToken: 403, withoutToken: 403 });
    // Not even an admin's page session may decide without the form's token.
    const noToken = await page.evaluate(async (id) => (await fetch(`/triage/${id}/approve`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' })).status, pendingException);
    expect(noToken).toBe(403);
    const after = (await (await app.api(`/api/v1/exceptions/${pendingException}`)).json()) as { status: string };
    expect(after.status).toBe('pending');
    await context.close();
  });
});
