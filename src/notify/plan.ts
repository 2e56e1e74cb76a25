// From an event to the messages it causes, in the event's own transaction: the matching rules,
// their filters over the submission's findings, the dedup window, the throttle, quiet hours, then one
// rendered message per rule and channel in the outbox plus a delivery job — one message per event per
// rule however many findings it carries.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { knownExploitation, type Finding } from '../domain/finding.js';
import { severityRank } from '../domain/severity.js';
import { enqueue } from '../jobs/queue.js';
import type { Queryable } from '../store/db.js';
import { filterFindings, projectMatches, sendTimeUnderQuietHours, worstSeverity, type AlertFinding } from './match.js';
import { renderMessage, type MessageContext } from './render.js';
import type { AlertRuleSpec } from './rule-schema.js';
import { notificationSettings } from './settings.js';

export const DELIVER_QUEUE = 'notify.deliver';
export const ESCALATE_QUEUE = 'notify.escalate';
const LISTED = 10;
const DEFAULT_DEDUP_SECONDS = 24 * 3600;

export interface PlannedEvent {
  id: string;
  type: string;
  projectId: string | null;
  payload: Record<string, unknown>;
}

interface RuleRow {
  id: string;
  name: string;
  spec: AlertRuleSpec;
}

const FINDING_FILTERS = ['severity', 'category', 'tool', 'kev', 'epss', 'fixAvailable'] as const;

export async function submissionFindings(q: Queryable, submissionId: string): Promise<AlertFinding[]> {
  const { rows } = await q.query<{ data: Finding; tools: string[]; change: string | null }>(
    `SELECT f.data, f.tools, bool_or(o.change IN ('new', 'reopened'))::text AS change
       FROM occurrences o JOIN findings f ON f.id = o.finding_id
      WHERE o.submission_id = $1 GROUP BY f.id, f.data, f.tools`,
    [submissionId],
  );
  return rows.map((r) => ({ finding: r.data, sources: r.tools, isNew: r.change === 'true', ...knownExploitation(r.data) }));
}

export function findingLine(f: Finding): { severity: string; ids: string; title: string; where?: string } {
  const where = f.package ? `${f.package.name}${f.package.version ? `@${f.package.version}` : ''}` : f.location?.path ? `${f.location.path}${f.location.startLine ? `:${f.location.startLine}` : ''}` : f.location?.image;
  return { severity: f.severity, ids: f.vulnerabilityIds.slice(0, 2).join(', ') || f.ruleId, title: f.title, ...(where ? { where } : {}) };
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Inserts one outbox row per channel target and its delivery job; returns the primary ids. */
export async function insertMessages(
  q: Queryable,
  rule: { id: string | null; spec: Pick<AlertRuleSpec, 'channels'> },
  input: { event: string; projectId: string | null; ctx: MessageContext; data?: Record<string, unknown>; sendAfter: Date; deferredReason?: string | undefined; attachReport?: string | undefined; escalates?: string | undefined; ackable?: boolean },
): Promise<string[]> {
  const ids: string[] = [];
  for (const target of rule.spec.channels) {
    const id = randomUUID();
    const ackToken = input.ackable ? randomBytes(24).toString('base64url') : undefined;
    const ackLink = ackToken && notificationSettings.publicUrl ? `${notificationSettings.publicUrl.replace(/\/$/, '')}/notifications/ack/${ackToken}` : undefined;
    const message = renderMessage(id, { ...input.ctx, ackLink }, input.data);
    await q.query(
      `INSERT INTO notifications (id, rule_id, channel_id, project_id, event_type, state, reason, recipients, message, attach_report, severity, ack_token_hash, escalates, send_after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        id,
        rule.id,
        target.id,
        input.projectId,
        input.event,
        input.deferredReason ? 'deferred' : 'pending',
        input.deferredReason ?? null,
        target.to ?? [],
        JSON.stringify(message),
        input.attachReport ?? null,
        message.severity ?? null,
        ackToken ? hashToken(ackToken) : null,
        input.escalates ?? null,
        input.sendAfter,
      ],
    );
    await enqueue(q, DELIVER_QUEUE, { notificationId: id }, { dedupeKey: id, runAt: input.sendAfter, maxAttempts: 6 });
    ids.push(id);
  }
  return ids;
}

async function throttled(q: Queryable, rule: RuleRow, projectId: string | null, now: Date): Promise<boolean> {
  const t = rule.spec.throttle;
  if (!t) return false;
  // Firings, not rows: every firing writes one row per channel.
  const { rows } = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM notifications
      WHERE rule_id = $1 AND project_id IS NOT DISTINCT FROM $2 AND escalates IS NULL AND state <> 'suppressed' AND created_at > $3`,
    [rule.id, projectId, new Date(now.getTime() - t.per * 1000)],
  );
  return Math.ceil(rows[0]!.n / Math.max(1, rule.spec.channels.length)) >= t.max;
}

async function withoutRecentlyAlerted(q: Queryable, rule: RuleRow, findings: AlertFinding[], now: Date): Promise<AlertFinding[]> {
  if (findings.length === 0) return findings;
  const window = rule.spec.dedup ?? DEFAULT_DEDUP_SECONDS;
  const { rows } = await q.query<{ fingerprint: string }>(
    `SELECT fingerprint FROM notification_findings WHERE rule_id = $1 AND fingerprint = ANY($2::text[]) AND alerted_at > $3`,
    [rule.id, findings.map((f) => f.finding.fingerprint), new Date(now.getTime() - window * 1000)],
  );
  const recent = new Set(rows.map((r) => r.fingerprint));
  return findings.filter((f) => !recent.has(f.finding.fingerprint));
}

const HEADLINES: Record<string, string> = {
  'finding.new': 'New findings',
  'gate.failed': 'The security gate failed',
  'gate.passed': 'The security gate passed',
  'gate.warned': 'The security gate passed with warnings',
  'gate.error': 'The security gate could not decide (error)',
  'scan.completed': 'A scan completed',
  'exception.expiring': 'An exception is about to expire',
  'data.stale': 'Vulnerability data is stale',
  'data.update_failed': 'A vulnerability data update failed',
  'notification.failed': 'A notification could not be delivered',
  'finding.kev_added': 'A finding is now known to be exploited (CISA KEV)',
  'gate.changed': 'A verdict changed after a vulnerability-data update',
};

/** Plans the notifications of one event. Returns how many messages were written. */
export async function planNotifications(q: Queryable, event: PlannedEvent, now: Date): Promise<number> {
  const { rows: rules } = await q.query<RuleRow>(
    `SELECT id, name, spec FROM alert_rules WHERE enabled AND event = $1 AND (project_id IS NULL OR project_id = $2) ORDER BY name`,
    [event.type, event.projectId],
  );
  if (rules.length === 0) return 0;
  const projectRow = event.projectId ? (await q.query<{ name: string; tags: string[] }>(`SELECT name, tags FROM projects WHERE id = $1`, [event.projectId])).rows[0] : undefined;
  const project = projectRow?.name;
  const submissionId = typeof event.payload.submissionId === 'string' ? event.payload.submissionId : undefined;
  const all = submissionId ? await submissionFindings(q, submissionId) : [];
  let written = 0;
  for (const rule of rules) {
    const spec = rule.spec;
    if (!projectMatches(spec.filters, project, projectRow?.tags ?? [])) continue;
    const usesFindings = event.type === 'finding.new' || FINDING_FILTERS.some((k) => spec.filters[k] !== undefined) || spec.filters.newOnly;
    let matched = usesFindings ? filterFindings(spec.filters, all, event.type) : all;
    if (event.type === 'finding.new') matched = await withoutRecentlyAlerted(q, rule, matched, now);
    if (usesFindings && matched.length === 0) continue;
    const worst = worstSeverity(matched);
    const ctx: MessageContext = {
      event: event.type,
      rule: rule.name,
      headline: `${HEADLINES[event.type] ?? event.type}${project ? ` in ${project}` : ''}`,
      project,
      ref: typeof event.payload.ref === 'string' ? event.payload.ref : undefined,
      summary: typeof event.payload.summary === 'string' ? event.payload.summary : undefined,
      count: matched.length,
      worst,
      facts: [
        ...(project ? [{ label: 'Project', value: project }] : []),
        ...(typeof event.payload.ref === 'string' ? [{ label: 'Ref', value: event.payload.ref }] : []),
        ...(typeof event.payload.summary === 'string' ? [{ label: 'Verdict', value: event.payload.summary }] : []),
        ...(usesFindings ? [{ label: 'Findings', value: `${matched.length}${worst ? ` (worst: ${worst})` : ''}` }] : []),
      ],
      findings: matched
        .slice()
        .sort((a, b) => severityRank(b.finding.severity) - severityRank(a.finding.severity))
        .slice(0, LISTED)
        .map((f) => findingLine(f.finding)),
      more: Math.max(0, matched.length - LISTED) || undefined,
      link: submissionId && notificationSettings.publicUrl ? `${notificationSettings.publicUrl.replace(/\/$/, '')}/api/v1/submissions/${submissionId}/report` : undefined,
      attached: Boolean(submissionId),
    };
    const data = { event: event.type, eventId: event.id, project: project ?? null, ...event.payload, findings: matched.slice(0, 100).map((f) => ({ fingerprint: f.finding.fingerprint, ...findingLine(f.finding) })) };
    if (await throttled(q, rule, event.projectId, now)) {
      // Recorded, not sent: the next digest says how many alerts the throttle held back.
      await q.query(
        `INSERT INTO notifications (rule_id, project_id, event_type, state, reason, message) VALUES ($1, $2, $3, 'suppressed', $4, $5)`,
        [rule.id, event.projectId, event.type, `throttled: at most ${spec.throttle!.max} per ${spec.throttle!.per} s`, JSON.stringify({ subject: ctx.headline, count: matched.length })],
      );
      continue;
    }
    const timing = sendTimeUnderQuietHours(spec, worst, now);
    const ids = await insertMessages(q, rule, {
      event: event.type,
      projectId: event.projectId,
      ctx,
      data,
      sendAfter: timing.at,
      deferredReason: timing.deferred ? `quiet hours until ${timing.at.toISOString()}` : undefined,
      attachReport: submissionId,
      ackable: Boolean(spec.escalation),
    });
    written += ids.length;
    for (const f of matched) {
      await q.query(
        `INSERT INTO notification_findings (rule_id, fingerprint, alerted_at) VALUES ($1, $2, $3) ON CONFLICT (rule_id, fingerprint) DO UPDATE SET alerted_at = EXCLUDED.alerted_at`,
        [rule.id, f.finding.fingerprint, now],
      );
    }
    if (spec.escalation && matched.some((f) => f.finding.severity === 'critical')) {
      await enqueue(q, ESCALATE_QUEUE, { ruleId: rule.id, primary: ids, projectId: event.projectId, summary: ctx.summary ?? ctx.headline }, { runAt: new Date(now.getTime() + spec.escalation.after * 1000) });
    }
  }
  return written;
}
