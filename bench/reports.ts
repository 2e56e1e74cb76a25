// Report rendering: the unified HTML of 50,000 findings (target < 3 s, peak memory < 1 GB) and the
// PDF of 2,000 findings (target < 30 s), from synthetic findings shaped like a container scan.
import { renderHtmlReport } from '../src/reports/html.js';
import { findChromium, htmlToPdf } from '../src/reports/pdf.js';
import { rankFindings, totalsOf, type ReportModel } from '../src/reports/report-model.js';
import type { StoredFinding } from '../src/store/repositories/findings.js';
import { SEVERITIES } from '../src/domain/finding.js';

function findings(n: number): StoredFinding[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    tool: i % 3 ? 'trivy' : 'grype',
    ruleId: `CVE-2024-${10000 + i}`,
    category: 'vulnerability' as const,
    severity: SEVERITIES[i % 5]!,
    title: `Heap overflow in libexample${i % 700} when parsing crafted input <${i}>`,
    vulnerabilityIds: [`CVE-2024-${10000 + i}`],
    cwes: [122],
    package: { name: `libexample${i % 700}`, version: '1.2.3', ecosystem: 'debian' },
    fixedVersions: i % 4 ? ['1.2.4'] : [],
    location: { image: 'registry.example.com/shop:2.0' },
    cvss: [{ version: '3.1', score: (i % 100) / 10 }],
    status: 'open' as const,
    references: [`https://nvd.nist.gov/vuln/detail/CVE-2024-${10000 + i}`],
    fingerprint: i.toString(16).padStart(64, '0'),
    sources: i % 2 ? ['trivy', 'grype'] : ['trivy'],
    firstSeenAt: '2026-11-01T00:00:00.000Z',
    lastSeenAt: '2026-11-29T00:00:00.000Z',
  }));
}

function model(n: number): ReportModel {
  const list = findings(n);
  return {
    scope: 'submission',
    project: { id: 'p', name: 'bench/shop' },
    title: 'bench/shop · main',
    generatedAt: new Date().toISOString(),
    scanhubVersion: 'bench',
    verdict: { outcome: 'fail', summary: 'bench', reasons: [], rules: [], exceptions: [], expiredExceptions: [], counts: { findings: n, excepted: 0, assessed: n }, evaluatedAt: new Date().toISOString() },
    totals: totalsOf(list),
    trend: [],
    freshness: [],
    findings: rankFindings(list, new Map()),
  };
}

async function main() {
  const big = model(50_000);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  const html = renderHtmlReport(big);
  const htmlMs = performance.now() - t0;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(`HTML report, 50,000 findings: ${htmlMs.toFixed(0)} ms, ${(html.length / 1024 / 1024).toFixed(1)} MB, peak RSS ${(peak / 1024 / 1024).toFixed(0)} MB (targets: < 3000 ms, < 1024 MB)`);
  if (!findChromium(process.env.SCANHUB_CHROMIUM)) {
    console.log('PDF report: skipped (no Chromium; install the Debian package "chromium")');
    return;
  }
  const small = renderHtmlReport(model(2_000));
  const t1 = performance.now();
  const pdf = await htmlToPdf(small, { chromium: process.env.SCANHUB_CHROMIUM, timeoutMs: 120_000 });
  console.log(`PDF report, 2,000 findings: ${(performance.now() - t1).toFixed(0)} ms, ${(pdf.length / 1024).toFixed(0)} KB (target: < 30000 ms)`);
}

await main();
