// Parser output → the findings model, fast: the zod schema (domain/finding.ts) documents the model
// and types it, while this hand-written check runs per finding on the hot path (a large report has
// tens of thousands). It applies the same defaults and refuses the same invalid values.
import { CATEGORIES, CONFIDENCES, FINDING_STATUSES, SEVERITIES, type NormalisedFinding, type ParsedFinding } from '../domain/finding.js';
import { orderVulnIds } from '../plugins/parse-helpers.js';

const SEVERITY_SET = new Set<string>(SEVERITIES);
const CATEGORY_SET = new Set<string>(CATEGORIES);
const STATUS_SET = new Set<string>(FINDING_STATUSES);
const CONFIDENCE_SET = new Set<string>(CONFIDENCES);

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The normalised finding, or the reason it is not one (a plugin bug or an unreadable item). */
export function normaliseFinding(
  raw: ParsedFinding,
  /** The plugin that parsed it, and the report's tool version (the default for items without one). */
  source: { tool?: string; toolVersion?: string | undefined } = {},
): { ok: true; finding: NormalisedFinding } | { ok: false; reason: string } {
  const tool = source.tool ?? raw.tool;
  if (typeof tool !== 'string' || tool === '') return { ok: false, reason: 'tool is missing' };
  if (typeof raw.ruleId !== 'string' || raw.ruleId.trim() === '') return { ok: false, reason: 'ruleId is missing' };
  if (!CATEGORY_SET.has(raw.category)) return { ok: false, reason: `category "${String(raw.category)}" is not one of ${CATEGORIES.join(', ')}` };
  if (!SEVERITY_SET.has(raw.severity)) return { ok: false, reason: `severity "${String(raw.severity)}" is not one of ${SEVERITIES.join(', ')}` };
  if (typeof raw.title !== 'string') return { ok: false, reason: 'title is missing' };
  const status = raw.status ?? 'open';
  if (!STATUS_SET.has(status)) return { ok: false, reason: `status "${String(status)}" is not valid` };
  if (raw.confidence !== undefined && !CONFIDENCE_SET.has(raw.confidence)) return { ok: false, reason: 'confidence is not valid' };
  const cwes = raw.cwes ?? [];
  if (!Array.isArray(cwes) || !cwes.every((c) => Number.isInteger(c) && c > 0)) return { ok: false, reason: 'cwes must be positive integers' };
  if (raw.vulnerabilityIds !== undefined && !isStringArray(raw.vulnerabilityIds)) return { ok: false, reason: 'vulnerabilityIds must be a list of strings' };
  if (raw.fixedVersions !== undefined && !isStringArray(raw.fixedVersions)) return { ok: false, reason: 'fixedVersions must be a list of strings' };
  if (raw.references !== undefined && !isStringArray(raw.references)) return { ok: false, reason: 'references must be a list of strings' };
  if (raw.package !== undefined && (typeof raw.package.name !== 'string' || raw.package.name === '')) return { ok: false, reason: 'package.name is missing' };
  if (raw.cvss !== undefined && !raw.cvss.every((c) => typeof c.version === 'string' && (c.score === undefined || (c.score >= 0 && c.score <= 10)))) {
    return { ok: false, reason: 'cvss entries need a version and a score from 0 to 10' };
  }
  const loc = raw.location;
  if (loc) {
    for (const key of ['startLine', 'endLine', 'startColumn', 'endColumn'] as const) {
      const n = loc[key];
      if (n !== undefined && !(Number.isInteger(n) && n >= 0)) return { ok: false, reason: `location.${key} must be a whole number` };
    }
  }
  // One copy of the item (a report has 100,000): the defaults over it, and a toolVersion only when
  // there is one — added, not deleted (a deleted property makes the object a slow dictionary).
  const finding: NormalisedFinding = {
    ...raw,
    tool,
    ruleId: raw.ruleId,
    vulnerabilityIds: orderVulnIds(raw.vulnerabilityIds ?? []),
    cwes,
    fixedVersions: raw.fixedVersions ?? [],
    status,
    references: raw.references ?? [],
  };
  const toolVersion = raw.toolVersion ?? source.toolVersion;
  if (toolVersion !== undefined) finding.toolVersion = toolVersion;
  return { ok: true, finding };
}
