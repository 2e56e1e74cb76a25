// What both npm audit formats share: severity words, fixed-version ranges, advisory ids.
import type { Severity } from '../../../src/domain/finding.js';
import { severityFromLabel } from '../../../src/domain/severity.js';
import { vulnIdsInText } from '../../../src/plugins/parse-helpers.js';

/** npm says info/low/moderate/high/critical; moderate is medium. */
export function npmSeverity(label: string | undefined): Severity {
  return severityFromLabel(label) ?? 'info';
}

/** ">=1.10.0" → ["1.10.0"]; "<0.0.0" (no fix) → []; anything else kept as npm wrote it. */
export function patchedVersions(range: string | undefined): string[] {
  if (!range || /^<\s*0\.0\.0/.test(range.trim())) return [];
  const simple = /^>=\s*([0-9][\w.+-]*)$/.exec(range.trim());
  return [simple ? simple[1]! : range.trim()];
}

/** The GHSA id in an advisory URL (https://github.com/advisories/GHSA-…), if any. */
export function ghsaFromUrl(url: string | undefined): string | undefined {
  return vulnIdsInText(url).find((id) => id.startsWith('GHSA'));
}
