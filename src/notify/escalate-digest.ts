// Escalation (an unacknowledged alert goes to more channels after a delay) and digests (a rule's
// summary on a cron schedule, sent even when there is nothing new, so silence never means broken).
import type { Job, JobHandler } from '../jobs/queue.js';
import type { Database, Queryable } from '../store/db.js';
import { nextDigestAt, projectMatches } from './match.js';
import { findingLine, insertMessages } from './plan.js';
import type { AlertRuleSpec } from './rule-schema.js';
import type { Finding } from '../domain/finding.js';
import { severityRank } from '../domain/severity.js';
import { notificationSettings } from './settings.js';

export function createEscalationHandler(db: Database, now: () => Date = () => new Date()): JobHandler {
  return async (job: Job) => {
    const primary = (job.payload.primary as string[] | undefined) ?? [];
    const acked = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE id = ANY($1::uuid[]) AND acknowledged_at IS NOT NULL`, [primary]);
    if (acked.rows[0]!.n > 0) return { escalated: false, reason: 'acknowledged' };
    const { rows } = await db.query<{ id: string; name: string; spec: AlertRuleSpec }>(`SELECT id, name, spec FROM alert_rules WHERE id = $1 AND enabled`, [job.payload.ruleId]);
    const rule = rows[0];
    if (!rule?.spec.escalation) return { escalated: false, reason: 'rule removed or without escalation' };
    const project = typeof job.payload.projectId === 'string' ? (await db.query<{ name: string }>(`SELECT name FROM projects WHERE id = $1`, [job.payload.projectId])).rows[0]?.name : undefined;
    const summary = String(job.payload.summary ?? 'an alert');
    const ids = await db.transaction((tx) =>
      insertMessages(tx, { id: rule.id, spec: { channels: rule.spec.escalation!.channels } }, {
        event: 'escalation',
        projectId: typeof job.payload.projectId === 'string' ? job.payload.projectId : null,
        ctx: { event: 'escalation', rule: rule.name, headline: `Unacknowledged critical alert${project ? ` in ${project}` : ''}`, project, summary, worst: 'critical', facts: [{ label: 'Alert', value: summary }], findings: [] },
        sendAfter: now(),
        escalates: primary[0],
      }),
    );
    return { escalated: true, notifications: ids };
  };
}

interface DigestRule {
  id: string;
  name: string;
  spec: AlertRuleSpec;
  project_id: string | null;
  last_digest_at: Date | null;
  created_at: Date;
}

async function buildDigest(q: Queryable, rule: DigestRule, since: Date, now: Date) {
  const { rows: projects } = await q.query<{ id: string; name: string; tags: string[]; last_scan: Date | null }>(
    `SELECT p.id, p.name, p.tags, (SELECT max(created_at) FROM submissions s WHERE s.project_id = p.id) AS last_scan FROM projects p ${rule.project_id ? 'WHERE p.id = $1' : ''} ORDER BY p.name`,
    rule.project_id ? [rule.project_id] : [],
  );
  const chosen = projects.filter((p) => projectMatches(rule.spec.filters, p.name, p.tags));
  const ids = chosen.map((p) => p.id);
  const { rows: fresh } = await q.query<{ data: Finding; project: string }>(
    `SELECT DISTINCT ON (f.id) f.data, p.name AS project FROM occurrences o
       JOIN submissions s ON s.id = o.submission_id JOIN findings f ON f.id = o.finding_id JOIN projects p ON p.id = f.project_id
      WHERE o.change = 'new' AND s.created_at > $1 AND s.created_at <= $2 AND f.project_id = ANY($3::uuid[])`,
    [since, now, ids],
  );
  const { rows: held } = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM notifications WHERE state = 'suppressed' AND created_at > $1 AND created_at <= $2 AND (project_id IS NULL OR project_id = ANY($3::uuid[])) AND reason LIKE 'throttled%'`,
    [since, now, ids],
  );
  const lastScan = chosen.reduce<Date | null>((m, p) => (p.last_scan && (!m || new Date(p.last_scan) > m) ? new Date(p.last_scan) : m), null);
  const ago = lastScan ? `${Math.max(0, Math.round((now.getTime() - lastScan.getTime()) / 3_600_000))} h ago` : 'never';
  const sorted = fresh.map((r) => r.data).sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
  return {
    count: sorted.length,
    facts: [
      { label: 'Projects', value: String(chosen.length) },
      { label: 'New findings', value: String(sorted.length) },
      { label: 'Last scan', value: ago },
      { label: 'Alerts held back by throttling', value: String(held[0]!.n) },
    ],
    findings: sorted.slice(0, 10).map(findingLine),
    more: Math.max(0, sorted.length - 10) || undefined,
    held: held[0]!.n,
    lastScan: ago,
    projectIds: ids,
  };
}

/** Sends every digest that is due; one instance wins each (the last_digest_at compare-and-set). */
export async function runDueDigests(db: Database, now: Date): Promise<number> {
  const { rows } = await db.query<DigestRule>(`SELECT id, name, spec, project_id, last_digest_at, created_at FROM alert_rules WHERE enabled AND event = 'digest'`);
  let sent = 0;
  for (const rule of rows) {
    const since = rule.last_digest_at ? new Date(rule.last_digest_at) : new Date(rule.created_at);
    if (nextDigestAt(rule.spec.schedule!, rule.spec.timeZone, since) > now) continue;
    await db.transaction(async (tx) => {
      const claimed = await tx.query(`UPDATE alert_rules SET last_digest_at = $2 WHERE id = $1 AND last_digest_at IS NOT DISTINCT FROM $3 RETURNING id`, [rule.id, now, rule.last_digest_at]);
      if (claimed.rows.length === 0) return;
      const digest = await buildDigest(tx, rule, since, now);
      const project = rule.project_id ? (await tx.query<{ name: string }>(`SELECT name FROM projects WHERE id = $1`, [rule.project_id])).rows[0]?.name : rule.spec.filters.project;
      const latest = rule.spec.report && digest.projectIds.length === 1
        ? (await tx.query<{ id: string }>(`SELECT id FROM submissions WHERE project_id = $1 AND status = 'completed' ORDER BY created_at DESC LIMIT 1`, [digest.projectIds[0]])).rows[0]?.id
        : undefined;
      await insertMessages(tx, { id: rule.id, spec: rule.spec }, {
        attachReport: latest,
        event: 'digest',
        projectId: rule.project_id,
        ctx: {
          event: 'digest',
          rule: rule.name,
          headline: `${digest.count} new finding${digest.count === 1 ? '' : 's'} since ${since.toISOString().slice(0, 16).replace('T', ' ')} UTC; last scan ${digest.lastScan}`,
          project,
          count: digest.count,
          since: since.toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
          facts: digest.facts,
          findings: digest.findings,
          more: digest.more,
          link: notificationSettings.publicUrl,
          attached: Boolean(latest),
        },
        data: { since: since.toISOString(), newFindings: digest.count, heldBack: digest.held, lastScan: digest.lastScan },
        sendAfter: now,
      });
      sent++;
    });
  }
  return sent;
}
