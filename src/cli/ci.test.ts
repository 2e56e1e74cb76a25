// `scanhub ci` core: CI detection (pure), scanner argv (no shell), and runCi's control flow against
// a scripted ScanHub API on 127.0.0.1 (retries with back-off, verdict polling and its timeout,
// usage errors, failed scanners never passing). The real app and the built CLI: test/e2e/ci-adapters.test.ts.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRecordingServer, type FakeServer } from '../../test/fakes/http.js';
import { DEFAULT_SCAN_CONFIG } from '../domain/scan-config.js';
import { detectCiEnvironment, exitCodeFor, resolveCiContext, runCiDetailed, scannerInvocation, type CiIo, type CiOptions } from './ci.js';

const SHA = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';

describe('detectCiEnvironment', () => {
  it('GitLab merge request pipeline', () => {
    expect(
      detectCiEnvironment({
        GITLAB_CI: 'true',
        CI_PROJECT_PATH: 'team/app',
        CI_COMMIT_SHA: SHA,
        CI_COMMIT_REF_NAME: 'feature/x',
        CI_MERGE_REQUEST_IID: '12',
        CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'feature/x',
        CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
        CI_PIPELINE_URL: 'https://gitlab.example.com/team/app/-/pipelines/77',
        CI_PIPELINE_ID: '77',
        CI_JOB_URL: 'https://gitlab.example.com/team/app/-/jobs/5',
      }),
    ).toEqual({ provider: 'gitlab', project: 'team/app', ref: 'feature/x', commit: SHA, targetRef: 'main', mergeRequest: '12', pipelineUrl: 'https://gitlab.example.com/team/app/-/pipelines/77', pipelineId: '77', jobUrl: 'https://gitlab.example.com/team/app/-/jobs/5' });
  });

  it('GitLab branch and tag pipelines', () => {
    expect(detectCiEnvironment({ GITLAB_CI: 'true', CI_PROJECT_PATH: 'team/app', CI_COMMIT_SHA: SHA, CI_COMMIT_BRANCH: 'main', CI_COMMIT_REF_NAME: 'main' })).toEqual({ provider: 'gitlab', project: 'team/app', ref: 'main', commit: SHA });
    expect(detectCiEnvironment({ GITLAB_CI: 'true', CI_PROJECT_PATH: 'team/app', CI_COMMIT_SHA: SHA, CI_COMMIT_REF_NAME: 'v1.2.0', CI_COMMIT_TAG: 'v1.2.0' }).ref).toBe('v1.2.0');
  });

  it('Jenkins multibranch pull request (CHANGE_*), job name without the branch', () => {
    expect(
      detectCiEnvironment({
        JENKINS_URL: 'https://ci.example.com/',
        JOB_NAME: 'team/app/PR-42',
        BRANCH_NAME: 'PR-42',
        CHANGE_ID: '42',
        CHANGE_TARGET: 'main',
        CHANGE_BRANCH: 'feature/x',
        GIT_COMMIT: SHA,
        BUILD_URL: 'https://ci.example.com/job/team/job/app/job/PR-42/3/',
        BUILD_NUMBER: '3',
      }),
    ).toEqual({ provider: 'jenkins', project: 'team/app', ref: 'feature/x', commit: SHA, targetRef: 'main', mergeRequest: '42', pipelineUrl: 'https://ci.example.com/job/team/job/app/job/PR-42/3/', pipelineId: '3' });
  });

  it('Jenkins multibranch branch with a slash, and a freestyle job with GIT_BRANCH origin/main', () => {
    expect(detectCiEnvironment({ JENKINS_URL: 'https://ci/', JOB_NAME: 'team/app/feature%2Fy', BRANCH_NAME: 'feature/y', GIT_COMMIT: SHA }).project).toBe('team/app');
    expect(detectCiEnvironment({ JOB_NAME: 'app-build', BUILD_URL: 'https://ci/job/app-build/9/', GIT_BRANCH: 'origin/main', GIT_COMMIT: SHA })).toMatchObject({ provider: 'jenkins', project: 'app-build', ref: 'main' });
  });

  it('GitHub Actions pull request and push', () => {
    expect(
      detectCiEnvironment({
        GITHUB_ACTIONS: 'true',
        GITHUB_REPOSITORY: 'team/app',
        GITHUB_SHA: SHA,
        GITHUB_REF: 'refs/pull/7/merge',
        GITHUB_REF_NAME: '7/merge',
        GITHUB_HEAD_REF: 'feature/x',
        GITHUB_BASE_REF: 'main',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_RUN_ID: '123',
      }),
    ).toEqual({ provider: 'github', project: 'team/app', ref: 'feature/x', commit: SHA, targetRef: 'main', mergeRequest: '7', pipelineUrl: 'https://github.com/team/app/actions/runs/123', pipelineId: '123' });
    expect(detectCiEnvironment({ GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'team/app', GITHUB_SHA: SHA, GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main', GITHUB_HEAD_REF: '', GITHUB_BASE_REF: '' })).toEqual({ provider: 'github', project: 'team/app', ref: 'main', commit: SHA });
  });

  it('nothing detected outside CI; flags and SCANHUB_* override', () => {
    expect(detectCiEnvironment({ PATH: '/usr/bin', HOME: '/root' })).toEqual({ provider: 'none' });
    const gl = detectCiEnvironment({ GITLAB_CI: 'true', CI_PROJECT_PATH: 'gitlab/path', CI_COMMIT_SHA: SHA, CI_COMMIT_BRANCH: 'main' });
    expect(resolveCiContext(gl, {}, { SCANHUB_PROJECT: 'scanhub/name' }).project).toBe('scanhub/name');
    expect(resolveCiContext(gl, { project: 'flag/name', ref: 'other', commit: 'abcdef1' }, { SCANHUB_PROJECT: 'scanhub/name' })).toMatchObject({ provider: 'gitlab', project: 'flag/name', ref: 'other', commit: 'abcdef1' });
  });
});

describe('scannerInvocation (argv, no shell)', () => {
  it('renders the configured tools as argv with hostile-looking values kept as single arguments', () => {
    const config = { tools: { semgrep: { config: ['p/python', 'rules dir/x.yml'], args: ['--verbose'] } }, ignorePaths: ['node_modules', 'a b;rm -rf /'] };
    const s = scannerInvocation('semgrep', config.tools.semgrep, config);
    expect(s.file).toBe('semgrep');
    expect(s.args).toEqual(['scan', '--metrics=off', '--json', '--output', 'semgrep.json', '--config', 'p/python', '--config', 'rules dir/x.yml', '--exclude', 'node_modules', '--exclude', 'a b;rm -rf /', '--verbose', '.']);
    expect(scannerInvocation('bandit', {}, { tools: {}, ignorePaths: ['venv'] })).toMatchObject({ file: 'bandit', args: ['-r', '.', '-f', 'json', '-o', 'bandit.json', '-x', './venv'], okExitCodes: [0, 1] });
    expect(scannerInvocation('trivy', DEFAULT_SCAN_CONFIG.tools.trivy!, { ...DEFAULT_SCAN_CONFIG, image: 'registry/app:1' }).args.slice(0, 1)).toEqual(['image']);
    expect(scannerInvocation('npm-audit', {}, { tools: {} })).toMatchObject({ file: 'npm', args: ['audit', '--json'], stdoutTo: 'npm-audit.json' });
  });

  it('maps outcomes to exit codes', () => {
    expect([exitCodeFor('pass'), exitCodeFor('warn'), exitCodeFor('warn', 4), exitCodeFor('fail'), exitCodeFor('error')]).toEqual([0, 0, 4, 1, 3]);
  });
});

// ---- runCi against a scripted API

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const SUBMISSION = '0b8f3c3e-5f7e-4a52-9a57-2f3d2b8f6a10';
const verdict = (outcome: string) => ({ outcome, summary: `${outcome} summary`, rules: [{ id: 'fixable-critical', action: 'fail', reason: 'Fix criticals.', triggered: outcome === 'fail', matched: 1 }] });

async function api(opts: { verdictAfterPolls?: number; outcome?: string } = {}): Promise<FakeServer> {
  let polls = 0;
  const s = await startRecordingServer((r) => {
    if (r.method === 'GET' && r.path.startsWith('/api/v1/projects/team%2Fapp/scan-config')) {
      return { status: 200, body: { project: 'team/app', tools: { semgrep: { enabled: true }, bandit: { enabled: true } }, commands: { bandit: { command: 'bandit …', output: 'bandit.json' }, semgrep: { command: 'semgrep …', output: 'semgrep.json' } } } };
    }
    if (r.method === 'POST' && r.path === '/api/v1/projects/team%2Fapp/submissions') {
      return { status: 201, body: { id: SUBMISSION, counts: { new: 1, fixed: 0, total: 1 }, verdict: opts.verdictAfterPolls === undefined ? verdict(opts.outcome ?? 'pass') : null } };
    }
    if (r.method === 'GET' && r.path === `/api/v1/submissions/${SUBMISSION}/verdict`) {
      polls++;
      return { status: 200, body: polls > (opts.verdictAfterPolls ?? 0) ? verdict(opts.outcome ?? 'pass') : 'null', headers: { 'Content-Type': 'application/json' } };
    }
    if (r.method === 'GET' && r.path.startsWith(`/api/v1/submissions/${SUBMISSION}/report`)) return { status: 200, body: `report ${new URL(r.path, 'http://x').searchParams.get('format')}` };
    return { status: 404, body: { error: { code: 'NOT_FOUND', message: 'no such route' } } };
  });
  servers.push(s);
  return s;
}

function io(env: Record<string, string>, cwd: string, extra: Partial<CiIo> = {}): CiIo & { out: string[]; err: string[]; sleeps: number[] } {
  const out: string[] = [];
  const err: string[] = [];
  const sleeps: number[] = [];
  return { env, cwd, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), sleep: async (ms) => void sleeps.push(ms), out, err, sleeps, ...extra };
}

function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scanhub-ci-unit-'));
  writeFileSync(join(dir, 'semgrep.json'), '{"results": [], "errors": [], "version": "1.0.0"}');
  return dir;
}

const gitlabEnv = (url: string) => ({ SCANHUB_URL: url, SCANHUB_TOKEN: 'shk_test', GITLAB_CI: 'true', CI_PROJECT_PATH: 'team/app', CI_COMMIT_SHA: SHA, CI_COMMIT_BRANCH: 'feature', CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main' });
const base: CiOptions = { files: [] };

describe('runCi', () => {
  it('finds the configured output files, submits with the CI fields and an idempotency key, writes artifacts, exits with the verdict', async () => {
    const s = await api({ outcome: 'fail' });
    const dir = workdir();
    const t = io(gitlabEnv(s.url), dir);
    const r = await runCiDetailed({ ...base, junit: 'out/junit.xml', gitlabReports: 'gl' }, t);
    expect(r.exitCode).toBe(1);
    expect(r.submitted).toEqual(['semgrep.json']); // bandit.json absent: only what exists
    const post = s.requests.find((q) => q.method === 'POST')!;
    expect(post.headers.authorization).toBe('Bearer shk_test');
    expect(String(post.headers['idempotency-key'])).toMatch(/^scanhub-ci-[0-9a-f-]{36}$/);
    const body = post.raw.toString('utf8');
    expect(body).toContain('name="ref"\r\n\r\nfeature');
    expect(body).toContain(`name="commit"\r\n\r\n${SHA}`);
    expect(body).toContain('name="targetRef"\r\n\r\nmain');
    expect(readFileSync(join(dir, 'out/junit.xml'), 'utf8')).toBe('report junit');
    expect(readFileSync(join(dir, 'gl/gl-sast-report.json'), 'utf8')).toBe('report gitlab-sast');
    expect(readFileSync(join(dir, 'gl/gl-container-scanning-report.json'), 'utf8')).toBe('report gitlab-container-scanning');
    expect(t.out.join('')).toContain('FAIL: fail summary');
    expect(t.out.join('')).toContain('✗ fixable-critical (1): Fix criticals.');
  });

  it('warn exits 0 unless --warn-exit-code; pass 0; error 3', async () => {
    for (const [outcome, warnExitCode, code] of [['warn', undefined, 0], ['warn', 5, 5], ['pass', 5, 0], ['error', undefined, 3]] as const) {
      const s = await api({ outcome });
      expect((await runCiDetailed({ ...base, warnExitCode }, io(gitlabEnv(s.url), workdir()))).exitCode).toBe(code);
    }
  });

  it('polls for a verdict the server has not computed yet, and exits 3 when it never comes', async () => {
    const s = await api({ verdictAfterPolls: 2, outcome: 'pass' });
    const t = io(gitlabEnv(s.url), workdir());
    expect((await runCiDetailed(base, t)).exitCode).toBe(0);
    expect(s.requests.filter((q) => q.path.endsWith('/verdict'))).toHaveLength(3);
    const never = await api({ verdictAfterPolls: 1_000_000 });
    const t2 = io(gitlabEnv(never.url), workdir());
    const r = await runCiDetailed({ ...base, timeoutSeconds: 1 }, { ...t2, sleep: (ms) => new Promise((res) => setTimeout(res, Math.min(ms, 50))) });
    expect(r.exitCode).toBe(3);
    expect(t2.err.join('')).toMatch(/no verdict for submission .* after 1 s; failing the job rather than passing it/);
  });

  it('retries 503 and 429 with back-off (Retry-After honoured), then succeeds', async () => {
    const s = await api();
    s.script.push({ status: 503, body: { error: { code: 'UNAVAILABLE', message: 'starting' } } }, { status: 429, body: { error: { code: 'RATE_LIMITED', message: 'slow down' } }, headers: { 'Retry-After': '7' } });
    const t = io(gitlabEnv(s.url), workdir());
    const r = await runCiDetailed({ ...base, retryDelayMs: 100 }, t);
    expect(r.exitCode).toBe(0);
    expect(t.sleeps).toEqual([100, 7000]);
    expect(t.err.join('')).toContain('retrying in 0.1 s (1/3)');
  });

  it('does not retry a submission whose ingestion the server gave up (INGEST_FAILED): exit 3 with the reason at once', async () => {
    const s = await startRecordingServer((r) => {
      if (r.method === 'GET' && r.path.startsWith('/api/v1/projects/team%2Fapp/scan-config')) {
        return { status: 200, body: { project: 'team/app', tools: { semgrep: { enabled: true } }, commands: { semgrep: { command: 'semgrep …', output: 'semgrep.json' } } } };
      }
      if (r.method === 'POST') return { status: 202, body: { id: SUBMISSION, status: 'queued', verdict: null } };
      return { status: 500, body: { error: { code: 'INGEST_FAILED', message: 'ScanHub gave up ingesting this submission (job 7, 5 attempt(s))' } } };
    });
    servers.push(s);
    const t = io(gitlabEnv(s.url), workdir());
    const r = await runCiDetailed(base, t);
    expect(r.exitCode, t.err.join('')).toBe(3);
    expect(s.requests.filter((q) => q.path.endsWith('/verdict'))).toHaveLength(1);
    expect(t.err.join('')).toContain('ScanHub answered 500: INGEST_FAILED: ScanHub gave up ingesting this submission (job 7, 5 attempt(s))');
    expect(t.err.join('')).not.toContain('retrying');
  });

  it('network failure: retries, then exit 3 with a clear message, never a pass', async () => {
    const t = io({ ...gitlabEnv('http://127.0.0.1:1'), SCANHUB_URL: 'http://127.0.0.1:1' }, workdir());
    const r = await runCiDetailed({ ...base, retries: 2, retryDelayMs: 10 }, t);
    expect(r.exitCode).toBe(3);
    expect(t.sleeps).toEqual([10, 20]);
    expect(r.message).toBe('fetching the scan configuration: cannot reach ScanHub at http://127.0.0.1:1 (ECONNREFUSED), 3 attempts; no verdict, failing the job.');
  });

  it('usage errors exit 2: no URL, no token, no project, a 401, no reports', async () => {
    const dir = workdir();
    expect((await runCiDetailed(base, io({ SCANHUB_TOKEN: 't', SCANHUB_PROJECT: 'p', SCANHUB_REF: 'main' }, dir))).exitCode).toBe(2);
    expect((await runCiDetailed(base, io({ SCANHUB_URL: 'http://127.0.0.1:1', SCANHUB_PROJECT: 'p', SCANHUB_REF: 'main' }, dir))).message).toMatch(/SCANHUB_TOKEN is not set/);
    expect((await runCiDetailed(base, io({ SCANHUB_URL: 'http://127.0.0.1:1', SCANHUB_TOKEN: 't' }, dir))).message).toMatch(/cannot tell the ScanHub project/);
    const s = await api();
    s.script.push({ status: 401, body: { error: { code: 'UNAUTHENTICATED', message: 'The token is invalid.' } } });
    const denied = await runCiDetailed(base, io(gitlabEnv(s.url), dir));
    expect(denied).toMatchObject({ exitCode: 2, message: 'fetching the scan configuration: ScanHub answered 401: UNAUTHENTICATED: The token is invalid. (check SCANHUB_TOKEN)' });
    const empty = mkdtempSync(join(tmpdir(), 'scanhub-ci-empty-'));
    const none = await runCiDetailed(base, io(gitlabEnv(s.url), empty));
    expect(none.exitCode).toBe(2);
    expect(none.message).toMatch(/no report to submit: none of bandit.json, semgrep.json is in/);
  });

  it('--run: runs installed scanners (argv, in the reports dir), skips missing ones; a failed scanner turns a pass into exit 3', async () => {
    const s = await api({ outcome: 'pass' });
    const dir = mkdtempSync(join(tmpdir(), 'scanhub-ci-run-'));
    const ran: string[][] = [];
    const t = io(gitlabEnv(s.url), dir, {
      which: (c) => (c === 'semgrep' ? '/usr/bin/semgrep' : undefined),
      runScanner: async (inv, cwd) => {
        ran.push([inv.file, ...inv.args]);
        writeFileSync(join(cwd, inv.output), '{"results": [], "errors": []}');
        return { code: 0 };
      },
    });
    const r = await runCiDetailed({ ...base, run: true }, t);
    expect(r.exitCode).toBe(0);
    expect(r.scanners).toEqual([{ tool: 'bandit', status: 'not-installed', detail: 'bandit is not on PATH' }, { tool: 'semgrep', status: 'ran' }]);
    expect(ran[0]![0]).toBe('semgrep');
    expect(r.submitted).toEqual(['semgrep.json']);

    const dir2 = workdir();
    const t2 = io(gitlabEnv(s.url), dir2, { which: () => '/bin/x', runScanner: async (inv) => ({ code: inv.tool === 'bandit' ? 2 : 0 }) });
    const r2 = await runCiDetailed({ ...base, run: true }, t2);
    expect(r2.exitCode).toBe(3);
    expect(r2.message).toMatch(/the verdict is pass, but bandit \(exit 2\) failed/);
  });
});
