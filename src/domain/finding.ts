// The findings model (DESIGN §2): what every parser produces, the API returns and exporters start from.
import { z } from 'zod';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export const CATEGORIES = ['vulnerability', 'code', 'secret', 'misconfiguration', 'license', 'malware', 'other'] as const;
export const FINDING_STATUSES = ['open', 'not_affected', 'false_positive', 'accepted_risk', 'fixed'] as const;
export const CONFIDENCES = ['high', 'medium', 'low'] as const;

export const severitySchema = z.enum(SEVERITIES);
export const categorySchema = z.enum(CATEGORIES);
export const findingStatusSchema = z.enum(FINDING_STATUSES);

export type Severity = z.infer<typeof severitySchema>;
export type Category = z.infer<typeof categorySchema>;
export type FindingStatus = z.infer<typeof findingStatusSchema>;

export const packageSchema = z.object({
  name: z.string().min(1),
  version: z.string().optional(),
  ecosystem: z.string().optional(),
  purl: z.string().optional(),
});

export const locationSchema = z.object({
  path: z.string().optional(),
  startLine: z.number().int().nonnegative().optional(),
  endLine: z.number().int().nonnegative().optional(),
  startColumn: z.number().int().nonnegative().optional(),
  endColumn: z.number().int().nonnegative().optional(),
  image: z.string().optional(),
  layer: z.string().optional(),
  resource: z.string().optional(),
});

export const cvssSchema = z.object({
  version: z.string(),
  score: z.number().min(0).max(10).optional(),
  vector: z.string().optional(),
  source: z.string().optional(),
});

/** A finding as a parser produces it: everything but the fingerprint, which identity computes. */
export const parsedFindingSchema = z.object({
  tool: z.string().min(1),
  toolVersion: z.string().optional(),
  ruleId: z.string().min(1),
  category: categorySchema,
  severity: severitySchema,
  toolSeverity: z.string().optional(),
  title: z.string(),
  description: z.string().optional(),
  vulnerabilityIds: z.array(z.string()).default([]),
  cwes: z.array(z.number().int().positive()).default([]),
  package: packageSchema.optional(),
  fixedVersions: z.array(z.string()).default([]),
  location: locationSchema.optional(),
  cvss: z.array(cvssSchema).optional(),
  status: findingStatusSchema.default('open'),
  confidence: z.enum(CONFIDENCES).optional(),
  references: z.array(z.string()).default([]),
  snippet: z.string().optional(),
  /**
   * The tool's own stable identity for a code finding (semgrep `fingerprint`, SARIF
   * partialFingerprints), when it is stable. Identity prefers it over a code hash.
   */
  toolFingerprint: z.string().optional(),
  /** Hash of a secret's value when the tool exposes one; never the value itself. */
  secretHash: z.string().optional(),
});

export const findingSchema = parsedFindingSchema.extend({
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
});

export type ParsedFinding = z.input<typeof parsedFindingSchema>;
export type NormalisedFinding = z.output<typeof parsedFindingSchema>;
export type Finding = z.output<typeof findingSchema>;
export type FindingPackage = z.infer<typeof packageSchema>;
export type FindingLocation = z.infer<typeof locationSchema>;
export type Cvss = z.infer<typeof cvssSchema>;

/**
 * KEV membership and EPSS score as assessment stores them on a finding (`kev`: the catalogue entry,
 * `epss`: { score, percentile }, see src/assess/assess.ts); every reader goes through here.
 */
export function knownExploitation(finding: object): { kev: boolean; epss: number | undefined } {
  const stored = finding as { kev?: unknown; epss?: { score?: unknown } | null };
  return { kev: Boolean(stored.kev), epss: typeof stored.epss?.score === 'number' ? stored.epss.score : undefined };
}
