// Pure decisions of the notifier: which findings a rule's filters keep, whether a moment is inside
// quiet hours (and when they end), and when a digest is next due.
import { CronExpressionParser } from 'cron-parser';
import picomatch from 'picomatch';
import type { Finding, Severity } from '../domain/finding.js';
import { parseSeverityComparison, severityRank } from '../domain/severity.js';
import type { AlertFilters, AlertRuleSpec } from './rule-schema.js';

export interface AlertFinding {
  finding: Finding;
  sources: string[];
  isNew: boolean;
  kev?: boolean | undefined;
  epss?: number | undefined;
}

export function projectMatches(filters: AlertFilters, projectName: string | undefined, tags: readonly string[] = []): boolean {
  if (filters.tag && !tags.includes(filters.tag.toLowerCase())) return false;
  if (!filters.project) return true;
  return projectName !== undefined && picomatch.isMatch(projectName, filters.project, { dot: true });
}

export function filterFindings(filters: AlertFilters, findings: readonly AlertFinding[], event: string): AlertFinding[] {
  const severity = filters.severity ? parseSeverityComparison(filters.severity) : undefined;
  const newOnly = filters.newOnly ?? event === 'finding.new';
  const tools = filters.tool ? filters.tool.map((t) => picomatch(t, { nocase: true })) : undefined;
  return findings.filter((f) => {
    if (newOnly && !f.isNew) return false;
    if (severity && !severity(f.finding.severity)) return false;
    if (filters.category && !filters.category.includes(f.finding.category)) return false;
    if (tools && !f.sources.some((s) => tools.some((m) => m(s)))) return false;
    if (filters.kev !== undefined && Boolean(f.kev) !== filters.kev) return false;
    if (filters.epss !== undefined && !(f.epss !== undefined && f.epss >= filters.epss)) return false;
    if (filters.fixAvailable !== undefined && f.finding.fixedVersions.length > 0 !== filters.fixAvailable) return false;
    return true;
  });
}

export function worstSeverity(findings: readonly { finding: Finding }[]): Severity | undefined {
  let worst: Severity | undefined;
  for (const f of findings) if (worst === undefined || severityRank(f.finding.severity) > severityRank(worst)) worst = f.finding.severity;
  return worst;
}

/** Minutes since midnight of `at` in `timeZone`. */
function minutesIn(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
  return hour * 60 + minute;
}

const toMinutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/**
 * When a message may go out under the rule's quiet hours: `at` itself, or the end of the quiet
 * period (a critical goes at once when the rule lets critical override).
 */
export function sendTimeUnderQuietHours(spec: Pick<AlertRuleSpec, 'quietHours'>, severity: Severity | undefined, at: Date): { at: Date; deferred: boolean } {
  const q = spec.quietHours;
  if (!q) return { at, deferred: false };
  if (severity === 'critical' && q.criticalOverrides) return { at, deferred: false };
  const now = minutesIn(at, q.timeZone);
  const start = toMinutes(q.start);
  const end = toMinutes(q.end);
  const inside = start <= end ? now >= start && now < end : now >= start || now < end;
  if (!inside) return { at, deferred: false };
  const wait = (end - now + 1440) % 1440;
  const until = new Date(at.getTime() + wait * 60_000);
  until.setUTCSeconds(0, 0);
  return { at: until, deferred: true };
}

export function nextDigestAt(schedule: string, timeZone: string | undefined, after: Date): Date {
  return CronExpressionParser.parse(schedule, { currentDate: after, tz: timeZone ?? 'UTC' }).next().toDate();
}
