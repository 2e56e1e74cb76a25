// Secrets at rest: every kind of integration configured through the API, then the whole database
// dumped — no plaintext secret may appear in it, nor in any API response or audit entry.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { connections } from '../../integrations/index.js';
import { parseSecretKey, SecretBox } from '../../src/security/secrets.js';
import { loadIntegrationSecrets, rotateSealedSecrets, SECRET_MASK } from '../../src/store/repositories/integrations.js';
import { startTestApp, TEST_SECRET_KEY, type TestApp } from '../helpers/app.js';
import { describeEachBackend, dumpDatabase, tableCounts } from '../helpers/db.js';

/** One valid configuration per kind, each secret a distinctive string to search the dump for. */
function sampleConfigs(tag: string): Record<string, { path: string; body: Record<string, unknown>; secrets: string[] }> {
  const s = (name: string) => `PLAINTEXT-${tag}-${name}-q8Zr2`;
  return {
    jfrog: {
      path: '/api/v1/integrations/jfrog',
      body: { name: 'acme', config: { baseUrl: 'https://acme.jfrog.io', accessToken: s('jfrog-token'), webhookSecret: s('jfrog-hook') } },
      secrets: [s('jfrog-token'), s('jfrog-hook')],
    },
    sonarqube: {
      path: '/api/v1/integrations/sonarqube',
      body: { name: 'sonar', config: { url: 'https://sonar.example.com', token: s('sonar-token'), webhookSecret: s('sonar-hook') } },
      secrets: [s('sonar-token'), s('sonar-hook')],
    },
    'nexus-iq': {
      path: '/api/v1/integrations/nexus-iq',
      body: { name: 'iq', config: { url: 'https://iq.example.com:8070', user: 'scanhub', token: s('iq-token'), webhookSecret: s('iq-hook') } },
      secrets: [s('iq-token'), s('iq-hook')],
    },
    gitlab: {
      path: '/api/v1/integrations/gitlab',
      body: { name: 'gitlab-main', config: { url: 'https://gitlab.example.com', token: s('gitlab-token'), webhookSecret: s('gitlab-hook') } },
      secrets: [s('gitlab-token'), s('gitlab-hook')],
    },
    jenkins: {
      path: '/api/v1/integrations/jenkins',
      body: { name: 'ci', config: { url: 'https://ci.example.com', user: 'scanhub', apiToken: s('jenkins-token') } },
      secrets: [s('jenkins-token')],
    },
    email: {
      path: '/api/v1/channels',
      body: { type: 'email', name: 'security-team', config: { host: 'smtp.example.com', port: 587, user: 'scanhub', password: s('smtp-password'), from: 'scanhub@example.com', to: ['sec@example.com'] } },
      secrets: [s('smtp-password')],
    },
    slack: {
      path: '/api/v1/channels',
      body: { type: 'slack', name: 'slack-alerts', config: { webhookUrl: `https://hooks.slack.com/services/T000/B000/${s('slack')}` } },
      secrets: [s('slack')],
    },
    teams: {
      path: '/api/v1/channels',
      body: { type: 'teams', name: 'teams-alerts', config: { webhookUrl: `https://example.webhook.office.com/webhookb2/${s('teams')}` } },
      secrets: [s('teams')],
    },
    webhook: {
      path: '/api/v1/channels',
      body: { type: 'webhook', name: 'siem', config: { url: 'https://siem.example.com/hook', signingSecret: s('webhook') } },
      secrets: [s('webhook')],
    },
    sms: {
      path: '/api/v1/channels',
      body: { type: 'sms', name: 'on-call', config: { accountSid: 'AC0123456789abcdef', authToken: s('twilio'), from: '+15550000001', to: ['+15550000002'] } },
      secrets: [s('twilio')],
    },
  };
}

describeEachBackend('secrets at rest', (backend) => {
  let app: TestApp;
  beforeEach(async () => {
    app = await startTestApp(backend);
  });
  afterEach(async () => app.close());

  it('configures every kind of integration and no plaintext secret is in the database, the responses or the audit log', async () => {
    const samples = sampleConfigs('a');
    expect(Object.keys(samples).sort()).toEqual(connections.map((c) => c.kind).sort());
    const responses: string[] = [];
    const ids: Record<string, string> = {};
    for (const [kind, sample] of Object.entries(samples)) {
      const res = await app.api(sample.path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sample.body) });
      const text = await res.text();
      expect(res.status, `${kind}: ${text}`).toBe(201);
      const body = JSON.parse(text) as { id: string; config: Record<string, unknown> };
      ids[kind] = body.id;
      const spec = connections.find((c) => c.kind === kind)!;
      for (const field of spec.secretFields) if (field in (sample.body.config as object)) expect(body.config[field]).toBe(SECRET_MASK);
      responses.push(text);
    }
    for (const path of ['/api/v1/integrations', '/api/v1/channels', '/api/v1/audit', ...Object.entries(ids).map(([k, id]) => (samples[k]!.path.endsWith('channels') ? `/api/v1/channels/${id}` : `${samples[k]!.path}/${id}`))]) {
      const res = await app.api(path);
      expect(res.status, path).toBe(200);
      responses.push(await res.text());
    }

    const dump = await dumpDatabase(app.db);
    const everything = [dump, ...responses].join('\n');
    const secrets = Object.values(samples).flatMap((s) => s.secrets);
    for (const secret of secrets) expect(everything, secret).not.toContain(secret);
    // The check can fail: the secrets are really stored, sealed, and come back for the code that uses them.
    expect(dump).toContain('shs1:');
    const jfrog = await loadIntegrationSecrets<{ accessToken: string }>(app.db, app.deps.secrets, connections.find((c) => c.kind === 'jfrog')!, ids.jfrog!);
    expect(jfrog.accessToken).toBe(samples.jfrog!.secrets[0]);
  });

  it('keeps a secret sent back masked, replaces one sent anew, and removes an optional one sent as null', async () => {
    const sample = sampleConfigs('b').gitlab!;
    const created = (await (await app.api(sample.path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sample.body) })).json()) as { id: string; config: Record<string, unknown> };
    const spec = connections.find((c) => c.kind === 'gitlab')!;
    const put = (config: Record<string, unknown>) =>
      app.api(`${sample.path}/${created.id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'gitlab-main', config }) });

    let res = await put({ ...created.config, mergeRequestNotes: false });
    expect(res.status).toBe(200);
    let stored = await loadIntegrationSecrets<Record<string, unknown>>(app.db, app.deps.secrets, spec, created.id);
    expect(stored).toMatchObject({ token: sample.secrets[0], webhookSecret: sample.secrets[1], mergeRequestNotes: false });

    res = await put({ url: 'https://gitlab.example.com', token: 'new-token-value', webhookSecret: null });
    expect(res.status).toBe(200);
    stored = await loadIntegrationSecrets(app.db, app.deps.secrets, spec, created.id);
    expect(stored.token).toBe('new-token-value');
    expect(stored).not.toHaveProperty('webhookSecret');

    const trail = (await (await app.api(`/api/v1/audit?targetId=${created.id}`)).json()) as { items: { action: string; before: unknown; after: unknown }[] };
    expect(trail.items.map((i) => i.action).sort()).toEqual(['integration.create', 'integration.update', 'integration.update']);
    expect(JSON.stringify(trail)).not.toContain('new-token-value');
    expect(JSON.stringify(trail)).toContain(SECRET_MASK);
  });

  it('refuses a bad setting naming the field, never echoing the value', async () => {
    const res = await app.api('/api/v1/integrations/jenkins', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci', config: { url: 'https://user:hunter2-secret@ci.example.com', user: 'x', apiToken: 'tok-secret-zz' } }),
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('config.url');
    expect(text).not.toContain('hunter2-secret');
    expect(text).not.toContain('tok-secret-zz');
  });

  it('without a secret key refuses to store credentials and stores nothing', async () => {
    await app.close();
    app = await startTestApp(backend, { secrets: undefined });
    const before = await tableCounts(app.db);
    const sample = sampleConfigs('c').webhook!;
    const res = await app.api(sample.path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sample.body) });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('SECRET_KEY_MISSING');
    expect(await tableCounts(app.db)).toEqual(before);
  });

  it('rotates every sealed value to a new key; the old key alone can then read nothing', async () => {
    const samples = sampleConfigs('d');
    for (const sample of Object.values(samples)) {
      const res = await app.api(sample.path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sample.body) });
      expect(res.status).toBe(201);
    }
    const oldKey = parseSecretKey(TEST_SECRET_KEY);
    const newKey = parseSecretKey(Buffer.alloc(32, 9).toString('base64'));
    const during = new SecretBox(newKey, [oldKey]);
    expect(await rotateSealedSecrets(app.db, during)).toEqual({ rotated: Object.keys(samples).length });
    expect(await rotateSealedSecrets(app.db, during)).toEqual({ rotated: 0 });
    const { rows } = await app.db.query<{ id: string; kind: string; key_id: string }>(`SELECT id, kind, key_id FROM integrations`);
    expect(new Set(rows.map((r) => r.key_id))).toEqual(new Set([newKey.id]));
    const after = new SecretBox(newKey);
    const oldOnly = new SecretBox(oldKey);
    const jfrogRow = rows.find((r) => r.kind === 'jfrog')!;
    const spec = connections.find((c) => c.kind === 'jfrog')!;
    expect((await loadIntegrationSecrets<{ accessToken: string }>(app.db, after, spec, jfrogRow.id)).accessToken).toBe(samples.jfrog!.secrets[0]);
    await expect(loadIntegrationSecrets(app.db, oldOnly, spec, jfrogRow.id)).rejects.toMatchObject({ code: 'SECRET_UNREADABLE' });
    // A sealed value moved to another row does not open there (it is bound to its row id).
    const other = rows.find((r) => r.kind === 'gitlab')!;
    await app.db.query(`UPDATE integrations SET sealed_secrets = (SELECT sealed_secrets FROM integrations WHERE id = $1) WHERE id = $2`, [jfrogRow.id, other.id]);
    await expect(loadIntegrationSecrets(app.db, after, connections.find((c) => c.kind === 'gitlab')!, other.id)).rejects.toMatchObject({ code: 'SECRET_UNREADABLE' });
  });

  it('keeps the audit log append-only in the database itself', async () => {
    await app.api('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'audited' }) });
    const { rows } = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log`);
    expect(rows[0]!.n).toBeGreaterThan(0);
    await expect(app.db.query(`UPDATE audit_log SET actor = 'someone-else'`)).rejects.toThrow(/append-only/);
    await expect(app.db.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
    await expect(app.db.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
    const again = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log`);
    expect(again.rows[0]!.n).toBe(rows[0]!.n);
  });
});
