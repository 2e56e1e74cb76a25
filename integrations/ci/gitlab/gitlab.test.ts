// GitLab write-back through @gitbeaker/rest over the guarded transport, against the fake GitLab:
// one MR note per project + topic edited in place, the `scanhub` commit status, a triggered
// pipeline, verify() codes, 429 handling (Retry-After honoured, never gitbeaker's long loop), and
// the outbound guard. Plus the pure note renderer.
import { afterEach, describe, expect, it } from 'vitest';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import { createOutbound } from '../../../src/security/outbound.js';
import { SEED, startFakeGitlab, type FakeGitlab } from '../../../test/fakes/gitlab/index.js';
import { createGitlabClient, type GitlabClientOptions } from './client.js';
import { noteMarker, renderMrNote, type MrNoteData } from './note.js';
import { commitStateFor, gitlabSettingsFromEnv, publishPendingToGitLab, publishVerdictToGitLab, topFindingsFromVerdict, type GitlabPublishInput } from './publish.js';
import { decamelizeKeys, toQueryString } from './requester.js';

const outbound = createOutbound({ outboundAllow: '127.0.0.0/8' });
const fakes: FakeGitlab[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function fake(): Promise<FakeGitlab> {
  const f = await startFakeGitlab();
  fakes.push(f);
  return f;
}

const client = (f: FakeGitlab, extra: Partial<GitlabClientOptions> = {}) => createGitlabClient({ url: f.url, token: f.token, outbound, retry: { baseDelayMs: 10 }, ...extra });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
  return 'no error';
}

const failing: MrNoteData = {
  project: 'team/app',
  topic: 'security',
  verdict: {
    outcome: 'fail',
    summary: '1 rule failed: fixable-critical',
    rules: [
      { id: 'fixable-critical', action: 'fail', reason: 'Fix criticals before merging.', triggered: true, matched: 2 },
      { id: 'new-high', action: 'warn', reason: 'New highs', triggered: false, matched: 0 },
    ],
  },
  counts: { new: 2, fixed: 1, existing: 5, total: 7 },
  topFindings: [
    { severity: 'critical', title: 'PyYAML full_load RCE', vulnerabilityIds: ['CVE-2020-14343'], location: 'pyyaml@5.3', isNew: true },
    { severity: 'high', title: 'SQL built with string formatting', ruleId: 'python-sql-string-format', location: 'shop/db.py:12' },
  ],
  reportUrl: 'https://scanhub.example.com/api/v1/submissions/5b0c/report?format=html',
  commitSha: SEED.mergeRequest.sha,
  pipelineUrl: 'https://gitlab.example.com/gitlabhq/gitlab-test/-/pipelines/77',
  pipelineId: 77,
};

describe('renderMrNote (pure)', () => {
  it('starts with the hidden marker and shows verdict, failed rules, new/fixed counts, top findings and the report link', () => {
    const body = renderMrNote(failing);
    expect(body.split('\n')[0]).toBe('<!-- scanhub:team/app:security -->');
    expect(body).toContain(':x: **ScanHub: FAIL**');
    expect(body).toContain('**Failed rules**');
    expect(body).toContain('- `fixable-critical` (2 findings): Fix criticals before merging.');
    expect(body).not.toContain('new-high'); // not triggered
    expect(body).toContain('Findings: **2** new · **1** fixed · 5 existing · 7 total');
    expect(body).toContain('| critical · new | PyYAML full\\_load RCE (CVE-2020-14343) | pyyaml@5.3 |');
    expect(body).toContain('[Full report](https://scanhub.example.com/api/v1/submissions/5b0c/report?format=html)');
    expect(body).toContain('[pipeline #77](https://gitlab.example.com/gitlabhq/gitlab-test/-/pipelines/77)');
    expect(body).toContain('commit `da1560886d4f`');
    expect(renderMrNote(failing)).toBe(body); // deterministic without updatedAt
  });

  it('renders pass, warn and error headlines', () => {
    expect(renderMrNote({ ...failing, verdict: { outcome: 'pass', summary: 'No rule triggered' } })).toContain(':white_check_mark: **ScanHub: PASS**');
    expect(renderMrNote({ ...failing, verdict: { outcome: 'warn', summary: 'w' } })).toContain(':warning: **ScanHub: WARN**');
    expect(renderMrNote({ ...failing, verdict: { outcome: 'error', summary: 'Required tool did not report: xray' } })).toContain('ERROR');
  });

  it('makes scanner text inert: no forged marker, no HTML, no links, no table breaks, no mentions', () => {
    const body = renderMrNote({
      ...failing,
      topFindings: [{ severity: 'high', title: '<!-- scanhub:other:security --> | [click](javascript:alert(1)) @all <img src=x>', location: 'a|b' }],
      reportUrl: 'javascript:alert(1)',
    });
    expect(body.match(/<!-- scanhub:/g)).toHaveLength(1);
    expect(body).not.toContain('<img');
    expect(body).not.toContain('](javascript');
    expect(body).not.toContain('Full report');
    expect(body).not.toMatch(/(^|\s)@all/);
    const row = body.split('\n').find((l) => l.startsWith('| high'))!;
    expect(row.split(/(?<!\\)\|/).length).toBe(5); // 3 cells, escaped pipes stay inside
  });

  it('keeps markers well-formed whatever the project name is', () => {
    expect(noteMarker('a --> b', 'x:y')).toBe('<!-- scanhub:a_-__b:x_y -->');
    expect(noteMarker('team/app', 'image')).toBe('<!-- scanhub:team/app:image -->');
  });

  it('picks the top findings of a verdict: failing rules first, most severe first, each once', () => {
    const f = (fingerprint: string, severity: string, extra: object = {}) => ({ fingerprint, ruleId: `r-${fingerprint}`, vulnerabilityIds: [], title: `t-${fingerprint}`, severity, ...extra });
    const top = topFindingsFromVerdict({
      rules: [
        { action: 'warn', triggered: true, findings: [f('a', 'critical', { location: { path: 'app.py', startLine: 3 } })] },
        { action: 'fail', triggered: true, findings: [f('b', 'medium', { package: { name: 'pyyaml', version: '5.3' } }), f('c', 'high', { location: { image: 'reg/app:1' } }), f('a', 'critical')] },
        { action: 'fail', triggered: false, findings: [f('d', 'critical')] },
      ],
    });
    expect(top.map((x) => [x.title, x.location])).toEqual([['t-a', undefined], ['t-c', 'reg/app:1'], ['t-b', 'pyyaml@5.3']]);
    expect(topFindingsFromVerdict({ rules: [] })).toEqual([]);
  });

  it('maps verdicts to commit states (warn is success, error is failed)', () => {
    expect(commitStateFor('pass', 'ok')).toEqual({ state: 'success', description: 'PASS: ok' });
    expect(commitStateFor('warn', 'x')).toEqual({ state: 'success', description: 'WARN: x' });
    expect(commitStateFor('fail', 'x').state).toBe('failed');
    expect(commitStateFor('error', 'x')).toEqual({ state: 'failed', description: 'error: x' });
  });
});

describe('gitbeaker requester helpers', () => {
  it('decamelizes keys like gitbeaker and writes bracket-style queries', () => {
    expect(decamelizeKeys({ targetUrl: 'u', pipelineId: 1, variables: [{ key: 'A_B', value: 'v', variable_type: 'env_var' }] })).toEqual({
      target_url: 'u',
      pipeline_id: 1,
      variables: [{ key: 'A_B', value: 'v', variable_type: 'env_var' }],
    });
    expect(toQueryString({ orderBy: 'created_at', perPage: 100, scope: ['a', 'b'], skip: undefined })).toBe('order_by=created_at&per_page=100&scope%5B%5D=a&scope%5B%5D=b');
  });
});

describe('GitLab client against the fake', () => {
  it('sends PRIVATE-TOKEN, creates ONE MR note and edits it in place on the next pipeline', async () => {
    const f = await fake();
    const gl = client(f);
    const marker = noteMarker('team/app', 'security');
    // Another user's comment quoting the marker is not ours and must not be edited.
    f.state.notes.push({ id: 1, project_id: 1, noteable_iid: 1, body: `${marker}\nquoted by a human`, author: { id: SEED.humanUser.id, username: 'root' }, system: false, created_at: '2020-01-01T00:00:00Z', updated_at: '2020-01-01T00:00:00Z' });
    const first = await gl.upsertMrNote({ project: SEED.project.path, mrIid: 1, marker, body: renderMrNote(failing) });
    expect(first.action).toBe('created');
    const second = await gl.upsertMrNote({ project: SEED.project.path, mrIid: 1, marker, body: renderMrNote({ ...failing, verdict: { outcome: 'pass', summary: 'fixed' } }) });
    expect(second).toEqual({ noteId: first.noteId, action: 'updated' });
    const third = await gl.upsertMrNote({ project: SEED.project.path, mrIid: 1, marker, body: renderMrNote({ ...failing, verdict: { outcome: 'pass', summary: 'fixed' } }) });
    expect(third.action).toBe('unchanged');
    const ours = f.state.notes.filter((n) => n.author.id !== SEED.humanUser.id);
    expect(ours).toHaveLength(1);
    expect(ours[0]!.body).toContain('ScanHub: PASS');
    expect(f.state.notes.find((n) => n.id === 1)!.body).toBe(`${marker}\nquoted by a human`);
    expect(f.requests.every((r) => r.headers['private-token'] === f.token)).toBe(true);
    expect(f.requests.some((r) => r.path === '/api/v4/projects/gitlabhq%2Fgitlab-test/merge_requests/1/notes' && r.query.get('sort') === 'asc')).toBe(true);
    // A different topic is a different note.
    await gl.upsertMrNote({ project: 1, mrIid: 1, marker: noteMarker('team/app', 'image'), body: renderMrNote({ ...failing, topic: 'image' }) });
    expect(f.state.notes.filter((n) => n.author.id !== SEED.humanUser.id)).toHaveLength(2);
  });

  it('finds its note across pages (Link rel="next")', async () => {
    const f = await startFakeGitlab({ perPage: 2 });
    fakes.push(f);
    for (let i = 0; i < 5; i++) f.state.notes.push({ id: 10 + i, project_id: 1, noteable_iid: 1, body: `chatter ${i}`, author: { id: 1, username: 'root' }, system: false, created_at: `2020-01-0${i + 1}T00:00:00Z`, updated_at: '2020-01-01T00:00:00Z' });
    const gl = client(f);
    const marker = noteMarker('p', 'security');
    const created = await gl.upsertMrNote({ project: 1, mrIid: 1, marker, body: `${marker}\nv1` });
    const again = await gl.upsertMrNote({ project: 1, mrIid: 1, marker, body: `${marker}\nv2` });
    expect(again).toEqual({ noteId: created.noteId, action: 'updated' });
    expect(f.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/notes')).some((r) => r.query.get('page') === '3')).toBe(true);
  });

  it('publishes pending → failed for a failing verdict and pending → success for a passing one, one note across pipelines', async () => {
    const f = await fake();
    const settings = { url: f.url, token: f.token };
    const sha = SEED.mergeRequest.sha;
    const base: GitlabPublishInput = { project: SEED.project.path, scanhubProject: 'team/app', mrIid: 1, commitSha: sha, ref: 'ms-viewport', pipelineId: 77, verdict: failing.verdict, counts: failing.counts, topFindings: failing.topFindings, reportUrl: failing.reportUrl };
    expect(await publishPendingToGitLab(settings, { project: SEED.project.path, commitSha: sha, targetUrl: failing.reportUrl }, { outbound })).toEqual({ state: 'pending' });
    // Pending again (a retried job): GitLab's 400 "Cannot transition" is success.
    expect(await publishPendingToGitLab(settings, { project: SEED.project.path, commitSha: sha }, { outbound })).toEqual({ state: 'pending', unchanged: true });
    const r1 = await publishVerdictToGitLab(settings, base, { outbound });
    expect(r1.status).toEqual({ state: 'failed' });
    expect(r1.notes).toEqual([{ mrIid: 1, noteId: expect.any(Number), action: 'created' }]);
    const last = () => f.state.statuses.filter((s) => s.name === 'scanhub').pop()!;
    expect(last()).toMatchObject({ status: 'failed', sha, target_url: failing.reportUrl, ref: 'ms-viewport', pipeline_id: 77 });
    expect(last().description).toMatch(/^FAIL: /);

    // The next pipeline passes: same note, status success.
    const r2 = await publishVerdictToGitLab(settings, { ...base, pipelineId: 78, verdict: { outcome: 'pass', summary: 'No rule triggered' }, counts: { new: 0, fixed: 2 } }, { outbound });
    expect(r2.status).toEqual({ state: 'success' });
    expect(r2.notes[0]).toMatchObject({ noteId: r1.notes[0]!.noteId, action: 'updated' });
    expect(last().status).toBe('success');
    const notes = f.state.notes.filter((n) => n.noteable_iid === 1);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.body).toContain('ScanHub: PASS');
    expect(notes[0]!.body.startsWith('<!-- scanhub:team/app:security -->')).toBe(true);
  });

  it('finds the open MR from the commit when no iid is given, and honours the connection switches', async () => {
    const f = await fake();
    const r = await publishVerdictToGitLab({ url: f.url, token: f.token }, { project: 1, commitSha: SEED.mergeRequest.sha, verdict: { outcome: 'warn', summary: 'new highs' } }, { outbound });
    expect(r.notes.map((n) => n.mrIid)).toEqual([1]);
    expect(r.status).toEqual({ state: 'success' });
    const none = await publishVerdictToGitLab({ url: f.url, token: f.token, commitStatuses: false }, { project: 1, commitSha: 'ffffffffffffffffffffffffffffffffffffffff', verdict: { outcome: 'pass', summary: 'ok' } }, { outbound });
    expect(none.status).toBeUndefined();
    expect(none.notes).toEqual([]);
    expect(none.skipped).toEqual(['commit status: disabled in the connection', 'merge request note: no open merge request contains the commit']);
  });

  it('triggers a pipeline with variables', async () => {
    const f = await fake();
    const p = await client(f).triggerPipeline({ project: SEED.project.path, ref: 'master', variables: { SCANHUB_RESCAN_IMAGE: 'registry.example.test/demo/shop:1.4', SCANHUB_REASON: 'image pushed' } });
    expect(p.status).toBe('created');
    expect(p.webUrl).toBe(`${f.url}/gitlabhq/gitlab-test/-/pipelines/${p.id}`);
    expect(f.state.pipelines[0]!.variables).toEqual([
      { key: 'SCANHUB_RESCAN_IMAGE', value: 'registry.example.test/demo/shop:1.4', variable_type: 'env_var' },
      { key: 'SCANHUB_REASON', value: 'image pushed', variable_type: 'env_var' },
    ]);
    expect(f.requests.find((r) => r.method === 'POST')!.body).toMatchObject({ ref: 'master' });
  });

  it('verify(): ok, then each failure with its own code', async () => {
    const f = await fake();
    const ok = await client(f).verify(SEED.project.path);
    expect(ok).toMatchObject({ user: { username: 'project_1_bot_scanhub' }, project: { id: 1, pathWithNamespace: 'gitlabhq/gitlab-test' }, accessLevel: 30, scopes: ['api'] });
    expect(await codeOf(createGitlabClient({ url: f.url, token: 'wrong', outbound }).verify(1))).toBe('GITLAB_TOKEN_INVALID');
    f.addToken('revoked', { username: 'gone', accessLevel: 30, revoked: true });
    expect(await codeOf(createGitlabClient({ url: f.url, token: 'revoked', outbound }).verify(1))).toBe('GITLAB_TOKEN_INVALID');
    f.addToken('readonly', { username: 'reader-bot', accessLevel: 30, scopes: ['read_api'] });
    expect(await codeOf(createGitlabClient({ url: f.url, token: 'readonly', outbound }).verify(1))).toBe('GITLAB_TOKEN_SCOPE');
    expect(await codeOf(client(f).verify('nope/missing'))).toBe('GITLAB_PROJECT_NOT_FOUND');
    f.addToken('outsider', { username: 'outsider' }); // valid token, not a member
    expect(await codeOf(createGitlabClient({ url: f.url, token: 'outsider', outbound }).verify(1))).toBe('GITLAB_PROJECT_NOT_FOUND');
    f.addToken('reporter', { username: 'reporter-bot', accessLevel: 20 });
    const denied = createGitlabClient({ url: f.url, token: 'reporter', outbound }).verify(1);
    expect(await codeOf(denied)).toBe('GITLAB_PERMISSION_DENIED');
    await expect(createGitlabClient({ url: f.url, token: 'reporter', outbound }).verify(1)).rejects.toThrow(/Developer \(30\)/);
    // A wrong token never appears in messages.
    await expect(createGitlabClient({ url: f.url, token: 'glpat-secret-wrong', outbound }).verify(1)).rejects.not.toThrow(/glpat-secret-wrong/);
  });

  it('on 429 waits Retry-After once and succeeds, without gitbeaker\'s internal retry loop', async () => {
    const f = await fake();
    f.rateLimit(1, 1);
    const started = Date.now();
    const r = await client(f).setCommitStatus({ project: 1, sha: SEED.mergeRequest.sha, state: 'running' });
    const elapsed = Date.now() - started;
    expect(r.status).toBe('running');
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(5_000);
    expect(f.requests.map((q) => q.status)).toEqual([429, 201]);
  });

  it('gives up at once when GitLab asks for a longer wait than allowed (retryAfterMs for the job queue)', async () => {
    const f = await fake();
    f.rateLimit(100, 120);
    const started = Date.now();
    const error = await client(f).setCommitStatus({ project: 1, sha: SEED.mergeRequest.sha, state: 'running' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrationError);
    expect((error as IntegrationError).code).toBe('GITLAB_RATE_LIMITED');
    expect((error as IntegrationError).retryable).toBe(true);
    expect((error as IntegrationError).options.retryAfterMs).toBe(120_000);
    expect(f.requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('bounds retries of persistent 429s without Retry-After and of 500s; a pipeline trigger is not retried on 500', async () => {
    const f = await fake();
    const sleeps: number[] = [];
    const gl = client(f, { retry: { attempts: 3, baseDelayMs: 100 }, sleep: async (ms) => void sleeps.push(ms) });
    f.rateLimit(100, null);
    expect(await codeOf(gl.setCommitStatus({ project: 1, sha: 'abc1234', state: 'running' }))).toBe('GITLAB_RATE_LIMITED');
    expect(f.requests).toHaveLength(3);
    expect(sleeps).toEqual([100, 200]);
    f.rateLimit(0, null);
    f.fail500(1);
    expect((await gl.setCommitStatus({ project: 1, sha: 'abc1234', state: 'running' })).status).toBe('running');
    f.fail500(1);
    expect(await codeOf(gl.triggerPipeline({ project: 1, ref: 'master' }))).toBe('GITLAB_HTTP_500');
    expect(f.state.pipelines).toHaveLength(0);
  });

  it('is refused by the outbound guard unless the operator allows the host; no request leaves', async () => {
    const f = await fake();
    const guarded = createGitlabClient({ url: f.url, token: f.token, outbound: createOutbound({}) });
    expect(await codeOf(guarded.verify(1))).toBe('OUTBOUND_URL_REFUSED');
    expect(f.requests).toHaveLength(0);
    // Operator-set (SCANHUB_GITLAB_URL) targets are trusted.
    const operator = createGitlabClient({ url: f.url, token: f.token, outbound: createOutbound({}), userSet: false });
    expect((await operator.verify(1)).accessLevel).toBe(30);
  });

  it('reads SCANHUB_GITLAB_URL / SCANHUB_GITLAB_TOKEN', () => {
    expect(gitlabSettingsFromEnv({})).toBeUndefined();
    expect(gitlabSettingsFromEnv({ SCANHUB_GITLAB_URL: 'https://gitlab.example.com', SCANHUB_GITLAB_TOKEN: 't' })).toEqual({ url: 'https://gitlab.example.com', token: 't', mergeRequestNotes: true, commitStatuses: true });
  });
});
