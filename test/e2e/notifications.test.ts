// Notifications end to end, against a real SMTP server (STARTTLS + auth) and HTTP fakes on loopback:
// rules → outbox rows written with the submission → delivery by the job worker → what the receiver
// got. One message per event per rule and channel, throttling reported in the digest, quiet hours,
// escalation, dead letters, and the crash between send and acknowledgement.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connections, notifiers } from '../../integrations/index.js';
import { abandonedReason, claim, startWorker, type Worker } from '../../src/jobs/queue.js';
import { createLogger } from '../../src/logger.js';
import { createDeliveryHandler } from '../../src/notify/deliver.js';
import { createEscalationHandler, runDueDigests } from '../../src/notify/escalate-digest.js';
import { DELIVER_QUEUE, ESCALATE_QUEUE } from '../../src/notify/plan.js';
import { notificationSettings } from '../../src/notify/settings.js';
import { createOutbound } from '../../src/security/outbound.js';
import { startTestApp, submissionForm, type TestApp } from '../helpers/app.js';
import { startSmtpServer, type SmtpServerHandle } from '../helpers/smtp.js';
import { start as startReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js';
import { start as startTwilio } from '../fakes/twilio.js';

const json = { 'content-type': 'application/json' };

/** A Trivy image report: `n` fixable vulnerabilities, severities cycling as given. */
function trivyReport(n: number, severities: string[], prefix = 'CVE-2099'): string {
  return JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: 'registry.example.com/shop:2.0',
    ArtifactType: 'container_image',
    Results: [
      {
        Target: 'registry.example.com/shop:2.0 (debian 12.5)',
        Class: 'os-pkgs',
        Type: 'debian',
        Vulnerabilities: Array.from({ length: n }, (_, i) => ({
          VulnerabilityID: `${prefix}-${10000 + i}`,
          PkgName: `libexample${i}`,
          InstalledVersion: '1.0.0',
          FixedVersion: '1.0.1',
          Severity: severities[i % severities.length],
          Title: `Example flaw ${i} with "quotes" & <b>markup</b>`,
        })),
      },
    ],
  });
}

describe('notifications', () => {
  let app: TestApp;
  let smtp: SmtpServerHandle;
  let receiver: WebhookReceiver;
  let worker: Worker;
  let crashAfterSend: ((id: string) => void) | undefined;
  let emailChannel: string;
  let webhookChannel: string;

  const api = async (path: string, method: string, body?: unknown) => {
    const res = await app.api(path, { method, headers: json, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const submit = async (project: string, report: string, ref = 'main') => {
    const res = await app.api(`/api/v1/projects/${project}/submissions`, { method: 'POST', body: submissionForm({ ref }, [{ name: 'trivy.json', content: report }]) });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; verdict: { outcome: string } };
  };
  const rows = async (where = 'true') =>
    (await app.db.query<{ id: string; event_type: string; state: string; channel_id: string | null; reason: string | null; send_after: Date; rule: string | null }>(
      `SELECT n.id, n.event_type, n.state, n.channel_id, n.reason, n.send_after, r.name AS rule FROM notifications n LEFT JOIN alert_rules r ON r.id = n.rule_id WHERE ${where} ORDER BY n.created_at`,
    )).rows;

  beforeEach(async () => {
    smtp = await startSmtpServer({ requireAuth: true, users: [{ user: 'scanhub', password: 'smtp-pass-1' }] });
    receiver = await startReceiver({ secret: 'hook-secret' });
    const outbound = createOutbound({ outboundAllow: '127.0.0.0/8', caBundle: smtp.caFile });
    app = await startTestApp('pglite', { outbound });
    notificationSettings.publicUrl = 'https://scanhub.example.test';
    const handler = createDeliveryHandler({
      db: app.db, notifiers, connections, secrets: app.deps.secrets, outbound, log: createLogger('silent'),
      afterSend: (id) => crashAfterSend?.(id),
    });
    worker = startWorker(app.db, { [DELIVER_QUEUE]: handler, [ESCALATE_QUEUE]: createEscalationHandler(app.db) }, { id: 'test-worker', autostart: false, leaseMs: 200 });
    await api('/api/v1/projects', 'POST', { name: 'shop' });
    emailChannel = (await api('/api/v1/channels', 'POST', {
      type: 'email', name: 'security-mail',
      config: { host: '127.0.0.1', port: smtp.port, security: 'starttls', user: 'scanhub', password: 'smtp-pass-1', from: 'scanhub@example.test', to: ['security@example.test'] },
    })).body.id as string;
    webhookChannel = (await api('/api/v1/channels', 'POST', { type: 'webhook', name: 'siem', config: { url: `${receiver.url}/hook`, signingSecret: 'hook-secret' } })).body.id as string;
  });
  afterEach(async () => {
    crashAfterSend = undefined;
    await worker.stop();
    await app.close();
    await smtp.close();
    await receiver.close();
  });

  it('failing gate → one email with the unified report attached, one message per channel for 500 new findings', async () => {
    expect((await api('/api/v1/alert-rules', 'POST', { name: 'gate', event: 'gate.failed', filters: { project: 'shop' }, channels: [{ id: emailChannel }] })).status).toBe(201);
    expect((await api('/api/v1/alert-rules', 'POST', { name: 'new-high', event: 'finding.new', filters: { severity: '>=high' }, channels: [{ id: emailChannel, to: ['oncall@example.test'] }, { id: webhookChannel }] })).status).toBe(201);
    const started = Date.now();
    const sub = await submit('shop', trivyReport(500, ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']));
    expect(sub.verdict.outcome).toBe('fail');
    await worker.drain();
    expect(Date.now() - started).toBeLessThan(20_000);

    expect(smtp.messages).toHaveLength(2);
    const gate = smtp.messages.find((m) => m.subject?.includes('FAILED gate'))!;
    expect(gate.subject).toContain('shop (main)');
    expect(gate.text).toContain('The security gate failed in shop');
    expect(gate.html).toContain('<h1');
    expect(gate.html).not.toContain('<b>markup</b>');
    expect(gate.attachments).toHaveLength(1);
    const attachment = gate.attachments[0]!;
    expect(attachment.filename).toMatch(/^scanhub-shop-main\.(pdf|html)$/);
    expect(attachment.content.length).toBeGreaterThan(1000);
    if (attachment.filename!.endsWith('.html')) expect(attachment.content.toString('utf8')).toContain('CVE-2099-10000');
    else expect(attachment.content.subarray(0, 5).toString()).toBe('%PDF-');
    expect(smtp.envelopes.every((e) => e.secure && e.user === 'scanhub')).toBe(true);

    const newHigh = smtp.messages.find((m) => m.subject?.includes('new'))!;
    expect(newHigh.subject).toBe('[ScanHub] 250 new critical+ findings in shop (main)');
    expect(smtp.envelopes.find((e) => e.raw.includes(Buffer.from('250 new')))!.to).toEqual(['oncall@example.test']);
    expect(receiver.deliveries).toHaveLength(1);
    expect(receiver.deliveries[0]!.ok).toBe(true);
    expect((receiver.deliveries[0]!.body as { data: { findings: unknown[] } }).data.findings).toHaveLength(100);
    const list = (await api('/api/v1/notifications', 'GET')).body as { items: { state: string }[] };
    expect(list.items.map((i) => i.state)).toEqual(['sent', 'sent', 'sent']);
  }, 60_000);

  it('throttles to 1 an hour and says so in the next digest', async () => {
    await api('/api/v1/alert-rules', 'POST', { name: 'new', event: 'finding.new', channels: [{ id: webhookChannel }], throttle: { max: 1, per: '1h' } });
    await api('/api/v1/alert-rules', 'POST', { name: 'daily', event: 'digest', schedule: '* * * * *', channels: [{ id: emailChannel }] });
    await submit('shop', trivyReport(3, ['HIGH'], 'CVE-2098'));
    await submit('shop', trivyReport(3, ['HIGH'], 'CVE-2097'), 'release');
    const state = await rows(`r.name = 'new'`);
    expect(state.map((r) => r.state)).toEqual(['pending', 'suppressed']);
    expect(state[1]!.reason).toContain('throttled');
    // The digest's "since" is the rule's creation: backdate it so the minutely schedule is due now.
    await app.db.query(`UPDATE alert_rules SET created_at = now() - interval '2 minutes' WHERE name = 'daily'`);
    expect(await runDueDigests(app.db, new Date())).toBe(1);
    expect(await runDueDigests(app.db, new Date())).toBe(0);
    await worker.drain();
    expect(receiver.deliveries).toHaveLength(1);
    const digest = smtp.messages.find((m) => m.subject?.startsWith('[ScanHub] Digest'))!;
    expect(digest.subject).toContain('6 new findings');
    expect(digest.text).toMatch(/Alerts held back by throttling: 1/);
  }, 60_000);

  it('selects projects by tag', async () => {
    await api('/api/v1/projects', 'POST', { name: 'intranet' });
    expect((await api('/api/v1/projects/shop', 'PATCH', { tags: ['Internet-Facing', 'tier1'] })).body).toMatchObject({ tags: ['internet-facing', 'tier1'] });
    await api('/api/v1/alert-rules', 'POST', { name: 'exposed', event: 'finding.new', filters: { tag: 'internet-facing' }, channels: [{ id: webhookChannel }] });
    await submit('intranet', trivyReport(2, ['HIGH'], 'CVE-2088'));
    await submit('shop', trivyReport(2, ['HIGH'], 'CVE-2087'));
    await worker.drain();
    expect(receiver.deliveries).toHaveLength(1);
    expect((receiver.deliveries[0]!.body as { data: { project: string } }).data.project).toBe('shop');
  });

  it('does not alert the same finding twice within the dedup window (the same image on another branch)', async () => {
    await api('/api/v1/alert-rules', 'POST', { name: 'new', event: 'finding.new', channels: [{ id: webhookChannel }], dedup: '1d' });
    const report = trivyReport(3, ['HIGH'], 'CVE-2090');
    await submit('shop', report, 'main');
    await submit('shop', report, 'release');
    await worker.drain();
    expect(receiver.deliveries).toHaveLength(1);
    expect((await rows(`r.name = 'new'`)).length).toBe(1);
  });

  it('emails a project\'s report on a schedule (a digest with the report attached)', async () => {
    await submit('shop', trivyReport(4, ['HIGH'], 'CVE-2089'));
    await api('/api/v1/alert-rules', 'POST', { name: 'weekly-report', event: 'digest', schedule: '* * * * *', report: true, filters: { project: 'shop' }, channels: [{ id: emailChannel }] });
    await app.db.query(`UPDATE alert_rules SET created_at = now() - interval '2 minutes'`);
    expect(await runDueDigests(app.db, new Date())).toBe(1);
    await worker.drain();
    const mail = smtp.messages.find((m) => m.subject?.startsWith('[ScanHub] Digest'))!;
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]!.filename).toMatch(/^scanhub-shop-main\.(pdf|html)$/);
  }, 60_000);

  it('sends a digest even when nothing is new, so silence never means broken', async () => {
    await api('/api/v1/alert-rules', 'POST', { name: 'quiet-digest', event: 'digest', schedule: '* * * * *', channels: [{ id: emailChannel }] });
    await app.db.query(`UPDATE alert_rules SET created_at = now() - interval '2 minutes'`);
    expect(await runDueDigests(app.db, new Date())).toBe(1);
    await worker.drain();
    expect(smtp.messages[0]!.subject).toContain('0 new findings');
    expect(smtp.messages[0]!.text).toContain('last scan never');
  });

  it('defers a medium during quiet hours and sends a critical at once', async () => {
    const hour = new Date().getUTCHours();
    const clock = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`;
    await api('/api/v1/alert-rules', 'POST', { name: 'night', event: 'finding.new', channels: [{ id: webhookChannel }], quietHours: { start: clock(hour - 1), end: clock(hour + 2), timeZone: 'UTC' } });
    await submit('shop', trivyReport(2, ['MEDIUM'], 'CVE-2096'));
    await submit('shop', trivyReport(2, ['CRITICAL'], 'CVE-2095'), 'hotfix');
    await worker.drain();
    const state = await rows(`r.name = 'night'`);
    expect(state.map((r) => r.state)).toEqual(['deferred', 'sent']);
    expect(state[0]!.reason).toContain('quiet hours');
    expect(new Date(state[0]!.send_after).getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
    expect(receiver.deliveries).toHaveLength(1);
  });

  it('escalates an unacknowledged critical gate failure to SMS, and not an acknowledged one', async () => {
    const twilio = await startTwilio({ accountSid: 'AC0123456789abcdef', authToken: 'twilio-token' });
    try {
      const sms = (await api('/api/v1/channels', 'POST', { type: 'sms', name: 'on-call', config: { baseUrl: twilio.url, accountSid: 'AC0123456789abcdef', authToken: 'twilio-token', from: '+15550000001', to: ['+15550000002'] } })).body.id as string;
      await api('/api/v1/alert-rules', 'POST', { name: 'gate', event: 'gate.failed', channels: [{ id: webhookChannel }], escalation: { after: '1s', channels: [{ id: sms }] } });
      await submit('shop', trivyReport(2, ['CRITICAL'], 'CVE-2094'));
      await worker.drain();
      const ack = (receiver.deliveries[0]!.body as { text: string }).text;
      expect(ack).toMatch(/Acknowledge: https:\/\/scanhub\.example\.test\/notifications\/ack\/[\w-]+/);
      await new Promise((r) => setTimeout(r, 1100));
      await worker.drain();
      expect(twilio.messages).toHaveLength(1);
      expect(twilio.messages[0]!.body.length).toBeLessThanOrEqual(160);

      await submit('shop', trivyReport(2, ['CRITICAL'], 'CVE-2093'), 'release');
      await worker.drain();
      const link = /\/notifications\/ack\/([\w-]+)/.exec((receiver.deliveries[1]!.body as { text: string }).text)![1]!;
      const page = await fetch(`${app.url}/notifications/ack/${link}`);
      expect(page.status).toBe(200);
      await new Promise((r) => setTimeout(r, 1100));
      await worker.drain();
      expect(twilio.messages).toHaveLength(1);
    } finally {
      await twilio.close();
    }
  }, 30_000);

  it('dead-letters a refused delivery with the reason and alerts the fallback channel', async () => {
    receiver.script.push({ status: 410, body: { error: 'gone' } });
    await api('/api/v1/alert-rules', 'POST', { name: 'new', event: 'finding.new', channels: [{ id: webhookChannel }] });
    await api('/api/v1/alert-rules', 'POST', { name: 'fallback', event: 'notification.failed', channels: [{ id: emailChannel }] });
    await submit('shop', trivyReport(1, ['HIGH'], 'CVE-2092'));
    await worker.drain();
    const dead = (await api('/api/v1/notifications?state=dead', 'GET')).body as { items: { reason: string }[] };
    expect(dead.items).toHaveLength(1);
    expect(dead.items[0]!.reason).toMatch(/^WEBHOOK_GONE/);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.text).toContain('A notification could not be delivered');
  });

  it('dead-letters a notification whose sending worker died on every attempt, and alerts the fallback channel', async () => {
    await api('/api/v1/alert-rules', 'POST', { name: 'new', event: 'finding.new', channels: [{ id: webhookChannel }] });
    await api('/api/v1/alert-rules', 'POST', { name: 'fallback', event: 'notification.failed', channels: [{ id: emailChannel }] });
    await submit('shop', trivyReport(1, ['HIGH'], 'CVE-2093'));
    // Each worker that takes the delivery dies before it sends (its lease of 1 ms runs out).
    const { rows } = await app.db.query<{ max_attempts: number }>(`SELECT max_attempts FROM jobs WHERE queue = $1`, [DELIVER_QUEUE]);
    for (let i = 0; i < rows[0]!.max_attempts; i++) {
      expect(await claim(app.db, DELIVER_QUEUE, `dying-${i}`, 1)).toBeDefined();
      await new Promise((r) => setTimeout(r, 15));
    }
    await worker.drain();
    expect(receiver.deliveries).toHaveLength(0);
    const dead = (await api('/api/v1/notifications?state=dead', 'GET')).body as { items: { reason: string; event: string }[] };
    expect(dead.items).toHaveLength(1);
    expect(dead.items[0]!.reason).toBe(abandonedReason(rows[0]!.max_attempts));
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.text).toContain('A notification could not be delivered');
  });

  it('after a crash between send and acknowledgement, delivers again with the same delivery id', async () => {
    await api('/api/v1/alert-rules', 'POST', { name: 'new', event: 'finding.new', channels: [{ id: webhookChannel }] });
    await submit('shop', trivyReport(1, ['HIGH'], 'CVE-2091'));
    crashAfterSend = () => {
      crashAfterSend = undefined;
      throw Object.assign(new Error('worker killed'), { retryable: true });
    };
    await worker.drain();
    // The crash left the job for another worker once its lease runs out.
    await app.db.query(`UPDATE jobs SET run_at = now() WHERE state = 'queued'`);
    await worker.drain();
    const ids = new Set(receiver.deliveries.map((d) => d.headers['x-scanhub-delivery']));
    expect(receiver.deliveries.length).toBeGreaterThanOrEqual(1);
    expect(ids.size).toBe(1);
    expect((await rows(`r.name = 'new'`)).map((r) => r.state)).toEqual(['sent']);
  });

  it('tests a channel: a wrong SMTP password gives the channel\'s precise error code', async () => {
    expect((await api(`/api/v1/channels/${emailChannel}/test`, 'POST', {})).body).toMatchObject({ ok: true });
    // The shape the API documentation shows (nodemailer's names) works too.
    const aliased = await api('/api/v1/channels', 'POST', { type: 'email', name: 'sec-mail', config: { host: '127.0.0.1', port: smtp.port, secure: false, username: 'scanhub', password: 'smtp-pass-1', from: 'scanhub@example.test', to: ['sec@example.test'] } });
    expect(aliased.status).toBe(201);
    expect((await api(`/api/v1/channels/${aliased.body.id as string}/test`, 'POST', {})).body).toMatchObject({ ok: true });
    expect(smtp.envelopes.at(-1)).toMatchObject({ secure: true, user: 'scanhub' });
    expect(smtp.messages.at(-1)!.subject).toBe(`[ScanHub] Test message for channel "sec-mail"`);
    expect(smtp.messages[0]!.subject).toBe('[ScanHub] Test message for channel "security-mail"');
    expect((await api(`/api/v1/channels/${emailChannel}`, 'PATCH', { config: { password: 'wrong' } })).status).toBe(200);
    const res = await api(`/api/v1/channels/${emailChannel}/test`, 'POST', {});
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ ok: false, error: { code: 'SMTP_AUTH_FAILED' } });
    expect(JSON.stringify(res.body)).not.toContain('wrong');
  });
});
