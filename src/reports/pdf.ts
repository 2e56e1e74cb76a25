// PDF: the HTML report printed by headless Chromium (Debian's chromium through puppeteer-core —
// never a browser download). JavaScript is off and every network request is refused: the report is
// self-contained, so printing it cannot reach anything.
import { existsSync } from 'node:fs';
import { AppError } from '../errors.js';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

export function findChromium(configured?: string): string | undefined {
  if (configured) return existsSync(configured) ? configured : undefined;
  return CANDIDATES.find((p) => existsSync(p));
}

export async function htmlToPdf(html: string, options: { chromium?: string | undefined; timeoutMs?: number } = {}): Promise<Buffer> {
  const executablePath = findChromium(options.chromium);
  if (!executablePath) {
    throw new AppError('NOT_READY', 'PDF needs Chromium: install the Debian package "chromium" or set SCANHUB_CHROMIUM to its path. HTML and the other formats work without it.');
  }
  // Loaded on first use: the CLI and server start without it.
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    // The sandbox needs user namespaces, which containers and root often lack; the page runs no script.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions'],
    timeout: options.timeoutMs ?? 60_000,
  });
  try {
    const page = await browser.newPage();
    await page.setJavaScriptEnabled(false);
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      if (request.url().startsWith('data:') || request.url() === 'about:blank') void request.continue();
      else void request.abort();
    });
    await page.setContent(html, { waitUntil: 'load', timeout: options.timeoutMs ?? 60_000 });
    const pdf = await page.pdf({ format: 'A4', printBackground: true, margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' }, timeout: options.timeoutMs ?? 120_000 });
    return Buffer.from(pdf);
  } finally {
    await browser.close();
  }
}
