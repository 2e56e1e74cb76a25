// The unified HTML report: the ReportModel shaped into a flat view (numbers and strings only, so the
// template stays logic-free) and rendered with the HTML-escaping engine. Self-contained: inline CSS and
// SVG, no scripts, no external assets — it works offline, printed, and inside an email client.
import { SEVERITIES } from '../domain/finding.js';
import { renderHtml } from './engine.js';
import type { ReportFinding, ReportModel } from './report-model.js';
import type { StoredFinding } from '../store/repositories/findings.js';

const COLORS: Record<string, string> = { critical: '#7f0d0d', high: '#b3261e', medium: '#8a5a00', low: '#2f5d8a', info: '#9aa3b0' };
const LABELS: Record<string, string> = { pass: 'Pass', warn: 'Warn', fail: 'Fail', error: 'Error' };
/** Rows beyond this are summarised, not listed: a 50,000-row table helps nobody read. Exports carry them all. */
export const MAX_HTML_ROWS = 50_000;
const TOP_RISKS = 10;

const isHttp = (u: string) => /^https?:\/\//i.test(u);

function ids(f: StoredFinding): string {
  return f.vulnerabilityIds.length ? f.vulnerabilityIds.slice(0, 3).join(', ') : f.ruleId;
}

function where(f: StoredFinding): string {
  const l = f.location;
  if (!l) return '';
  if (l.path) return l.startLine ? `${l.path}:${l.startLine}` : l.path;
  return l.image ?? l.resource ?? '';
}

function pkg(f: StoredFinding): string {
  return f.package ? `${f.package.name}${f.package.version ? `@${f.package.version}` : ''}` : '';
}

function trendView(model: ReportModel) {
  const points = model.trend;
  const width = 640;
  const height = 180;
  const top = 10;
  const bottom = 34;
  const max = Math.max(1, ...points.map((p) => Object.values(p.bySeverity).reduce((a, b) => a + b, 0)));
  const slot = points.length ? width / points.length : width;
  const w = Math.max(4, Math.min(40, slot * 0.6));
  const bars = points.map((p, i) => {
    const x = Math.round(i * slot + (slot - w) / 2);
    let y = height - bottom;
    const segments = [];
    for (const s of SEVERITIES) {
      const n = p.bySeverity[s];
      if (!n) continue;
      const h = Math.max(1, Math.round((n / max) * (height - top - bottom)));
      y -= h;
      segments.push({ y, h, color: COLORS[s], label: `${n} ${s}` });
    }
    const total = Object.values(p.bySeverity).reduce((a, b) => a + b, 0);
    return { x, w: Math.round(w), segments, total, labelX: Math.round(x + w / 2), labelY: height - bottom + 12, outcomeY: height - bottom + 24, outcome: p.outcome ?? '' };
  });
  const last = points[points.length - 1];
  return { width, height, bars, latestTotal: last ? Object.values(last.bySeverity).reduce((a, b) => a + b, 0) : 0 };
}

function rowOf(r: ReportFinding) {
  const f = r.finding;
  return {
    s: f.severity,
    kev: r.kev,
    ids: ids(f),
    title: f.title,
    refs: f.references.filter(isHttp).slice(0, 3),
    pkg: pkg(f),
    where: where(f),
    fix: f.fixedVersions.join(', '),
    tools: (f.sources.length ? f.sources : [f.tool]).join(', '),
    cvss: r.cvssScore === null ? '' : r.cvssScore.toFixed(1),
    exc: r.exception && { kind: r.exception.kind.replace('_', ' '), owner: r.exception.owner, reason: r.exception.reason, expiresAt: r.exception.expiresAt ?? null },
  };
}

export function reportView(model: ReportModel & { fixed?: StoredFinding[] }) {
  const verdict = model.verdict;
  const rows = model.findings.slice(0, MAX_HTML_ROWS).map(rowOf);
  return {
    title: model.title,
    generatedAt: model.generatedAt,
    scanhubVersion: model.scanhubVersion,
    submission: model.submission,
    reportUrl: model.reportUrl && isHttp(model.reportUrl) ? model.reportUrl : undefined,
    verdict: verdict
      ? {
          outcome: verdict.outcome,
          label: LABELS[verdict.outcome] ?? verdict.outcome,
          summary: verdict.summary,
          failed: verdict.rules.filter((r) => r.triggered),
          reasons: verdict.reasons.filter((reason) => !verdict.rules.some((r) => r.triggered && reason.includes(r.id))),
        }
      : { outcome: 'none', label: 'No verdict', summary: 'No submission has been assessed yet.', failed: [], reasons: [] },
    totals: model.totals,
    severities: SEVERITIES.map((name) => ({ name, count: model.totals.bySeverity[name] })),
    categories: Object.entries(model.totals.byCategory).map(([name, count]) => ({ name, count })),
    tools: Object.entries(model.totals.byTool).map(([name, count]) => ({ name, count })),
    changes: model.submission && { ...model.submission.counts, baseline: model.submission.targetRef ?? undefined },
    trend: trendView(model),
    freshness: model.freshness,
    topRisks: model.findings.slice(0, TOP_RISKS).map((r) => ({
      severity: r.finding.severity,
      kev: r.kev,
      epss: r.epss === null ? undefined : r.epss.toFixed(3),
      fix: r.finding.fixedVersions[0],
      ids: ids(r.finding),
      title: r.finding.title,
      where: pkg(r.finding) || where(r.finding),
    })),
    rows,
    shown: rows.length,
    truncated: model.findings.length > rows.length,
    fixed: (model.fixed ?? []).map((f) => ({ severity: f.severity, ids: ids(f), title: f.title })),
  };
}

export function renderHtmlReport(model: ReportModel & { fixed?: StoredFinding[] }): string {
  return renderHtml('reports/report', reportView(model));
}
