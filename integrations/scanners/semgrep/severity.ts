// Semgrep severities: ERROR/WARNING/INFO (rules) → high/medium/low; CRITICAL/HIGH/MEDIUM/LOW
// (Supply Chain, newer rules) as named; INVENTORY/EXPERIMENT and anything unknown → info.
import type { Severity } from '../../../src/domain/finding.js';

const MAP: Record<string, Severity> = {
  CRITICAL: 'critical',
  ERROR: 'high',
  HIGH: 'high',
  WARNING: 'medium',
  MEDIUM: 'medium',
  MODERATE: 'medium',
  INFO: 'low',
  LOW: 'low',
};

export function semgrepSeverity(label: string | undefined): Severity {
  return (label && MAP[label.toUpperCase()]) || 'info';
}

export { confidenceFromLabel as semgrepConfidence } from '../../../src/plugins/parse-helpers.js';
