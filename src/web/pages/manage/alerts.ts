// /alerts: alert rules (list, create, edit, delete — validated by the API's zod schema, errors next to
// their fields), notification channels (masked settings, create, edit, "send a test message"),
// recent deliveries and dead letters. Rules, tests and the log go through the API route's functions.
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../../errors.js';
import { ALERT_EVENTS } from '../../../notify/rule-schema.js';
import { deleteAlertRule, listAlertRules, listNotifications, loadAlertRule, presentAlertRule, saveAlertRule, sendChannelTest, type AlertRuleView, type ChannelTestResult } from '../../../http/routes/alerts.js';
import { integrationBody } from '../../../http/routes/integrations.js';
import { authorize } from '../../../http/middleware/auth.js';
import type { AppDeps } from '../../../http/deps.js';
import { assertForm, can, renderPage } from '../../page.js';
import { channelSpec, channelSpecs, createChannel, listChannels, loadChannel, updateChannel } from './channels.js';
import { connectionConfig, connectionFields, settingsSummary } from './connection-form.js';
import { field, fieldErrors, fields, identityOf, iso, pageOf, pager, requestIdOf, smallForm } from './shared.js';

const RULES_PAGE = 25;
const LOG_PAGE = 15;

/** Where each alert-rule schema path is edited on the form. */
const RULE_FIELDS: Record<string, string> = {
  'filters.severity': 'severity',
  'filters.kev': 'kev',
  'filters.newOnly': 'newOnly',
  'filters.project': 'projectGlob',
  'throttle.max': 'throttleMax',
  'throttle.per': 'throttlePer',
  throttle: 'throttleMax',
  channels: 'channels',
};
const RULE_FORM = ['name', 'event', 'project', 'enabled', 'severity', 'kev', 'newOnly', 'projectGlob', 'channels', 'dedup', 'throttleMax', 'throttlePer', 'schedule', 'timeZone'];

const channelMeta = integrationBody.pick({ name: true });

/**
 * The API body for a rule from the form. On an edit, what the form does not show (escalation, quiet
 * hours, other filters, per-channel recipients) is kept from the stored rule.
 */
function ruleBody(form: unknown, existing?: AlertRuleView): Record<string, unknown> {
  const { id: _id, name: _n, event: _e, projectId: _p, enabled: _en, createdBy: _c, createdAt: _ca, updatedAt: _u, ...kept } = (existing ?? {}) as Record<string, unknown>;
  const keptFilters = { ...((kept.filters as Record<string, unknown> | undefined) ?? {}) };
  for (const k of ['severity', 'kev', 'newOnly', 'project']) delete keptFilters[k];
  const severity = field(form, 'severity');
  const projectGlob = field(form, 'projectGlob');
  const keptChannels = new Map(((kept.channels as { id: string; to?: string[] }[] | undefined) ?? []).map((c) => [c.id, c]));
  const throttleMax = field(form, 'throttleMax');
  const throttlePer = field(form, 'throttlePer');
  const body: Record<string, unknown> = {
    ...kept,
    name: field(form, 'name') ?? '',
    event: field(form, 'event'),
    enabled: field(form, 'enabled') === 'on',
    filters: {
      ...keptFilters,
      ...(severity ? { severity } : {}),
      ...(field(form, 'kev') === 'on' ? { kev: true } : {}),
      ...(field(form, 'newOnly') === 'on' ? { newOnly: true } : {}),
      ...(projectGlob ? { project: projectGlob } : {}),
    },
    channels: fields(form, 'channels').map((id) => keptChannels.get(id) ?? { id }),
  };
  const project = field(form, 'project');
  if (project) body.project = project;
  for (const key of ['dedup', 'schedule', 'timeZone'] as const) {
    const value = field(form, key);
    if (value) body[key] = value;
    else delete body[key];
  }
  if (throttleMax || throttlePer) body.throttle = { max: throttleMax === undefined ? undefined : Number(throttleMax), per: throttlePer };
  else delete body.throttle;
  return body;
}

/** The form's values from a stored rule (durations are kept as the seconds the API stored). */
function ruleValues(rule: AlertRuleView & Record<string, unknown>, projectName: string | null) {
  const filters = (rule.filters ?? {}) as Record<string, unknown>;
  const throttle = rule.throttle as { max?: number; per?: number } | undefined;
  const seconds = (v: unknown) => (typeof v === 'number' ? `${v}s` : v === undefined ? '' : String(v));
  return {
    name: rule.name,
    event: rule.event,
    project: projectName ?? '',
    enabled: rule.enabled,
    severity: (filters.severity as string | undefined) ?? '',
    kev: filters.kev === true,
    newOnly: filters.newOnly === true,
    projectGlob: (filters.project as string | undefined) ?? '',
    channels: ((rule.channels as { id: string }[] | undefined) ?? []).map((c) => c.id),
    dedup: seconds(rule.dedup),
    throttleMax: throttle?.max === undefined ? '' : String(throttle.max),
    throttlePer: seconds(throttle?.per),
    schedule: (rule.schedule as string | undefined) ?? '',
    timeZone: (rule.timeZone as string | undefined) ?? '',
  };
}

function formValues(form: unknown): ReturnType<typeof ruleValues> {
  const text = (k: string) => field(form, k) ?? '';
  return {
    name: text('name'),
    event: text('event'),
    project: text('project'),
    enabled: field(form, 'enabled') === 'on',
    severity: text('severity'),
    kev: field(form, 'kev') === 'on',
    newOnly: field(form, 'newOnly') === 'on',
    projectGlob: text('projectGlob'),
    channels: fields(form, 'channels'),
    dedup: text('dedup'),
    throttleMax: text('throttleMax'),
    throttlePer: text('throttlePer'),
    schedule: text('schedule'),
    timeZone: text('timeZone'),
  };
}

export function alertPages(deps: AppDeps): Router {
  const { db } = deps;
  const router = Router();

  async function overview(req: Request, res: Response, extra: { tested?: { channelId: string; result: ChannelTestResult }; status?: number } = {}) {
    const id = identityOf(res);
    const rulesPage = pageOf(req, RULES_PAGE, 'rules');
    const logPage = pageOf(req, LOG_PAGE, 'log');
    const deadPage = pageOf(req, LOG_PAGE, 'dead');
    const channels = can(id.role, 'integration.read') ? await listChannels(deps, id) : [];
    const channelName = new Map(channels.map((c) => [c.id, c.name]));
    const rules = await listAlertRules(db, id, { limit: rulesPage.limit + 1, offset: rulesPage.offset });
    const ruleName = new Map(rules.map((r) => [r.id, r.name]));
    const log = async (state: 'dead' | undefined, page: { limit: number; offset: number }) => {
      const rows = await listNotifications(db, id, { state, limit: page.limit + 1 }, page.offset);
      return {
        more: rows.length > page.limit,
        items: rows.slice(0, page.limit).map((n) => ({
          ...n,
          when: iso(n.sentAt ?? n.createdAt),
          channel: n.channelId ? (channelName.get(n.channelId) ?? 'another project’s channel') : '—',
          rule: n.ruleId ? (ruleName.get(n.ruleId) ?? 'a rule') : n.event === 'test' ? 'channel test' : '—',
          recipients: n.recipients.join(', '),
        })),
      };
    };
    const deliveries = await log(undefined, logPage);
    const dead = await log('dead', deadPage);
    renderPage(res, 'manage/alerts', { title: 'Alerts', nav: 'alerts', status: extra.status }, {
      channelTypes: channelSpecs(deps).map((s) => ({ kind: s.kind, name: s.name })),
      channels: channels.map((c) => ({
        ...c,
        settings: settingsSummary(c.config),
        tested: extra.tested?.channelId === c.id ? extra.tested.result : null,
      })),
      rules: rules.slice(0, RULES_PAGE).map((r) => ({ ...r, channelNames: ((r as { channels?: { id: string }[] }).channels ?? []).map((c) => channelName.get(c.id) ?? c.id) })),
      rulesPager: pager(req, rulesPage.page, rules.length > RULES_PAGE, 'rules'),
      deliveries: deliveries.items,
      deliveriesPager: pager(req, logPage.page, deliveries.more, 'log'),
      dead: dead.items,
      deadPager: pager(req, deadPage.page, dead.more, 'dead'),
      flash: typeof req.query.done === 'string' ? ({ 'rule-saved': 'Alert rule saved.', 'rule-deleted': 'Alert rule deleted.', 'channel-saved': 'Channel saved.' } as Record<string, string>)[req.query.done] ?? null : null,
    });
  }

  router.get('/alerts', (req, res) => overview(req, res));

  // ── Rules
  async function ruleForm(res: Response, rule: { id: string | null; values: ReturnType<typeof ruleValues>; errors: Record<string, string> }, status = 200) {
    const id = identityOf(res);
    const channels = can(id.role, 'integration.read') ? await listChannels(deps, id) : [];
    const chosen = new Set(rule.values.channels);
    renderPage(res, 'manage/alert-rule', { title: rule.id ? `Alert rule ${rule.values.name}` : 'New alert rule', nav: 'alerts', status, crumbs: [{ href: '/alerts', label: 'Alerts' }] }, {
      action: rule.id ? `/alerts/rules/${rule.id}` : '/alerts/rules',
      ruleId: rule.id,
      values: rule.values,
      errors: rule.errors,
      hasErrors: Object.keys(rule.errors).length > 0,
      events: ALERT_EVENTS.map((e) => ({ value: e, selected: e === rule.values.event })),
      channels: channels.map((c) => ({ id: c.id, name: c.name, kind: c.kind, checked: chosen.has(c.id) })),
    });
  }

  router.get('/alerts/rules/new', async (_req, res) => {
    authorize(identityOf(res), 'alert.manage');
    await ruleForm(res, { id: null, values: { ...formValues({}), enabled: true, event: 'gate.failed' }, errors: {} });
  });
  router.get('/alerts/rules/:id', async (req, res) => {
    const id = identityOf(res);
    authorize(id, 'read');
    const rule = presentAlertRule(await loadAlertRule(db, id, String(req.params.id)));
    const { rows } = rule.projectId ? await db.query<{ name: string }>(`SELECT name FROM projects WHERE id = $1`, [rule.projectId]) : { rows: [] };
    await ruleForm(res, { id: rule.id, values: ruleValues(rule as AlertRuleView & Record<string, unknown>, rows[0]?.name ?? null), errors: {} });
  });

  async function saveRule(req: Request, res: Response, ruleId: string | null) {
    const id = identityOf(res);
    assertForm(req, res);
    authorize(id, 'alert.manage');
    const existing = ruleId ? await loadAlertRule(db, id, ruleId) : undefined;
    try {
      await saveAlertRule(deps, id, ruleBody(req.body, existing && presentAlertRule(existing)), requestIdOf(res), existing);
    } catch (error) {
      const errors =
        error instanceof z.ZodError
          ? fieldErrors(error, RULE_FIELDS, RULE_FORM)
          : error instanceof AppError && error.code === 'CONFLICT'
            ? { name: error.message }
            : error instanceof AppError && (error.code === 'VALIDATION_FAILED' || error.code === 'NOT_FOUND')
              ? { form: error.message }
              : undefined;
      if (!errors) throw error;
      return ruleForm(res, { id: ruleId, values: formValues(req.body), errors }, 400);
    }
    res.redirect(303, '/alerts?done=rule-saved');
  }
  router.post('/alerts/rules', smallForm, (req, res) => saveRule(req, res, null));
  router.post('/alerts/rules/:id', smallForm, (req, res) => saveRule(req, res, String(req.params.id)));
  router.post('/alerts/rules/:id/delete', smallForm, async (req, res) => {
    const id = identityOf(res);
    assertForm(req, res);
    authorize(id, 'alert.manage');
    await deleteAlertRule(db, id, await loadAlertRule(db, id, String(req.params.id)), requestIdOf(res));
    res.redirect(303, '/alerts?done=rule-deleted');
  });

  // ── Channels
  async function channelForm(res: Response, form: { kind: string; channelId: string | null; name: string; enabled: boolean; config: Record<string, unknown>; errors: Record<string, string> }, status = 200) {
    const spec = channelSpec(deps, form.kind);
    renderPage(res, 'manage/channel', { title: form.channelId ? `Channel ${form.name}` : `New ${spec.name} channel`, nav: 'alerts', status, crumbs: [{ href: '/alerts', label: 'Alerts' }] }, {
      action: form.channelId ? `/alerts/channels/${form.channelId}` : '/alerts/channels',
      kind: spec.kind,
      kindName: spec.name,
      editing: form.channelId !== null,
      name: form.name,
      enabled: form.enabled,
      errors: form.errors,
      hasErrors: Object.keys(form.errors).length > 0,
      fields: connectionFields(spec, form.config, form.errors),
    });
  }

  router.get('/alerts/channels/new', async (req, res) => {
    authorize(identityOf(res), 'integration.manage');
    await channelForm(res, { kind: String(req.query.type ?? ''), channelId: null, name: '', enabled: true, config: {}, errors: {} });
  });
  router.get('/alerts/channels/:id', async (req, res) => {
    const id = identityOf(res);
    authorize(id, 'integration.manage');
    const { spec, view } = await loadChannel(deps, id, String(req.params.id));
    await channelForm(res, { kind: spec.kind, channelId: view.id, name: view.name, enabled: view.enabled, config: view.config, errors: {} });
  });

  async function saveChannel(req: Request, res: Response, channelId: string | null) {
    const id = identityOf(res);
    assertForm(req, res);
    authorize(id, 'integration.manage');
    const spec = channelId ? (await loadChannel(deps, id, channelId)).spec : channelSpec(deps, field(req.body, 'type'));
    const body = req.body as Record<string, unknown>;
    const config = connectionConfig(spec, body, channelId !== null);
    const name = field(body, 'name') ?? '';
    const enabled = field(body, 'enabled') === 'on';
    try {
      const input = { name: channelMeta.parse({ name }).name, enabled, config };
      if (channelId) await updateChannel(deps, id, spec, channelId, input, requestIdOf(res));
      else await createChannel(deps, id, spec, input, requestIdOf(res));
    } catch (error) {
      let errors: Record<string, string> | undefined;
      if (error instanceof z.ZodError) errors = fieldErrors(error, {}, ['name']);
      else if (error instanceof AppError && (error.code === 'VALIDATION_FAILED' || error.code === 'CONFLICT')) {
        const issues = (error.details?.issues as { path: string; message: string }[] | undefined) ?? [];
        errors = Object.fromEntries([['form', error.message], ...issues.map((i) => [i.path, i.message])]);
      }
      if (!errors) throw error;
      // Secrets typed into the form are not sent back to the browser.
      return channelForm(res, { kind: spec.kind, channelId, name, enabled, config: Object.fromEntries(Object.entries(config).filter(([k]) => !spec.secretFields.includes(k))), errors }, 400);
    }
    res.redirect(303, '/alerts?done=channel-saved');
  }
  router.post('/alerts/channels', smallForm, (req, res) => saveChannel(req, res, null));
  router.post('/alerts/channels/:id', smallForm, (req, res) => saveChannel(req, res, String(req.params.id)));

  router.post('/alerts/channels/:id/test', smallForm, async (req, res) => {
    const id = identityOf(res);
    assertForm(req, res);
    const channelId = String(req.params.id);
    const result = await sendChannelTest(deps, id, channelId, []);
    await overview(req, res, { tested: { channelId, result }, status: result.ok ? 200 : 502 });
  });
  return router;
}
