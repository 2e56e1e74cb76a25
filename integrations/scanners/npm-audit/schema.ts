// Shapes of `npm audit --json` that detection relies on.
import { z } from 'zod';

/** npm ≤ 6: advisories keyed by id, plus actions and metadata. */
export const npm6Schema = z.looseObject({ advisories: z.record(z.string(), z.unknown()), metadata: z.unknown().optional() });

/** npm ≥ 7: auditReportVersion 2, vulnerabilities keyed by package name (or under "audit" for `npm audit fix --dry-run --json`). */
export const npm7Schema = z.looseObject({ auditReportVersion: z.number(), vulnerabilities: z.record(z.string(), z.unknown()) });

/** npm's own failure output: {"error": {"code", "summary", "detail"}}. */
export const npmErrorSchema = z.looseObject({ error: z.looseObject({ code: z.string().optional(), summary: z.string() }) });
