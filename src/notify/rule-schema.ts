// Alert rules as the API accepts them: which event, which findings, which channels, and how loud
// (throttle, dedup window, quiet hours, escalation, digest schedule).
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { CATEGORIES } from '../domain/finding.js';
import { parseSeverityComparison } from '../domain/severity.js';

export const ALERT_EVENTS = ['finding.new', 'finding.kev_added', 'gate.changed', 'gate.failed', 'gate.passed', 'gate.warned', 'gate.error', 'scan.completed', 'exception.expiring', 'data.stale', 'data.update_failed', 'notification.failed', 'digest'] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
/** "30m", "1h", "7d" → seconds. */
export const durationSchema = z
  .string()
  .regex(/^\d{1,6}(s|m|h|d)$/, 'a duration such as 30m, 1h or 7d')
  .transform((v) => Number(v.slice(0, -1)) * UNIT_SECONDS[v.slice(-1) as keyof typeof UNIT_SECONDS])
  .pipe(z.number().int().min(1).max(366 * 86400));

const timeZone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'an IANA time zone such as Europe/Paris');

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour');

export const channelTargetSchema = z.strictObject({
  id: z.uuid(),
  /** Overrides the channel's default recipients (email addresses, phone numbers). */
  to: z.array(z.string().trim().min(3).max(320)).min(1).max(100).optional(),
});

export const alertFiltersSchema = z.strictObject({
  severity: z
    .string()
    .max(20)
    .refine((v) => parseSeverityComparison(v) !== undefined, 'a severity such as high or >=high')
    .optional(),
  category: z.array(z.enum(CATEGORIES)).min(1).optional(),
  tool: z.array(z.string().min(1).max(64)).min(1).optional(),
  /** Project name or glob ("team/*"). */
  project: z.string().min(1).max(200).optional(),
  /** Projects carrying this tag (PATCH /projects/{p} {"tags": [...]}). */
  tag: z.string().min(1).max(63).optional(),
  kev: z.boolean().optional(),
  epss: z.number().min(0).max(1).optional(),
  fixAvailable: z.boolean().optional(),
  /** Only findings new in the submission (default for finding.new). */
  newOnly: z.boolean().optional(),
});

export const alertRuleBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    event: z.enum(ALERT_EVENTS),
    enabled: z.boolean().default(true),
    filters: alertFiltersSchema.default({}),
    channels: z.array(channelTargetSchema).min(1).max(20),
    throttle: z.strictObject({ max: z.number().int().min(1).max(10_000), per: durationSchema }).optional(),
    /** The same finding never alerts twice within this window (finding events). */
    dedup: durationSchema.optional(),
    quietHours: z.strictObject({ start: clock, end: clock, timeZone, criticalOverrides: z.boolean().default(true) }).optional(),
    escalation: z.strictObject({ after: durationSchema, channels: z.array(channelTargetSchema).min(1).max(10) }).optional(),
    /** digest: when to send, as cron, in timeZone (default UTC). */
    schedule: z
      .string()
      .max(100)
      .refine((v) => {
        try {
          CronExpressionParser.parse(v);
          return true;
        } catch {
          return false;
        }
      }, 'a cron expression such as "0 8 * * 1-5"')
      .optional(),
    timeZone: timeZone.optional(),
    /** digest: attach the unified report of the project's latest submission (a scheduled report by email). */
    report: z.boolean().optional(),
  })
  .refine((r) => r.event !== 'digest' || r.schedule, { message: 'a digest needs a schedule (cron)', path: ['schedule'] })
  .refine((r) => !r.escalation || r.event === 'gate.failed' || r.event === 'finding.new', { message: 'escalation applies to gate.failed and finding.new', path: ['escalation'] });

export type AlertRuleSpec = z.output<typeof alertRuleBody>;
export type AlertFilters = z.output<typeof alertFiltersSchema>;
