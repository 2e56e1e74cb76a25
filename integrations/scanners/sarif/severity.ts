// SARIF severity: a numeric `security-severity` (CVSS-like, on the result or its rule) wins over
// `level` (DESIGN §2.1): ≥9 critical, ≥7 high, ≥4 medium, >0 low, 0 info; a word is taken as a
// label. Without it: error → high, warning → medium, note → low, none → info; no level → medium
// (SARIF's default level is "warning").
import type { Severity } from '../../../src/domain/finding.js';
import { severityFromLabel, severityFromScore } from '../../../src/domain/severity.js';
import { num, str } from '../../../src/plugins/parse-helpers.js';

const LEVELS: Record<string, Severity> = { error: 'high', warning: 'medium', note: 'low', none: 'info' };

export function sarifSeverity(level: string | undefined, securitySeverity: unknown): { severity: Severity; toolSeverity?: string; score?: number } {
  const score = num(securitySeverity);
  if (score !== undefined && score >= 0 && score <= 10) return { severity: severityFromScore(score)!, toolSeverity: `security-severity ${score}`, score };
  const word = str(securitySeverity);
  const fromWord = word ? severityFromLabel(word) : undefined;
  if (fromWord) return { severity: fromWord, toolSeverity: word };
  const l = level?.toLowerCase();
  return { severity: (l && LEVELS[l]) || 'medium', ...(level ? { toolSeverity: level } : {}) };
}
