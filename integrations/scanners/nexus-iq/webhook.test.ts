// IQ webhook receipt: the contract's HMAC-SHA1 test vector, raw-byte signing, a wrong signature, a
// missing secret, both payloads, ignored event types — sent over HTTP by the fake's sender.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import { sendIqWebhook, signIqBody } from '../../../test/fakes/nexus-iq/index.js';
import { nexusIqConnection, projectForApplication } from './connection.js';
import { readIqWebhook, verifyIqSignature, type IqWebhookResult } from './webhook.js';

const SECRET = 'iq-webhook-secret-0123';
// Verbatim from the contract B.7 (IQ reference implementation / IQ 1.26 docs).
const EVALUATION = { applicationEvaluation: { policyEvaluationId: 'debceb1d-9209-485d-8d07-bd5390de7ef5', stage: 'build', ownerId: '6a454175-f55d-4d33-ba44-90ac3af2e8b8', evaluationDate: '2015-05-05T23:40:12Z', affectedComponentCount: 10, criticalComponentCount: 2, severeComponentCount: 5, moderateComponentCount: 3, outcome: 'fail' } };
const ALERT = {
  initiator: 'ci-bot',
  applicationEvaluation: { ...EVALUATION.applicationEvaluation, reportId: 'abc123' },
  application: { id: '6a454175-f55d-4d33-ba44-90ac3af2e8b8', publicId: 'shop-api', name: 'Shop API', organizationId: 'org' },
  policyAlerts: [{ policyId: 'p1', policyName: 'Security-High', threatLevel: 9, policyViolationId: 'v1', componentFacts: [{ hash: 'h', displayName: 'xstream 1.4.7', pathNames: ['WEB-INF/lib/xstream-1.4.7.jar'] }] }],
};

/** A receiver that runs readIqWebhook on what arrives, as the lead's route will. */
const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => { await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); }))); });
async function receiver(secret: string | undefined): Promise<{ url: string; results: (IqWebhookResult | string)[] }> {
  const results: (IqWebhookResult | string)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        results.push(readIqWebhook({ secret, headers: req.headers as IncomingHttpHeaders, rawBody: Buffer.concat(chunks) }));
        res.writeHead(202).end();
      } catch (error) {
        results.push((error as IntegrationError).code);
        res.writeHead((error as IntegrationError).options.status ?? 500).end();
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, results };
}

describe('IQ webhook signature', () => {
  it('matches the reference implementation test vector', () => {
    expect(signIqBody('secret', '{"field":"value"}')).toBe('42f0ce462b5631af387660d11c7b93a1d8ae209d');
    expect(verifyIqSignature('secret', Buffer.from('{"field":"value"}'), '42f0ce462b5631af387660d11c7b93a1d8ae209d')).toBe(true);
    expect(verifyIqSignature('secret', Buffer.from('{"field":"value"}'), '42F0CE462B5631AF387660D11C7B93A1D8AE209D', 'HmacSHA1')).toBe(true);
  });

  it('refuses a wrong secret, a changed body, re-serialised JSON, another algorithm, and no signature', () => {
    const raw = Buffer.from('{ "field": "value" }');
    const sig = signIqBody('secret', raw);
    expect(verifyIqSignature('other', raw, sig)).toBe(false);
    expect(verifyIqSignature('secret', Buffer.from('{ "field": "valuE" }'), sig)).toBe(false);
    expect(verifyIqSignature('secret', Buffer.from(JSON.stringify(JSON.parse(raw.toString()))), sig)).toBe(false);
    expect(verifyIqSignature('secret', raw, sig, 'HmacSHA256')).toBe(false);
    expect(verifyIqSignature('secret', raw, undefined)).toBe(false);
  });
});

describe('IQ webhook deliveries over HTTP', () => {
  it('reads an application evaluation (internal id only) and a violation alert (public id, report id, alerts)', async () => {
    const r = await receiver(SECRET);
    expect((await sendIqWebhook(r.url, EVALUATION, { secret: SECRET, deliveryId: 'd-1' })).status).toBe(202);
    expect((await sendIqWebhook(r.url, ALERT, { secret: SECRET, eventType: 'iq:policyAlert' })).status).toBe(202);
    expect(r.results[0]).toEqual({ kind: 'evaluation', event: {
      event: 'iq:applicationEvaluation', deliveryId: 'd-1', applicationId: '6a454175-f55d-4d33-ba44-90ac3af2e8b8', applicationPublicId: undefined, stage: 'build', scanId: undefined,
      evaluationDate: '2015-05-05T23:40:12Z', policyEvaluationId: 'debceb1d-9209-485d-8d07-bd5390de7ef5', outcome: 'fail', counts: { affected: 10, critical: 2, severe: 5, moderate: 3 }, alerts: [],
    } });
    expect(r.results[1]).toMatchObject({ kind: 'evaluation', event: { event: 'iq:policyAlert', applicationPublicId: 'shop-api', scanId: 'abc123', alerts: [{ policyName: 'Security-High', threatLevel: 9, policyViolationId: 'v1', components: ['xstream 1.4.7'] }] } });
  });

  it('a wrong or missing signature is 401; no configured secret refuses everything; other events are ignored; bad payloads are 400', async () => {
    const r = await receiver(SECRET);
    expect((await sendIqWebhook(r.url, EVALUATION, { secret: 'not-the-secret' })).status).toBe(401);
    expect((await sendIqWebhook(r.url, EVALUATION, {})).status).toBe(401);
    expect((await sendIqWebhook(r.url, EVALUATION, { secret: SECRET, headers: { 'X-Nexus-Webhook-Signature': signIqBody(SECRET, '{}') } })).status).toBe(401);
    expect((await sendIqWebhook(r.url, { policy: {} }, { secret: SECRET, eventType: 'iq:policyManagement' })).status).toBe(202);
    expect((await sendIqWebhook(r.url, { applicationEvaluation: { stage: 'build' } }, { secret: SECRET })).status).toBe(400);
    expect((await sendIqWebhook(r.url, '{"applicationEvaluation":', { secret: SECRET })).status).toBe(400);
    expect(r.results).toEqual(['NEXUSIQ_WEBHOOK_SIGNATURE', 'NEXUSIQ_WEBHOOK_SIGNATURE', 'NEXUSIQ_WEBHOOK_SIGNATURE', { kind: 'ignored', eventType: 'iq:policyManagement' }, 'NEXUSIQ_WEBHOOK_PAYLOAD', 'NEXUSIQ_WEBHOOK_PAYLOAD']);
    const open = await receiver(undefined);
    expect((await sendIqWebhook(open.url, EVALUATION, { secret: SECRET })).status).toBe(401);
    expect(open.results).toEqual(['NEXUSIQ_WEBHOOK_SECRET_MISSING']);
  });
});

describe('nexus-iq connection', () => {
  it('defaults stages to build, the schedule off, and maps projects by table then template', () => {
    const settings = nexusIqConnection.configSchema.parse({ url: 'https://iq.example.com:8070', user: 'u', token: 't', applications: { map: { 'shop-api': 'shop/api' } } });
    expect(settings).toMatchObject({ stages: ['build'], pullIntervalMinutes: 0, applications: { template: 'nexus-iq/{publicId}' } });
    expect(projectForApplication(settings, 'shop-api', 'build')).toBe('shop/api');
    expect(projectForApplication(settings, 'billing', 'release')).toBe('nexus-iq/billing');
    expect(nexusIqConnection.configSchema.safeParse({ url: 'https://u:p@iq.example.com', user: 'u', token: 't' }).success).toBe(false);
    expect(nexusIqConnection.configSchema.safeParse({ url: 'https://iq.example.com', user: 'u', token: 't', stages: ['nightly'] }).success).toBe(false);
  });
});
