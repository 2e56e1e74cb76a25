// Severity normalisation shared by every parser (DESIGN §2.1).
import type { Severity } from './finding.js';
import { SEVERITIES } from './finding.js';

const LABELS: Record<string, Severity> = {
  critical: 'critical',
  crit: 'critical',
  blocker: 'critical',
  high: 'high',
  error: 'high',
  major: 'high',
  important: 'high',
  medium: 'medium',
  moderate: 'medium',
  warning: 'medium',
  normal: 'medium',
  low: 'low',
  minor: 'low',
  note: 'low',
  info: 'info',
  informational: 'info',
  information: 'info',
  negligible: 'info',
  none: 'info',
  unknown: 'info',
};

/** Maps a tool's label to a severity, or undefined when the label is absent or means "unknown". */
export function severityFromLabel(label: string | undefined | null): Severity | undefined {
  if (label == null) return undefined;
  const key = String(label).trim().toLowerCase();
  if (key === '' || key === 'unknown' || key === 'unspecified' || key === 'undefined') return undefined;
  return LABELS[key];
}

/** CVSS base score → severity: ≥9 critical, ≥7 high, ≥4 medium, >0 low, 0 info. */
export function severityFromScore(score: number | undefined | null): Severity | undefined {
  if (score == null || !Number.isFinite(score)) return undefined;
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'info';
}

/**
 * The default rule: the tool's own label wins; a numeric score decides only when the label is
 * missing or unknown; with neither, `fallback` (info unless a plugin says otherwise).
 */
export function resolveSeverity(label: string | undefined | null, score?: number | null, fallback: Severity = 'info'): Severity {
  return severityFromLabel(label) ?? severityFromScore(score) ?? fallback;
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(severity);
}

/** Parses a comparison such as ">=high", "high", "<medium" into a predicate. */
export function parseSeverityComparison(expr: string): ((s: Severity) => boolean) | undefined {
  const m = /^\s*(>=|<=|>|<|=)?\s*([a-z]+)\s*$/i.exec(expr);
  if (!m) return undefined;
  const target = m[2]!.toLowerCase() as Severity;
  if (!SEVERITIES.includes(target)) return undefined;
  const t = severityRank(target);
  switch (m[1] ?? '=') {
    case '>=': return (s) => severityRank(s) >= t;
    case '<=': return (s) => severityRank(s) <= t;
    case '>': return (s) => severityRank(s) > t;
    case '<': return (s) => severityRank(s) < t;
    default: return (s) => s === target;
  }
}

/** Severities satisfying a comparison, for SQL `= ANY($n)` filters. */
export function severitiesMatching(expr: string): Severity[] | undefined {
  const pred = parseSeverityComparison(expr);
  return pred ? SEVERITIES.filter(pred) : undefined;
}
