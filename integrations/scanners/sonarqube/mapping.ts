// SonarQube's labels → ScanHub's: severity (readme "Severity rule") and triage status.
import type { FindingStatus, Severity } from '../../../src/domain/finding.js';
import { asArray, isRecord, str } from '../../../src/plugins/parse-helpers.js';

/** Legacy issue severity (all versions; deprecated in 10.4, still returned). */
const LEGACY: Record<string, Severity> = { BLOCKER: 'critical', CRITICAL: 'high', MAJOR: 'medium', MINOR: 'low', INFO: 'info' };
/** Software-quality impact severity (10.2+: HIGH/MEDIUM/LOW; 10.8+/2025 adds BLOCKER and INFO). */
const IMPACT: Record<string, Severity> = { BLOCKER: 'critical', HIGH: 'high', MEDIUM: 'medium', LOW: 'low', INFO: 'info' };
/** Hotspot `vulnerabilityProbability`. */
const PROBABILITY: Record<string, Severity> = { HIGH: 'high', MEDIUM: 'medium', LOW: 'low' };

export function legacySeverity(label: string | undefined): Severity | undefined {
  return label ? LEGACY[label.toUpperCase()] : undefined;
}

/** The severity of the issue's SECURITY impact, when it has one (10.2+). */
export function securityImpact(impacts: unknown): { severity: Severity; label: string } | undefined {
  for (const impact of asArray(impacts)) {
    if (!isRecord(impact) || str(impact.softwareQuality)?.toUpperCase() !== 'SECURITY') continue;
    const label = str(impact.severity)?.toUpperCase();
    const severity = label ? IMPACT[label] : undefined;
    if (label && severity) return { severity, label };
  }
  return undefined;
}

export function probabilitySeverity(label: string | undefined): Severity | undefined {
  return label ? (PROBABILITY[label.toUpperCase()] ?? LEGACY[label.toUpperCase()]) : undefined;
}

/** `skip`: the issue is gone from the code (CLOSED): reporting it would keep it open in ScanHub. */
export type TriageStatus = FindingStatus | 'skip';

/**
 * Issue status: `issueStatus` (10.4+: OPEN, CONFIRMED, ACCEPTED, FALSE_POSITIVE, FIXED, IN_SANDBOX)
 * when present, else `status` + `resolution` (FALSE-POSITIVE, WONTFIX, FIXED, REMOVED).
 */
export function issueStatus(issue: Record<string, unknown>): TriageStatus {
  const status = str(issue.status)?.toUpperCase();
  if (status === 'CLOSED') return 'skip';
  switch (str(issue.issueStatus)?.toUpperCase()) {
    case 'FALSE_POSITIVE':
      return 'false_positive';
    case 'ACCEPTED':
      return 'accepted_risk';
    case 'FIXED':
      return 'fixed';
    case 'OPEN':
    case 'CONFIRMED':
    case 'IN_SANDBOX':
      return 'open';
  }
  switch (str(issue.resolution)?.toUpperCase()) {
    case 'FALSE-POSITIVE':
      return 'false_positive';
    case 'WONTFIX':
    case 'ACCEPTED':
      return 'accepted_risk';
    case 'FIXED':
    case 'REMOVED':
      return 'fixed';
  }
  return 'open';
}

/** Hotspot status: TO_REVIEW → open; REVIEWED + SAFE / ACKNOWLEDGED / FIXED. */
export function hotspotStatus(hotspot: Record<string, unknown>): TriageStatus {
  if (str(hotspot.status)?.toUpperCase() === 'CLOSED') return 'skip';
  if (str(hotspot.status)?.toUpperCase() !== 'REVIEWED') return 'open';
  switch (str(hotspot.resolution)?.toUpperCase()) {
    case 'SAFE':
      return 'false_positive';
    case 'ACKNOWLEDGED':
      return 'accepted_risk';
    case 'FIXED':
      return 'fixed';
    default:
      return 'open';
  }
}
