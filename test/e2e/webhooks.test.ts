// Inbound webhooks against the running app, with the corpus's real Artifactory bodies: HMAC (the
// known vector from the corpus MANIFEST) and plain-secret modes, wrong and tampered signatures refused
// with nothing queued, repeats deduplicated, other events acknowledged and ignored.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { projectRoot, readCorpus } from '../helpers/corpus.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeEachBackend, tableCounts } from '../helpers/db.js';

const SECRET = 'mysupersecrettoken';
/** From corpus/xray/MANIFEST.md: HMAC-SHA256(SECRET, the exact 918 bytes of the keel push body). */
const KNOWN_SIGNATURE = '3eafebd0f0e00443289c7b0ff5527381269f9067d13b9cd9be6df46d6fec4c25';

describeEachBackend('webhooks', (backend) => {
  let app: TestApp;
  let integrationId: string;
  const json = { 'content-type': 'application/json' };

  beforeEach(async () => {
    app = await startTestApp(backend);
    const res = await app.api('/api/v1/integrations/jfrog', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'acme', config: { baseUrl: 'https://acme.jfrog.io', accessToken: 'tok', webhookSecret: SECRET, watch: { repositories: ['docker-*'], images: ['**'] } } }),
    });
    integrationId = ((await res.json()) as { id: string }).id;
  });
  afterEach(async () => app.close());

  const post = (path: string, body: Buffer | string, headers: Record<string, string>) => fetch(app.url + path, { method: 'POST', headers: { ...json, ...headers }, body });
  const jobs = async () => (await app.db.query<{ queue: string; dedupe_key: string; payload: { image: { image: string; tag: string; digest: string } } }>(`SELECT queue, dedupe_key, payload FROM jobs ORDER BY id`)).rows;

  it('queues a scan for a signed docker push within a second, once however often it is repeated', async () => {
    const body = readCorpus('xray', 'artifactory-webhook-docker-pushed.keel.json');
    expect(body.length).toBe(918);
    const started = Date.now();
    const res = await post('/webhooks/artifactory', body, { 'x-jfrog-event-auth': KNOWN_SIGNATURE });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'queued', duplicate: false });
    const again = await post(`/webhooks/artifactory/${integrationId}`, body, { 'x-jfrog-event-auth': SECRET });
    expect(await again.json()).toMatchObject({ status: 'queued', duplicate: true });
    const queued = await jobs();
    expect(queued).toHaveLength(1);
    expect(queued[0]!.queue).toBe('xray.scan');
    expect(queued[0]!.payload.image).toMatchObject({ image: 'library/ubuntu', tag: 'latest', digest: '35c4a2c15539c6c1e4e5fa4e554dac323ad0107d8eb5c582d6ff386b383b7dce' });
  });

  it('refuses a wrong or missing signature and a tampered body with 401, queuing nothing', async () => {
    const body = readCorpus('xray', 'artifactory-webhook-docker-pushed.keel.json');
    const before = await tableCounts(app.db);
    for (const headers of [{}, { 'x-jfrog-event-auth': 'not-the-secret' }, { 'x-jfrog-event-auth': KNOWN_SIGNATURE.replace(/^3/, '4') }] as Record<string, string>[]) {
      const res = await post('/webhooks/artifactory', body, headers);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('WEBHOOK_UNAUTHENTICATED');
    }
    const tampered = Buffer.from(body.toString('utf8').replace('"tag":"latest"', '"tag":"evil!!"'));
    expect((await post('/webhooks/artifactory', tampered, { 'x-jfrog-event-auth': KNOWN_SIGNATURE })).status).toBe(401);
    expect((await post('/webhooks/artifactory/not-a-uuid', body, { 'x-jfrog-event-auth': SECRET })).status).toBe(401);
    expect(await tableCounts(app.db)).toEqual(before);
  });

  it('acknowledges other events, test deliveries and unwatched repositories without queuing', async () => {
    const deployed = readCorpus('xray', 'artifactory-webhook-artifact-deployed.jfrog-docs.json');
    let res = await post('/webhooks/artifactory', deployed, { 'x-jfrog-event-auth': SECRET });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'ignored' });

    const placeholder = JSON.stringify({ domain: 'docker', event_type: 'deleted', data: JSON.parse(readCorpus('xray', 'artifactory-webhook-docker-deleted-data.jfrog-docs.json').toString('utf8')), subscription_key: 'test' });
    res = await post('/webhooks/artifactory', placeholder, { 'x-jfrog-event-auth': SECRET });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ test: true });

    const other = JSON.parse(readCorpus('xray', 'artifactory-webhook-docker-pushed.keel.json').toString('utf8')) as { data: { repo_key: string } };
    other.data.repo_key = 'npm-local';
    res = await post('/webhooks/artifactory', JSON.stringify(other), { 'x-jfrog-event-auth': SECRET });
    expect(await res.json()).toMatchObject({ status: 'ignored', reason: expect.stringContaining('not watched') });

    res = await post('/webhooks/artifactory', '{"domain": "docker", "event_type": "pushed", "data": {"path": "x"}}', { 'x-jfrog-event-auth': SECRET });
    expect(res.status).toBe(400);
    expect(await jobs()).toEqual([]);
  });

  it('accepts Xray violation webhooks with Basic auth carrying the secret', async () => {
    const body = readCorpus('xray', 'xray-webhook-security-one-issue-docker.sechub.json');
    const basic = (password: string) => `Basic ${Buffer.from(`xray:${password}`).toString('base64')}`;
    expect((await post('/webhooks/xray', body, { authorization: basic('wrong') })).status).toBe(401);
    const res = await post('/webhooks/xray', body, { authorization: basic(SECRET) });
    expect(res.status).toBe(202);
    expect((await jobs()).map((j) => j.queue)).toEqual(['xray.webhook']);
  });

  it('takes GitLab hooks with X-Gitlab-Token: a closed MR leaves the branch view, a failed scan job is verdict error', async () => {
    const gl = await app.api('/api/v1/integrations/gitlab', { method: 'POST', headers: json, body: JSON.stringify({ name: 'gl', config: { url: 'https://gitlab.example.com', token: 't', webhookSecret: 'gitlab-hook-token' } }) });
    expect(gl.status).toBe(201);
    await app.api('/api/v1/projects', { method: 'POST', headers: json, body: JSON.stringify({ name: 'gitlabhq/gitlab-test' }) });
    await app.api('/api/v1/projects', { method: 'POST', headers: json, body: JSON.stringify({ name: 'gitlab-org/gitlab-test' }) });
    const mr = JSON.parse(readCorpus('gitlab-webhooks', 'merge_request_hook.json').toString('utf8')) as { object_attributes: { action: string } };
    // Findings on the MR's branch first.
    const semgrep = readFileSync(join(projectRoot, 'test/apps/demo-reports/semgrep.json'));
    const form = new FormData();
    form.set('ref', 'ms-viewport');
    form.append('report', new Blob([new Uint8Array(semgrep)]), 'semgrep.json');
    expect((await app.api('/api/v1/projects/gitlabhq%2Fgitlab-test/submissions', { method: 'POST', body: form })).status).toBe(201);
    const open = async () => ((await (await app.api('/api/v1/projects/gitlabhq%2Fgitlab-test/findings?ref=ms-viewport')).json()) as { items: unknown[] }).items.length;
    expect(await open()).toBeGreaterThan(0);

    expect((await post('/webhooks/gitlab', JSON.stringify(mr), { 'x-gitlab-token': 'wrong' })).status).toBe(401);
    mr.object_attributes.action = 'close';
    const closed = await post('/webhooks/gitlab', JSON.stringify(mr), { 'x-gitlab-token': 'gitlab-hook-token' });
    expect(closed.status).toBe(202);
    expect(await closed.json()).toMatchObject({ status: 'closed' });
    expect(await open()).toBe(0);

    const pipeline = JSON.parse(readCorpus('gitlab-webhooks', 'pipeline_hook.json').toString('utf8')) as { object_attributes: { status: string }; builds: { name: string; status: string }[] };
    expect((await (await post('/webhooks/gitlab', JSON.stringify(pipeline), { 'x-gitlab-token': 'gitlab-hook-token' })).json())).toMatchObject({ status: 'ignored' });
    pipeline.object_attributes.status = 'failed';
    pipeline.builds.find((b) => b.status === 'failed')!.name = 'semgrep';
    const failed = await post('/webhooks/gitlab', JSON.stringify(pipeline), { 'x-gitlab-token': 'gitlab-hook-token' });
    const body = (await failed.json()) as { status: string; submissionId: string };
    expect(body.status).toBe('error-recorded');
    const verdict = (await (await app.api(`/api/v1/submissions/${body.submissionId}/verdict`)).json()) as { outcome: string; summary: string };
    expect(verdict.outcome).toBe('error');
    expect(verdict.summary).toContain('failed in semgrep');
  });
});
