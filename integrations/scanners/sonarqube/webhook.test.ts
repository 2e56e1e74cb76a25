// SonarQube analysis webhooks: the signature as SonarQube computes it (sent over real HTTP by the
// fake's sender), tampering and missing headers refused, and payloads of the documented shapes.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { readBody } from '../../../test/fakes/http.js';
import { sendSonarWebhook, signSonarBody, sonarWebhookBody } from '../../../test/fakes/sonarqube/webhook.js';
import { parseSonarWebhook, verifySonarWebhook } from './webhook.js';

const SECRET = 'wh-s3cret-value';

describe('verifySonarWebhook', () => {
  it('accepts a delivery signed by SonarQube over the exact bytes it sent', async () => {
    const received: { raw: Buffer; headers: Record<string, string | string[] | undefined> }[] = [];
    const server = createServer((req, res) => {
      void readBody(req).then((raw) => {
        received.push({ raw, headers: req.headers });
        const verdict = verifySonarWebhook(raw, req.headers, SECRET);
        res.writeHead(verdict.ok ? 200 : 401).end(verdict.ok ? 'ok' : verdict.code);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/sonarqube`;
    try {
      const body = sonarWebhookBody({ projectKey: 'acme:shop', branch: { name: 'main', isMain: true }, qualityGate: 'ERROR' });
      expect(await sendSonarWebhook(url, body, { secret: SECRET })).toMatchObject({ status: 200 });
      expect(await sendSonarWebhook(url, body, { secret: 'another-secret' })).toMatchObject({ status: 401, text: 'SONARQUBE_WEBHOOK_BAD_SIGNATURE' });
      expect(await sendSonarWebhook(url, body)).toMatchObject({ status: 401, text: 'SONARQUBE_WEBHOOK_UNSIGNED' });
      expect(received[0]!.headers['x-sonarqube-project']).toBe('acme:shop');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('refuses a changed body, a malformed or upper/short signature, and never echoes the secret', () => {
    const raw = Buffer.from(JSON.stringify(sonarWebhookBody({ projectKey: 'p' })));
    const signature = signSonarBody(raw, SECRET);
    expect(verifySonarWebhook(raw, { 'X-Sonar-Webhook-HMAC-SHA256': signature }, SECRET)).toEqual({ ok: true });
    expect(verifySonarWebhook(raw, { 'x-sonar-webhook-hmac-sha256': signature.toUpperCase() }, SECRET)).toEqual({ ok: true });
    const tampered = Buffer.from(raw.toString().replace('"p"', '"q"'));
    for (const [body, sig] of [[tampered, signature], [raw, signature.slice(2)], [raw, `sha256=${signature}`], [raw, 'zz'.repeat(32)]] as const) {
      const verdict = verifySonarWebhook(body, { 'x-sonar-webhook-hmac-sha256': sig }, SECRET);
      expect(verdict).toMatchObject({ ok: false, code: 'SONARQUBE_WEBHOOK_BAD_SIGNATURE' });
      expect(JSON.stringify(verdict)).not.toContain(SECRET);
    }
  });
});

describe('parseSonarWebhook', () => {
  it('reads the 7.x docs body (no branch) and the 8.x/9.x delivery with branch and gate', () => {
    const docs = { analysedAt: '2016-11-18T10:46:28+0100', project: { key: 'org.sonarqube:example', name: 'Example' }, properties: {}, qualityGate: { name: 'SonarQube way', status: 'OK', conditions: [] }, serverUrl: 'http://localhost:9000', status: 'SUCCESS', taskId: 'AVh21JS2JepAEhwQ-b3u' };
    expect(parseSonarWebhook(docs)).toEqual({ projectKey: 'org.sonarqube:example', projectName: 'Example', branch: undefined, isMainBranch: undefined, pullRequest: undefined, analysedAt: '2016-11-18T10:46:28+0100', taskId: 'AVh21JS2JepAEhwQ-b3u', status: 'SUCCESS', qualityGateStatus: 'OK', serverUrl: 'http://localhost:9000', properties: {} });
    const event = parseSonarWebhook(sonarWebhookBody({ projectKey: 'test-sonar', branch: { name: 'master', isMain: true }, qualityGate: 'ERROR', properties: { 'sonar.analysis.scanhubSubmission': 'sub-42' } }));
    expect(event).toMatchObject({ projectKey: 'test-sonar', branch: 'master', isMainBranch: true, qualityGateStatus: 'ERROR', taskId: 'AXgTFfXRZCzhMRNj54bo', properties: { 'sonar.analysis.scanhubSubmission': 'sub-42' } });
  });

  it('maps a pull request analysis to pullRequest, and a failed task without a gate', () => {
    const event = parseSonarWebhook(sonarWebhookBody({ projectKey: 'p', branch: { name: '128', type: 'PULL_REQUEST' }, status: 'FAILED' }));
    expect(event).toMatchObject({ pullRequest: '128', branch: undefined, status: 'FAILED', qualityGateStatus: undefined });
  });

  it('refuses bodies that are not analysis notifications with a coded error naming the field', () => {
    expect(() => parseSonarWebhook({ taskId: 't', status: 'SUCCESS', analysedAt: 'x' })).toThrow(expect.objectContaining({ code: 'SONARQUBE_WEBHOOK_INVALID', message: expect.stringContaining('project') }));
    expect(() => parseSonarWebhook('nope')).toThrow(expect.objectContaining({ code: 'SONARQUBE_WEBHOOK_INVALID' }));
  });
});

describe('sonarqube connection settings', () => {
  it('accepts a minimal config with defaults, maps projects, and refuses credentials in the URL', async () => {
    const { sonarqubeConnection, scanhubProjectFor } = await import('./connection.js');
    const config = sonarqubeConnection.configSchema.parse({ url: 'https://sonar.example.com', token: 'squ_x', projects: [{ sonarProject: 'acme:shop', scanhubProject: 'shop' }, { sonarProject: 'acme:api' }] });
    expect(config).toMatchObject({ issueScope: 'security', pullIntervalMinutes: 0, projectMapping: 'sonarqube/{project}' });
    expect(scanhubProjectFor(config, 'acme:shop')).toBe('shop');
    expect(scanhubProjectFor(config, 'acme:api')).toBe('sonarqube/acme/api');
    expect(sonarqubeConnection.configSchema.safeParse({ url: 'https://u:p@sonar.example.com', token: 't' }).success).toBe(false);
    expect(sonarqubeConnection.configSchema.safeParse({ url: 'https://sonar.example.com', token: 't', projects: [{ sonarProject: '1234' }] }).success).toBe(false);
    expect(sonarqubeConnection.secretFields).toEqual(['token', 'webhookSecret']);
  });
});
