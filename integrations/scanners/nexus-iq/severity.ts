// Nexus IQ severity and status rules (readme.md "Severity rule", "Status rule").
import type { FindingStatus, Severity } from '../../../src/domain/finding.js';
import { severityFromScore } from '../../../src/domain/severity.js';
import { num, str } from '../../../src/plugins/parse-helpers.js';

/** IQ's threat categories are the named bands of its 0–10 threat level (contract B.4). */
const THREAT_CATEGORY: Record<string, Severity> = { critical: 'critical', severe: 'high', moderate: 'medium', low: 'low', none: 'info' };

/** Threat level 0–10 → severity: 8–10 critical, 4–7 high, 2–3 medium, 1 low, 0 info. */
export function severityFromThreatLevel(level: unknown): Severity | undefined {
  const n = num(level);
  if (n === undefined || n < 0) return undefined;
  if (n >= 8) return 'critical';
  if (n >= 4) return 'high';
  if (n >= 2) return 'medium';
  if (n >= 1) return 'low';
  return 'info';
}

export function severityFromThreatCategory(category: unknown): Severity | undefined {
  const key = str(category)?.toLowerCase();
  return key ? THREAT_CATEGORY[key] : undefined;
}

/**
 * A security issue's severity: its CVSS score (`severity`) in the usual bands — the vulnerability's
 * own rating, which Dependency-Check and DefectDojo use too — else its threat category, else info.
 * The threat category is not preferred: it is a coarser band of the same score (7.5 is "critical").
 */
export function issueSeverity(score: unknown, threatCategory: unknown): Severity {
  return severityFromScore(num(score)) ?? severityFromThreatCategory(threatCategory) ?? 'info';
}

/**
 * A security issue's triage in IQ: its VEX-style `analysis.state` when it says false positive or not
 * affected, else `status` "Not Applicable" → not_affected; everything else (Open, Acknowledged,
 * Confirmed) stays open.
 */
export function issueStatus(status: unknown, analysisState: unknown): FindingStatus {
  const state = str(analysisState)?.toLowerCase().replace(/[\s-]+/g, '_');
  if (state === 'false_positive') return 'false_positive';
  if (state === 'not_affected') return 'not_affected';
  const s = str(status)?.toLowerCase().replace(/[\s_-]+/g, ' ');
  return s === 'not applicable' ? 'not_affected' : 'open';
}

/** A waived, auto-waived, grandfathered or legacy violation is a risk someone accepted in IQ. */
export function violationAccepted(v: { waived?: boolean | null | undefined; waivedWithAutoWaiver?: boolean | null | undefined; grandfathered?: boolean | null | undefined; legacyViolation?: boolean | null | undefined }): boolean {
  return v.waived === true || v.waivedWithAutoWaiver === true || v.grandfathered === true || v.legacyViolation === true;
}
