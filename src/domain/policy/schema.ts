// Policy as code (DESIGN §4): the YAML's shape as a zod schema. Unknown keys are refused so a typo
// ("severty") is an error with a position, never a silently ignored condition.
import { z } from 'zod';
import { CATEGORIES } from '../finding.js';
import { parseSeverityComparison } from '../severity.js';

const duration = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(m|h|d|w)$/, 'a duration such as 30m, 72h, 7d or 2w')
  .transform((v) => {
    const m = /^(\d+(?:\.\d+)?)\s*(m|h|d|w)$/.exec(v)!;
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
    return Number(m[1]) * unit;
  });

const stringOrList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

const severityComparison = z.string().refine((v) => parseSeverityComparison(v) !== undefined, {
  message: 'a severity or comparison such as high, >=high, <medium',
});

/** A number comparison: 7, ">=7", "<4.0", or { min, max }. */
const scoreRange = z.union([
  z.number().min(0).max(10).transform((n) => ({ min: n, max: 10 })),
  z
    .string()
    .regex(/^\s*(>=|>|<=|<)\s*\d+(\.\d+)?\s*$/, 'a comparison such as >=7 or <4.0')
    .transform((v) => {
      const m = /^\s*(>=|>|<=|<)\s*(\d+(?:\.\d+)?)\s*$/.exec(v)!;
      const n = Number(m[2]);
      return m[1]!.startsWith('>') ? { min: m[1] === '>' ? n + 1e-9 : n, max: 10 } : { min: 0, max: m[1] === '<' ? n - 1e-9 : n };
    }),
  z.strictObject({ min: z.number().min(0).max(10).default(0), max: z.number().min(0).max(10).default(10) }),
]);

export const conditionSchema = z.strictObject({
  severity: severityComparison.optional(),
  category: z.union([z.enum(CATEGORIES), z.array(z.enum(CATEGORIES)).min(1)]).transform((v) => (Array.isArray(v) ? v : [v])).optional(),
  tool: stringOrList.optional(),
  ruleId: stringOrList.optional(),
  vulnerabilityId: stringOrList.optional(),
  package: z
    .union([
      z.string().min(1).transform((name) => ({ name: [name] })),
      z.strictObject({ name: stringOrList.optional(), purl: stringOrList.optional(), ecosystem: stringOrList.optional() }),
    ])
    .optional(),
  path: stringOrList.optional(),
  cwe: z.union([z.number().int().positive(), z.array(z.number().int().positive()).min(1)]).transform((v) => (Array.isArray(v) ? v : [v])).optional(),
  cvss: scoreRange.optional(),
  fixAvailable: z.boolean().optional(),
  new: z.boolean().optional(),
  kev: z.boolean().optional(),
  epss: z.number().min(0).max(1).optional(),
  age: duration.optional(),
});

export const ruleSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][\w.-]*$/, 'letters, digits, ".", "_" and "-"'),
  description: z.string().optional(),
  when: conditionSchema.default({}),
  action: z.enum(['warn', 'fail']),
  allow: z.number().int().min(0).optional(),
  reason: z.string().optional(),
});

export const policySchema = z.strictObject({
  version: z.literal(1),
  require: z
    .strictObject({
      tools: z.array(z.string().min(1)).default([]),
      maxDataAge: duration.optional(),
      staleDataAction: z.enum(['warn', 'fail']).default('warn'),
    })
    .default({ tools: [], staleDataAction: 'warn' }),
  rules: z.array(ruleSchema).default([]).refine((rules) => new Set(rules.map((r) => r.id)).size === rules.length, 'rule ids must be unique'),
});

export type Policy = z.output<typeof policySchema>;
export type PolicyRule = z.output<typeof ruleSchema>;
export type PolicyCondition = z.output<typeof conditionSchema>;
