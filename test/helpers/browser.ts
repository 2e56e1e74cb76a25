// Browser tests of the dashboard: playwright-core driving Debian's Chromium (never a downloaded
// browser), axe-core for accessibility, screenshots at 1280×800 kept in artifacts/screenshots/.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
// These run inside the page (page.evaluate); the project is compiled without the DOM library.
declare const document: { documentElement: { scrollWidth: number; clientWidth: number }; querySelector(s: string): { dataset: Record<string, string> } | null };
declare const window: unknown;
import { describe, expect } from 'vitest';
import { findChromium } from '../../src/reports/pdf.js';
import { projectRoot } from './corpus.js';

export const chromiumPath = findChromium(process.env.SCANHUB_CHROMIUM);
if (!chromiumPath && process.env.CI === 'true') throw new Error('Browser tests need Chromium in CI (apt-get install chromium).');

/** `describe` that skips, saying why, where no Chromium is installed (outside CI only). */
export const describeBrowser: typeof describe = (chromiumPath
  ? describe
  : (name: string, ...rest: unknown[]) => (describe.skip as (n: string, ...r: unknown[]) => void)(`${name} (skipped: no Chromium; apt-get install chromium)`, ...rest)) as typeof describe;

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath!, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** Signs in through the login form with an API token; the page ends on the overview. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

const screenshotDir = join(projectRoot, 'artifacts', 'screenshots');

/** A full-page screenshot at the page's viewport, kept as a CI artifact. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Runs axe-core (WCAG 2.1 A/AA rules) on the page and fails on any serious or critical violation. */
export async function expectAccessible(page: Page): Promise<void> {
  // Evaluated over the DevTools protocol, which the page's CSP (script-src 'self') does not govern.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as { axe: { run(ctx: unknown, opts: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target })) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, `${page.url()}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
}

/** At phone width nothing may overflow the viewport sideways (tables scroll inside their wrapper). */
export async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `${page.url()} is ${overflow}px wider than the viewport`).toBeLessThanOrEqual(1);
}
