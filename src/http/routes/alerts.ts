// Alert rules, the notification log (deliveries with their state), acknowledgements, and the channel
// test button. Rules reference channels by id; every change is audited.
import { createHash } from 'node:crypto';
import express, { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { IntegrationError } from '../../plugins/integration-error.js';
import { sendThroughChannel } from '../../notify/deliver.js';
import { renderMessage } from '../../notify/render.js';
import { alertRuleBody, ALERT_EVENTS } from '../../notify/rule-schema.js';
import { audit } from '../../store/audit.js';
import type { Database, Queryable } from '../../store/db.js';
import type { TokenIdentity } from '../../security/tokens.js';
import { getProject } from '../../store/repositories/projects.js';
import { authorize, identity } from '../middleware/auth.js';
import type { AppDeps } from '../deps.js';
import { renderHtml } from '../../reports/engine.js';

export const alertRuleRequest = alertRuleBody.and(z.object({ project: z.string().min(1).max(200).optional() }));
export const notificationQuery = z.object({
  state: z.enum(['pending', 'deferred', 'sending', 'sent', 'suppressed', 'dead']).optional(),
  rule: z.uuid().optional(),
  event: z.enum([...ALERT_EVENTS, 'escalation', 'test']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const channelTestBody = z.strictObject({ to: z.array(z.string().trim().min(3).max(320)).min(1).max(20).optional() });

interface RuleRow {
  id: string;
  name: string;
  event: string;
  project_id: string | null;
  spec: Record<string, unknown>;
  enabled: boolean;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

const present = (r: RuleRow) => ({
  id: r.id,
  name: r.name,
  event: r.event,
  projectId: r.project_id,
  enabled: r.enabled,
  ...r.spec,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export type AlertRuleView = ReturnType<typeof present>;
type AlertDeps = Pick<AppDeps, 'db' | 'connections'>;
const actorOf = (id: TokenIdentity) => `token:${id.name}`;

/** Every channel a rule names must exist and be a notification channel. */
async function checkChannels(q: Queryable, deps: AlertDeps, ids: string[]): Promise<void> {
  const { rows } = await q.query<{ id: string }>(`SELECT id FROM integrations WHERE id = ANY($1::uuid[]) AND kind = ANY($2)`, [ids, deps.connections.filter((c) => c.family === 'channel').map((c) => c.kind)]);
  const missing = ids.filter((id) => !rows.some((r) => r.id === id));
  if (missing.length) throw new AppError('VALIDATION_FAILED', `No notification channel ${missing.join(', ')}: create it with POST /api/v1/channels first.`);
}

/** Creates a rule, or replaces `existing`, from an API-shaped body (alertRuleRequest); audited. */
export async function saveAlertRule(deps: AlertDeps, id: TokenIdentity, body: unknown, requestId: string | undefined, existing?: RuleRow): Promise<AlertRuleView> {
  const { db } = deps;
  const parsed = alertRuleRequest.parse(body ?? {});
  const { project: projectName, name, event, enabled, ...spec } = parsed;
  const projectId = projectName ? (await getProject(db, projectName)).id : id.projectId;
  authorize(id, 'alert.manage', projectId ?? undefined);
  if (id.projectId && projectId !== id.projectId) throw new AppError('FORBIDDEN', 'A project-scoped token manages only its project\'s rules.');
  const row = await db.transaction(async (tx) => {
    await checkChannels(tx, deps, [...spec.channels, ...(spec.escalation?.channels ?? [])].map((c) => c.id));
    const { rows } = existing
      ? await tx.query<RuleRow>(`UPDATE alert_rules SET name = $2, event = $3, project_id = $4, spec = $5, enabled = $6, updated_at = now() WHERE id = $1 RETURNING *`, [existing.id, name, event, projectId, JSON.stringify(spec), enabled])
      : await tx.query<RuleRow>(`INSERT INTO alert_rules (name, event, project_id, spec, enabled, created_by) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING RETURNING *`, [name, event, projectId, JSON.stringify(spec), enabled, actorOf(id)]);
    if (!rows[0]) throw new AppError('CONFLICT', `An alert rule named "${name}" exists already.`);
    await audit(tx, { actor: actorOf(id), action: existing ? 'alert-rule.update' : 'alert-rule.create', targetType: 'alert-rule', targetId: rows[0].id, before: existing && present(existing), after: present(rows[0]), requestId });
    return rows[0];
  });
  return present(row);
}

/** One rule, as the identity may see it. */
export async function loadAlertRule(db: Queryable, id: TokenIdentity, ruleId: string): Promise<RuleRow> {
  if (!z.uuid().safeParse(ruleId).success) throw new AppError('NOT_FOUND', 'No such alert rule.');
  const { rows } = await db.query<RuleRow>(`SELECT * FROM alert_rules WHERE id = $1`, [ruleId]);
  if (!rows[0]) throw new AppError('NOT_FOUND', 'No such alert rule.');
  if (id.projectId && rows[0].project_id !== id.projectId) throw new AppError('FORBIDDEN', 'This token is scoped to another project.');
  return rows[0];
}

export const presentAlertRule = present;

/** Rules by name, the identity's project only when it is scoped; `page` bounds the rows read. */
export async function listAlertRules(db: Queryable, id: TokenIdentity, page?: { limit: number; offset: number }): Promise<AlertRuleView[]> {
  authorize(id, 'read');
  const params: unknown[] = id.projectId ? [id.projectId] : [];
  const limit = page ? ` LIMIT $${params.push(page.limit)} OFFSET $${params.push(page.offset)}` : '';
  const { rows } = await db.query<RuleRow>(`SELECT * FROM alert_rules ${id.projectId ? 'WHERE project_id = $1' : ''} ORDER BY name${limit}`, params);
  return rows.map(present);
}

export async function deleteAlertRule(db: Database, id: TokenIdentity, rule: RuleRow, requestId: string | undefined): Promise<void> {
  authorize(id, 'alert.manage');
  await db.transaction(async (tx) => {
    await tx.query(`DELETE FROM alert_rules WHERE id = $1`, [rule.id]);
    await audit(tx, { actor: actorOf(id), action: 'alert-rule.delete', targetType: 'alert-rule', targetId: rule.id, before: present(rule), requestId });
  });
}

export type NotificationView = Awaited<ReturnType<typeof listNotifications>>[number];

/** The notification log, newest first, filtered; `offset` pages through it (the dashboard). */
export async function listNotifications(db: Queryable, id: TokenIdentity, q: z.output<typeof notificationQuery>, offset = 0) {
  authorize(id, 'read');
  const where = ['true'];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (id.projectId) add('n.project_id = ?', id.projectId);
  if (q.state) add('n.state = ?', q.state);
  if (q.rule) add('n.rule_id = ?', q.rule);
  if (q.event) add('n.event_type = ?', q.event);
  params.push(q.limit, offset);
  const { rows } = await db.query<{ id: string; rule_id: string | null; channel_id: string | null; project_id: string | null; event_type: string; state: string; reason: string | null; recipients: string[]; subject: string | null; attempts: number; provider_id: string | null; created_at: Date; send_after: Date; sent_at: Date | null; acknowledged_at: Date | null }>(
    `SELECT n.id, n.rule_id, n.channel_id, n.project_id, n.event_type, n.state, n.reason, n.recipients, n.message->>'subject' AS subject, n.attempts, n.provider_id, n.created_at, n.send_after, n.sent_at, n.acknowledged_at
       FROM notifications n WHERE ${where.join(' AND ')} ORDER BY n.created_at DESC LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return rows.map((r) => ({ id: r.id, ruleId: r.rule_id, channelId: r.channel_id, projectId: r.project_id, event: r.event_type, state: r.state, reason: r.reason, recipients: r.recipients, subject: r.subject, attempts: r.attempts, providerId: r.provider_id, createdAt: iso(r.created_at), sendAfter: iso(r.send_after), sentAt: iso(r.sent_at), acknowledgedAt: iso(r.acknowledged_at) }));
}

export type ChannelTestResult = { ok: true; providerId: string | null } | { ok: false; error: { code: string; message: string; retryable: boolean } };

/**
 * Sends a test message through a channel and records it in the notification log (event "test",
 * sent or dead with the reason), so it shows among the recent deliveries.
 */
export async function sendChannelTest(deps: Pick<AppDeps, 'db' | 'notifiers' | 'connections' | 'secrets' | 'outbound' | 'now'>, id: TokenIdentity, channelId: string, to: readonly string[]): Promise<ChannelTestResult> {
  const { db } = deps;
  authorize(id, 'integration.manage');
  if (!z.uuid().safeParse(channelId).success) throw new AppError('INTEGRATION_NOT_FOUND', 'No such channel.');
  const { rows } = await db.query<{ name: string; project_id: string | null }>(`SELECT name, project_id FROM integrations WHERE id = $1`, [channelId]);
  if (!rows[0]) throw new AppError('INTEGRATION_NOT_FOUND', 'No such channel.');
  if (id.projectId && rows[0].project_id !== id.projectId) throw new AppError('FORBIDDEN', 'This token is scoped to another project.');
  const message = renderMessage(`test-${Date.now()}`, {
    event: 'test',
    rule: 'channel test',
    channel: rows[0].name,
    headline: `ScanHub can reach this channel ("${rows[0].name}")`,
    facts: [{ label: 'Requested by', value: id.name }],
    findings: [],
  });
  let result: ChannelTestResult;
  try {
    const sent = await sendThroughChannel(deps, channelId, message, to);
    result = { ok: true, providerId: sent.providerId ?? null };
  } catch (error) {
    if (!(error instanceof IntegrationError)) throw error;
    // The channel's own code and message (never a secret) so the person can fix the setting.
    result = { ok: false, error: { code: error.code, message: error.message, retryable: error.retryable } };
  }
  const { attachments: _none, ...logged } = message;
  await db.query(
    `INSERT INTO notifications (channel_id, project_id, event_type, state, reason, recipients, message, attempts, provider_id, sent_at)
     VALUES ($1, $2, 'test', $3, $4, $5, $6, 1, $7, CASE WHEN $3 = 'sent' THEN now() END)`,
    [channelId, rows[0].project_id, result.ok ? 'sent' : 'dead', result.ok ? null : `${result.error.code}: ${result.error.message}`.slice(0, 1000), [...to], JSON.stringify(logged), result.ok ? result.providerId : null],
  );
  return result;
}

export function alertRoutes(deps: AppDeps): Router {
  const { db } = deps;
  const router = Router();
  const requestIdOf = (res: express.Response) => res.locals.requestId as string | undefined;

  router.post('/alert-rules', async (req, res) => {
    authorize(identity(res), 'alert.manage');
    res.status(201).json(await saveAlertRule(deps, identity(res), req.body, requestIdOf(res)));
  });
  router.get('/alert-rules', async (_req, res) => {
    res.json({ items: await listAlertRules(db, identity(res)) });
  });
  router.get('/alert-rules/:id', async (req, res) => {
    authorize(identity(res), 'read');
    res.json(present(await loadAlertRule(db, identity(res), req.params.id)));
  });
  router.put('/alert-rules/:id', async (req, res) => {
    authorize(identity(res), 'alert.manage');
    res.json(await saveAlertRule(deps, identity(res), req.body, requestIdOf(res), await loadAlertRule(db, identity(res), req.params.id)));
  });
  router.delete('/alert-rules/:id', async (req, res) => {
    authorize(identity(res), 'alert.manage');
    await deleteAlertRule(db, identity(res), await loadAlertRule(db, identity(res), req.params.id), requestIdOf(res));
    res.status(204).end();
  });

  router.get('/notifications', async (req, res) => {
    res.json({ items: await listNotifications(db, identity(res), notificationQuery.parse(req.query)) });
  });

  router.post('/notifications/:id/ack', async (req, res) => {
    const id = identity(res);
    authorize(id, 'alert.ack');
    if (!z.uuid().safeParse(req.params.id).success) throw new AppError('NOT_FOUND', 'No such notification.');
    const { rows } = await db.query<{ id: string }>(
      `UPDATE notifications SET acknowledged_at = COALESCE(acknowledged_at, now()), acknowledged_by = COALESCE(acknowledged_by, $2) WHERE id = $1 ${id.projectId ? 'AND project_id = $3' : ''} RETURNING id`,
      id.projectId ? [req.params.id, actorOf(identity(res)), id.projectId] : [req.params.id, actorOf(identity(res))],
    );
    if (!rows[0]) throw new AppError('NOT_FOUND', 'No such notification.');
    res.json({ id: rows[0].id, acknowledged: true });
  });

  router.post('/channels/:id/test', async (req, res) => {
    const id = identity(res);
    authorize(id, 'integration.manage');
    const body = channelTestBody.parse(req.body ?? {});
    const result = await sendChannelTest(deps, id, String(req.params.id), body.to ?? []);
    res.status(result.ok ? 200 : 502).json(result);
  });
  return router;
}

/** The acknowledgement link in alert messages: a capability token, no login needed. */
export function ackPageRoutes(deps: AppDeps): Router {
  const router = Router();
  router.get('/notifications/ack/:token', async (req, res) => {
    const token = String(req.params.token);
    const { rows } = /^[\w-]{20,64}$/.test(token)
      ? await deps.db.query<{ id: string; subject: string }>(
          `UPDATE notifications SET acknowledged_at = COALESCE(acknowledged_at, now()), acknowledged_by = COALESCE(acknowledged_by, 'link') WHERE ack_token_hash = $1 RETURNING id, message->>'subject' AS subject`,
          [hashToken(token)],
        )
      : { rows: [] };
    res.status(rows[0] ? 200 : 404).type('html').send(renderHtml('pages/ack', { ok: Boolean(rows[0]), subject: rows[0]?.subject }));
  });
  return router;
}
