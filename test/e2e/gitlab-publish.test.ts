// The verdict of a GitLab pipeline's submission goes back to GitLab by itself: the `scanhub` commit
// status and ONE merge-request note, edited in place on the next pipeline (fake GitLab on loopback).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createCiPublishHandler, CI_PUBLISH_QUEUE } from '../../integrations/ci/gitlab/publish-job.js';
import { startWorker, type Worker } from '../../src/jobs/queue.js';
import { createLogger } from '../../src/logger.js';
import { SEED, startFakeGitlab, type FakeGitlab } from '../fakes/gitlab/index.js';
import { startTestApp, submissionForm, type TestApp } from '../helpers/app.js';
import { projectRoot } from '../helpers/corpus.js';
import { describeEachBackend } from '../helpers/db.js';

describeEachBackend('GitLab write-back', (backend) => {
  let app: TestApp;
  let gitlab: FakeGitlab;
  let worker: Worker;
  let integrationId: string;

  beforeEach(async () => {
    gitlab = await startFakeGitlab();
    app = await startTestApp(backend);
    const res = await app.api('/api/v1/integrations/gitlab', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'gitlab', config: { url: gitlab.url, token: gitlab.token } }) });
    integrationId = ((await res.json()) as { id: string }).id;
    await app.api('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'gitlab-test' }) });
    worker = startWorker(app.db, { [CI_PUBLISH_QUEUE]: createCiPublishHandler({ db: app.db, secrets: app.deps.secrets, outbound: app.deps.outbound, log: createLogger('silent'), publicUrl: 'https://scanhub.example.test' }) }, { id: 'w', autostart: false });
  });
  afterEach(async () => {
    await worker.stop();
    await app.close();
    await gitlab.close();
  });

  const submit = (pipelineId: string) =>
    app.api('/api/v1/projects/gitlab-test/submissions', {
      method: 'POST',
      body: submissionForm(
        { ref: SEED.mergeRequest.sourceBranch, commit: SEED.mergeRequest.sha, targetRef: SEED.mergeRequest.targetBranch, ciProvider: 'gitlab', ciProject: SEED.project.path, mergeRequest: String(SEED.mergeRequest.iid), pipelineId },
        [{ name: 'semgrep.json', content: readFileSync(join(projectRoot, 'test/apps/demo-reports/semgrep.json')) }],
      ),
    });

  it('sets the commit status and keeps one MR note per project, edited by the next pipeline', async () => {
    expect((await submit('501')).status).toBe(201);
    await worker.drain();
    expect(gitlab.state.notes).toHaveLength(1);
    const note = gitlab.state.notes[0]!;
    expect(note.body).toContain('scanhub');
    expect(note.body).toContain('https://scanhub.example.test/api/v1/submissions/');
    const statuses = gitlab.state.statuses.filter((s) => s.name === 'scanhub' && s.sha === SEED.mergeRequest.sha);
    expect(statuses.length).toBeGreaterThan(0);
    expect(['success', 'failed']).toContain(statuses[statuses.length - 1]!.status);

    expect((await submit('502')).status).toBe(201);
    await worker.drain();
    expect(gitlab.state.notes).toHaveLength(1);
    expect(gitlab.state.notes[0]!.id).toBe(note.id);
  });

  it('verifies the GitLab integration against a project, each failure with its code', async () => {
    const ok = (await (await app.api(`/api/v1/integrations/gitlab/${integrationId}/verify?project=${encodeURIComponent(SEED.project.path)}`, { method: 'POST' })).json()) as { ok: boolean };
    expect(ok.ok).toBe(true);
    const missing = (await (await app.api(`/api/v1/integrations/gitlab/${integrationId}/verify?project=nobody%2Fnothing`, { method: 'POST' })).json()) as { ok: boolean; checks: { code?: string }[] };
    expect(missing.ok).toBe(false);
    expect(missing.checks[0]!.code).toBe('GITLAB_PROJECT_NOT_FOUND');
  });
});
