// The triage journey in a real browser: a maintainer signs in, follows the failing submission to the
// finding that failed it and requests an exception; a security user approves it in another browser
// context; the pipeline submits the same reports again and the new verdict passes — on the pages too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestApp, submissionForm, type TestApp } from '../../helpers/app.js';
import { projectRoot } from '../../helpers/corpus.js';
import { DESKTOP, describeBrowser, expectAccessible, launchBrowser, screenshot, signIn } from '../../helpers/browser.js';

const REPORTS = ['semgrep.json', 'bandit.json', 'trivy-image.json', 'grype-image.json'];
const PROJECT = 'journey/shop';

describeBrowser('triage journey: failing verdict → exception → approval → passing verdict', () => {
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

  /** What a pipeline does: the demo shop's real scanner reports, submitted through the API. */
  async function submit(token: string) {
    const files = REPORTS.map((name) => ({ name, content: readFileSync(join(projectRoot, 'test/apps/demo-reports', name)) }));
    const res = await app.api(`/api/v1/projects/${encodeURIComponent(PROJECT)}/submissions`, { method: 'POST', token, body: submissionForm({ ref: 'main' }, files) });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; verdict: { outcome: string } };
  }

  it('passes on the next submission once the exception requested in the browser is approved', async () => {
    expect((await app.api('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: PROJECT }) })).status).toBe(201);
    const ci = await app.token('ci');
    const first = await submit(ci);
    expect(first.verdict.outcome).toBe('fail');

    // The maintainer: overview → the failing submission → the finding that failed it → a request.
    const maintainer = await browser.newContext({ viewport: DESKTOP });
    maintainer.setDefaultTimeout(15_000);
    const page = await maintainer.newPage();
    await signIn(page, app.url, await app.token('maintainer'));
    await page.getByRole('link', { name: 'FAIL: submission on main' }).click();
    await page.waitForURL(`**/submissions/${first.id}`);
    const rule = page.locator('#rule-fixable-critical');
    await expect(rule.textContent()).resolves.toContain('CVE-2020-1747');
    await rule.getByRole('link', { name: 'CVE-2020-14343' }).click();
    await page.waitForURL(/\/findings\/[0-9a-f-]{36}$/);
    expect(await page.textContent('h1')).toContain('CVE-2020-14343');
    // Both fixable criticals are in PyYAML 5.3.1: one package-wide request covers them, and needs approval.
    await page.getByLabel(/Every finding of package pyyaml/i).check();
    await page.getByLabel('Kind').selectOption('accepted_risk');
    await page.getByLabel(/^Expires/).fill(new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10));
    await page.getByLabel('Reason').fill('Only trusted YAML is loaded; the upgrade ships next sprint.');
    await screenshot(page, 'journey-request-exception');
    await page.getByRole('button', { name: 'Request the exception' }).click();
    await page.waitForURL(/\/triage\?/);
    expect(await page.getByRole('status').textContent()).toContain('1 await a security user’s approval');
    // A maintainer sees the request but cannot decide it.
    await expect(page.getByRole('button', { name: /^Approve/ }).count()).resolves.toBe(0);

    // The security user, in a browser context of their own, approves it.
    const security = await browser.newContext({ viewport: DESKTOP });
    security.setDefaultTimeout(15_000);
    const lead = await security.newPage();
    await signIn(lead, app.url, await app.token('security'));
    await lead.goto(`${app.url}/triage`);
    await expectAccessible(lead);
    await screenshot(lead, 'journey-triage-pending');
    await lead.getByRole('button', { name: /Approve the exception for package pyyaml/i }).click();
    await lead.waitForURL(/\/triage\?done=approve/);
    expect(await lead.getByRole('status').textContent()).toBe('Exception approved.');
    const audit = (await (await app.api('/api/v1/audit?action=exception.approved')).json()) as { items: { action: string; actor: string }[] };
    expect(audit.items.some((e) => e.action === 'exception.approved' && e.actor === 'token:test-security')).toBe(true);

    // The pipeline submits the same reports again: the exception holds, the verdict passes.
    const second = await submit(ci);
    expect(second.verdict.outcome).toBe('pass');
    await page.goto(`${app.url}/`);
    await expect(page.getByRole('link', { name: 'PASS: submission on main' }).count()).resolves.toBe(1);
    await page.getByRole('link', { name: 'PASS: submission on main' }).click();
    await page.waitForURL(`**/submissions/${second.id}`);
    expect(await page.textContent('#verdict-h')).toContain('PASS');
    expect(await page.textContent('main')).toContain('Only trusted YAML is loaded');
    await screenshot(page, 'journey-passing-submission');
    await maintainer.close();
    await security.close();
  }, 120_000);
});
