// Reports journey: real Semgrep/Bandit output and the demo image reports submitted twice; then every
// format fetched from the API and checked by what would consume it — schemas (SARIF 2.1.0, GitLab
// 15.2.1, CycloneDX 1.6), an XML parser (JUnit), pdftotext (PDF), and Chromium looking at the HTML.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium } from '../../src/reports/pdf.js';
import { startTestApp, submissionForm, type TestApp } from '../helpers/app.js';
import { projectRoot } from '../helpers/corpus.js';
import { cyclonedxValidator, gitlabValidator, sarifValidator } from '../helpers/export-schemas.js';

const chromium = findChromium(process.env.SCANHUB_CHROMIUM);
if (!chromium && process.env.CI === 'true') throw new Error('CI=true but Chromium is missing: the PDF and browser tests must run in CI.');
const demo = (name: string) => readFileSync(join(projectRoot, 'test/apps/demo-reports', name));

describe('reports', () => {
  let app: TestApp;
  let submissionId: string;
  let total: number;

  beforeAll(async () => {
    app = await startTestApp('pglite');
    await app.api('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'shop' }) });
    const submit = async (files: string[]) => {
      const res = await app.api('/api/v1/projects/shop/submissions', { method: 'POST', body: submissionForm({ ref: 'main', commit: 'abc1234' }, files.map((name) => ({ name, content: demo(name) }))) });
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; counts: { total: number } };
    };
    await submit(['semgrep.json', 'trivy-image.json']);
    const second = await submit(['semgrep.json', 'bandit.json', 'trivy-image.json', 'grype-image.json']);
    submissionId = second.id;
    total = second.counts.total;
  });
  afterAll(async () => app.close());

  const report = async (format: string) => {
    const res = await app.api(`/api/v1/submissions/${submissionId}/report?format=${format}`);
    expect(res.status, `${format}: ${res.status}`).toBe(200);
    return { res, body: Buffer.from(await res.arrayBuffer()) };
  };

  it('renders the unified HTML report: verdict, counts, trend, a known CVE, no script, escaped data', async () => {
    const { res, body } = await report('html');
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = body.toString('utf8');
    expect(html).toContain('CVE-2023-0286');
    expect(html).toMatch(/<td class="num" id="total-findings">(\d+)<\/td>/);
    expect(Number(/id="total-findings">(\d+)</.exec(html)![1])).toBe(total);
    expect(html).toContain('<svg role="img"');
    expect(html).not.toMatch(/<script/i);
    expect(html).toMatch(/class="verdict outcome-(pass|warn|fail|error)"/);
  });

  it('exports SARIF, GitLab reports and CycloneDX VEX that their schemas accept', async () => {
    const sarif = JSON.parse((await report('sarif')).body.toString('utf8')) as { runs: { results: unknown[] }[] };
    const validateSarif = sarifValidator();
    expect(validateSarif(sarif), validateSarif.errorsText()).toBe(true);
    expect(sarif.runs[0]!.results.length).toBe(total);
    for (const [format, kind] of [['gitlab-container-scanning', 'container-scanning'], ['gitlab-dependency-scanning', 'dependency-scanning'], ['gitlab-sast', 'sast']] as const) {
      const doc = JSON.parse((await report(format)).body.toString('utf8')) as { vulnerabilities: unknown[] };
      const validate = gitlabValidator(kind);
      expect(validate(doc), `${format}: ${validate.errorsText()}`).toBe(true);
      if (kind !== 'dependency-scanning') expect(doc.vulnerabilities.length, format).toBeGreaterThan(0);
    }
    const vex = JSON.parse((await report('cyclonedx-vex')).body.toString('utf8')) as { vulnerabilities: { id: string; analysis: { state: string } }[] };
    const validateCdx = cyclonedxValidator();
    expect(validateCdx(vex), validateCdx.errorsText()).toBe(true);
    expect(vex.vulnerabilities.map((v) => v.id)).toContain('CVE-2023-0286');
    expect(new Set(vex.vulnerabilities.map((v) => v.analysis.state))).toEqual(new Set(['in_triage']));
  });

  it('exports JUnit with a testcase per policy rule, CSV and JSON with every finding', async () => {
    const verdict = (await (await app.api(`/api/v1/submissions/${submissionId}/verdict`)).json()) as { rules: { id: string }[] };
    const junit = (await report('junit')).body.toString('utf8');
    expect(XMLValidator.validate(junit)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testcase' }).parse(junit) as { testsuites: { testsuite: { testcase: { '@_name': string }[] } } };
    expect(parsed.testsuites.testsuite.testcase.map((t) => t['@_name']).sort()).toEqual(expect.arrayContaining(verdict.rules.map((r) => r.id)));
    const csv = (await report('csv')).body.toString('utf8');
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(total + 1);
    const json = JSON.parse((await report('json')).body.toString('utf8')) as { findings: unknown[] };
    expect(json.findings).toHaveLength(total);
    expect((await app.api(`/api/v1/submissions/${submissionId}/report?format=docx`)).status).toBe(400);
  });

  it('reports a project\'s current state under findings filters', async () => {
    const res = await app.api('/api/v1/projects/shop/report?format=json&ref=main&severity=>=high');
    const body = (await res.json()) as { findings: { severity: string }[] };
    expect(body.findings.length).toBeGreaterThan(0);
    expect(body.findings.every((f) => ['critical', 'high'].includes(f.severity))).toBe(true);
  });

  it('declares the GitLab report schema version the project\'s scan configuration names (default 15.2.1)', async () => {
    const version = async () => ((await (await app.api(`/api/v1/submissions/${submissionId}/report?format=gitlab-sast`)).json()) as { version: string }).version;
    expect(await version()).toBe('15.2.1');
    const put = await app.api('/api/v1/projects/shop/scan-config', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gitlabReportVersion: '15.0.7' }) });
    expect(put.status).toBe(200);
    expect(await version()).toBe('15.0.7');
  });

  it.skipIf(!chromium)('prints a PDF in which pdftotext finds the verdict and a known CVE', async () => {
    const { res, body } = await report('pdf');
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(body.subarray(0, 5).toString()).toBe('%PDF-');
    const dir = mkdtempSync(join(tmpdir(), 'scanhub-pdf-'));
    writeFileSync(join(dir, 'r.pdf'), body);
    const text = execFileSync('pdftotext', [join(dir, 'r.pdf'), '-'], { encoding: 'utf8' });
    expect(text).toMatch(/\b(PASS|WARN|FAIL|ERROR|Pass|Warn|Fail|Error)\b/);
    expect(text).toContain('CVE-2023-0286');
  }, 120_000);

  it.skipIf(!chromium)('shows the verdict, counts and a finding in Chromium, and keeps a screenshot', async () => {
    const { default: puppeteer } = await import('puppeteer-core');
    const browser = await puppeteer.launch({ executablePath: chromium!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1200, height: 900 });
      await page.setContent((await report('html')).body.toString('utf8'), { waitUntil: 'load' });
      const visible = async (selector: string) => page.$eval(selector, (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 ? (el.textContent ?? '') : ''; });
      expect(await visible('.verdict')).toMatch(/Pass|Warn|Fail|Error/);
      expect(await visible('#total-findings')).toBe(String(total));
      expect(await visible('#findings tbody tr')).toMatch(/CVE-|python|semgrep|B\d{3}/i);
      const artifacts = join(projectRoot, 'artifacts');
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'report.png') as `${string}.png`, fullPage: false });
      expect(readFileSync(join(artifacts, 'report.png')).subarray(1, 4).toString()).toBe('PNG');
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('downloads a report with the built CLI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scanhub-report-cli-'));
    const out = join(dir, 'r.sarif');
    // Asynchronously: the server under test runs in this process and must keep answering.
    await promisify(execFile)(process.execPath, [join(projectRoot, 'dist/src/cli/bin.js'), 'report', '--submission', submissionId, '--format', 'sarif', '-o', out], {
      env: { PATH: process.env.PATH, SCANHUB_URL: app.url, SCANHUB_TOKEN: app.adminToken },
    });
    expect((JSON.parse(readFileSync(out, 'utf8')) as { version: string }).version).toBe('2.1.0');
  });
});
