// The unified report's data: one model for a submission or a project's current state, assembled from
// the store, rendered by the HTML template and summarised by notifications. Pure shaping lives here
// so the bench can build a 50,000-finding model without a database.
import { knownExploitation, SEVERITIES, type Severity } from '../domain/finding.js';
import { severityRank } from '../domain/severity.js';
import type { AppliedException, Verdict } from '../domain/policy/evaluate.js';
import type { SubmissionCounts } from '../ingest/submit.js';
import type { StoredFinding } from '../store/repositories/findings.js';

export interface TrendPoint {
  at: string;
  outcome: string | null;
  bySeverity: Record<Severity, number>;
}

export interface FreshnessEntry {
  tool: string;
  dbUpdatedAt: string | null;
  ageDays: number | null;
}

export interface ReportFinding {
  finding: StoredFinding;
  exception?: AppliedException | undefined;
  /** Ordering key of "top risks first": KEV, then EPSS, then fix available, then severity. */
  risk: number;
  kev: boolean;
  epss: number | null;
  fixAvailable: boolean;
  cvssScore: number | null;
}

export interface ReportModel {
  scope: 'submission' | 'project';
  project: { id: string; name: string };
  title: string;
  generatedAt: string;
  scanhubVersion: string;
  submission?: { id: string; ref: string; commit: string | null; targetRef: string | null; tools: string[]; createdAt: string; counts: SubmissionCounts } | undefined;
  verdict?: Verdict | undefined;
  totals: { findings: number; bySeverity: Record<Severity, number>; byCategory: Record<string, number>; byTool: Record<string, number> };
  trend: TrendPoint[];
  freshness: FreshnessEntry[];
  /** Sorted: top risks first. */
  findings: ReportFinding[];
  reportUrl?: string | undefined;
}


export function emptySeverityCounts(): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
}

export function rankFindings(findings: readonly StoredFinding[], exceptions: ReadonlyMap<string, AppliedException>): ReportFinding[] {
  const out: ReportFinding[] = findings.map((finding) => {
    const { kev, epss: score } = knownExploitation(finding);
    const epss = score ?? null;
    const fixAvailable = finding.fixedVersions.length > 0;
    const cvssScore = finding.cvss?.reduce<number | null>((max, c) => (c.score !== undefined && (max === null || c.score > max) ? c.score : max), null) ?? null;
    // KEV dominates, then EPSS (0..1), then a fix being available, then severity and CVSS.
    const risk = (kev ? 1000 : 0) + (epss ?? 0) * 100 + (fixAvailable ? 10 : 0) + severityRank(finding.severity) * 2 + (cvssScore ?? 0) / 10;
    return { finding, exception: exceptions.get(finding.fingerprint), risk, kev, epss, fixAvailable, cvssScore };
  });
  return out.sort((a, b) => b.risk - a.risk || a.finding.fingerprint.localeCompare(b.finding.fingerprint));
}

export function totalsOf(findings: readonly StoredFinding[]): ReportModel['totals'] {
  const bySeverity = emptySeverityCounts();
  const byCategory: Record<string, number> = {};
  const byTool: Record<string, number> = {};
  for (const f of findings) {
    bySeverity[f.severity]++;
    byCategory[f.category] = (byCategory[f.category] ?? 0) + 1;
    for (const tool of f.sources.length ? f.sources : [f.tool]) byTool[tool] = (byTool[tool] ?? 0) + 1;
  }
  return { findings: findings.length, bySeverity, byCategory, byTool };
}

export function freshnessOf(reports: readonly { tool: string; dbUpdatedAt?: string | undefined }[], now: Date): FreshnessEntry[] {
  const byTool = new Map<string, FreshnessEntry>();
  for (const r of reports) {
    const ageDays = r.dbUpdatedAt ? Math.max(0, Math.floor((now.getTime() - Date.parse(r.dbUpdatedAt)) / 86_400_000)) : null;
    const prev = byTool.get(r.tool);
    if (!prev || (ageDays !== null && (prev.ageDays === null || ageDays > prev.ageDays))) byTool.set(r.tool, { tool: r.tool, dbUpdatedAt: r.dbUpdatedAt ?? null, ageDays });
  }
  return [...byTool.values()].sort((a, b) => a.tool.localeCompare(b.tool));
}
