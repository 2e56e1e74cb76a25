// `scanhub ci` as a pipeline runs it: the BUILT CLI (npm run build first) against the real ScanHub
// app started in this process, with a GitLab or Jenkins environment and the real Semgrep and Bandit
// reports of test/apps/demo-reports. Exit code = verdict; artifacts written and well-formed (JUnit
// parses, SARIF 2.1.0, GitLab reports valid against the 15.2.1 schemas); network failure → 3. The
// GitLab template's gate script and the Jenkinsfile's shell step are run as written (the CLI
// command substituted), and the verdict is published to the fake GitLab: one MR note, edited in
// place, and the `scanhub` commit status failed → success.
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { publishVerdictToGitLab, topFindingsFromVerdict, type VerdictFindingLike } from '../../integrations/ci/gitlab/publish.js';
import { createOutbound } from '../../src/security/outbound.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { projectRoot } from '../helpers/corpus.js';
import { gitlabValidator, sarifValidator, schemasAvailable } from '../helpers/export-schemas.js';
import { SEED, startFakeGitlab, type FakeGitlab } from '../fakes/gitlab/index.js';

const bin = join(projectRoot, 'dist/src/cli/bin.js');
const ciEntry = join(projectRoot, 'dist/src/cli/ci.js');
const demo = join(projectRoot, 'test/apps/demo-reports');
const SHA = SEED.mergeRequest.sha;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function execAsync(file: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { ...options, encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The argv prefix calling `scanhub`: bin.js once main.ts has `ci`; until then the built ci module's own program. */
let cliPrefix: string[] = [bin];
const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
/** An executable `scanhub` (what `npx scanhub` resolves to), for the templates' $SCANHUB_CLI. */
let cliWrapper = '';
const basePath = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);

async function scanhub(args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  return execAsync(process.execPath, [...cliPrefix, ...args], { env: { PATH: basePath, ...env }, cwd });
}

/** Runs shell text as a CI runner would (sh -c), with SCANHUB_CLI pointing at the built CLI. */
async function shell(script: string, env: Record<string, string>, cwd: string): Promise<Run> {
  return execAsync('/bin/sh', ['-c', script], { env: { PATH: basePath, SCANHUB_CLI: cliWrapper, ...env }, cwd });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const workdir = (reports: string[] = ['semgrep.json', 'bandit.json']) => {
  const dir = mkdtempSync(join(tmpdir(), 'scanhub-ci-e2e-'));
  for (const r of reports) copyFileSync(join(demo, r), join(dir, r));
  return dir;
};

let app: TestApp;
let gitlab: FakeGitlab;
const tokens: Record<string, string> = {};
const yaml = { 'Content-Type': 'application/yaml' };
const FAIL_HIGH_CODE = 'version: 1\nrules:\n  - id: no-high-code\n    when: { severity: ">=high", category: code }\n    action: fail\n    reason: Fix high-severity code findings before merging.\n';

const gitlabEnv = (project: string, extra: Record<string, string> = {}) => ({
  SCANHUB_URL: app.url,
  SCANHUB_TOKEN: tokens[project]!,
  GITLAB_CI: 'true',
  CI_PROJECT_PATH: project,
  CI_COMMIT_SHA: SHA,
  CI_COMMIT_REF_NAME: SEED.mergeRequest.sourceBranch,
  CI_MERGE_REQUEST_IID: String(SEED.mergeRequest.iid),
  CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: SEED.mergeRequest.sourceBranch,
  CI_MERGE_REQUEST_TARGET_BRANCH_NAME: SEED.mergeRequest.targetBranch,
  CI_PIPELINE_ID: '77',
  CI_PIPELINE_URL: 'https://gitlab.example.com/gitlabhq/gitlab-test/-/pipelines/77',
  ...extra,
});

beforeAll(async () => {
  if (!existsSync(bin) || !existsSync(ciEntry)) throw new Error('dist/ is missing or stale: run `npm run build` before this test.');
  const help = await execAsync(process.execPath, [bin, '--help'], { env: { PATH: basePath }, cwd: projectRoot });
  if (!/^\s+ci \[options\]/m.test(help.stdout)) {
    // main.ts does not register `ci` yet: run the same command through the built ci module.
    cliPrefix = ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(ciEntry).href)}); process.exitCode = await m.ciMain(['node', 'scanhub', ...process.argv.slice(1)]);`, '--'];
  }
  cliWrapper = join(mkdtempSync(join(tmpdir(), 'scanhub-cli-')), 'scanhub');
  writeFileSync(cliWrapper, `#!/bin/sh\nexec ${[process.execPath, ...cliPrefix].map(quote).join(' ')} "$@"\n`, { mode: 0o755 });
  app = await startTestApp('pglite');
  gitlab = await startFakeGitlab();
  for (const name of ['team/app', 'team/warn', 'team/offline']) {
    const res = await app.api('/api/v1/projects', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name }) });
    expect(res.status).toBe(201);
    const project = (await res.json()) as { id: string };
    tokens[name] = await app.token('ci', project.id);
  }
  expect((await app.api('/api/v1/projects/team%2Fapp/policy', { method: 'PUT', headers: yaml, body: FAIL_HIGH_CODE })).status).toBe(201);
}, 120_000);

afterAll(async () => {
  await gitlab?.close();
  await app?.close();
});

async function submissionOf(run: Run): Promise<{ id: string; verdict: { outcome: 'pass' | 'warn' | 'fail' | 'error'; summary: string; rules: { id: string; action: 'warn' | 'fail'; reason: string; triggered: boolean; matched: number; findings: VerdictFindingLike[] }[] }; counts: { new: number; fixed: number; existing: number; total: number } }> {
  const id = /submission ([0-9a-f-]{36})/.exec(run.stdout)?.[1];
  expect(id, run.stdout + run.stderr).toBeDefined();
  const res = await app.api(`/api/v1/submissions/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Awaited<ReturnType<typeof submissionOf>>;
}

async function publish(run: Run) {
  const s = await submissionOf(run);
  return publishVerdictToGitLab(
    { url: gitlab.url, token: gitlab.token },
    {
      project: SEED.project.path,
      scanhubProject: 'team/app',
      mrIid: SEED.mergeRequest.iid,
      commitSha: SHA,
      ref: SEED.mergeRequest.sourceBranch,
      pipelineId: 77,
      verdict: s.verdict,
      counts: s.counts,
      topFindings: topFindingsFromVerdict(s.verdict),
      reportUrl: `${app.url}/api/v1/submissions/${s.id}/report?format=html`,
    },
    { outbound: createOutbound({ outboundAllow: '127.0.0.0/8' }) },
  );
}

describe('scanhub ci (built CLI) against the running app', () => {
  it('GitLab MR pipeline, failing policy: exit 1, artifacts written and valid; the MR note and the failed status published', async () => {
    const dir = workdir();
    const run = await scanhub(['ci', '--junit', 'scanhub-junit.xml', '--sarif', 'scanhub.sarif', '--gitlab-reports', 'gl', '--html', 'scanhub-report.html', 'semgrep.json', 'bandit.json'], gitlabEnv('team/app'), dir);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain('scanhub ci: gitlab https://gitlab.example.com/gitlabhq/gitlab-test/-/pipelines/77 · project team/app · ref ms-viewport → master · commit da1560886d4f · MR !1');
    expect(run.stdout).toContain('submitted semgrep.json, bandit.json');
    expect(run.stdout).toMatch(/^FAIL: /m);
    expect(run.stdout).toContain('✗ no-high-code');

    const junit = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(join(dir, 'scanhub-junit.xml'), 'utf8')) as { testsuites?: Record<string, unknown> };
    expect(junit.testsuites).toBeDefined();
    expect(Number(junit.testsuites!['@_failures'] ?? 0)).toBeGreaterThan(0);
    const sarif = JSON.parse(readFileSync(join(dir, 'scanhub.sarif'), 'utf8')) as { version: string; runs: { results: unknown[] }[] };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.results.length).toBeGreaterThan(0);
    expect(readdirSync(join(dir, 'gl')).sort()).toEqual(['gl-container-scanning-report.json', 'gl-dependency-scanning-report.json', 'gl-sast-report.json']);
    const sast = JSON.parse(readFileSync(join(dir, 'gl/gl-sast-report.json'), 'utf8')) as { version: string; vulnerabilities: unknown[] };
    expect(sast.vulnerabilities.length).toBeGreaterThan(0);
    if (schemasAvailable) {
      const validateSarif = sarifValidator();
      expect(validateSarif(sarif), validateSarif.errorsText()).toBe(true);
      for (const kind of ['sast', 'dependency-scanning', 'container-scanning'] as const) {
        const validate = gitlabValidator(kind);
        const doc = JSON.parse(readFileSync(join(dir, `gl/gl-${kind}-report.json`), 'utf8')) as unknown;
        expect(validate(doc), `${kind}: ${validate.errorsText()}`).toBe(true);
      }
    }
    expect(readFileSync(join(dir, 'scanhub-report.html'), 'utf8')).toMatch(/<html/i);

    const published = await publish(run);
    expect(published.status).toEqual({ state: 'failed' });
    expect(published.notes).toEqual([{ mrIid: 1, noteId: expect.any(Number), action: 'created' }]);
    const note = gitlab.state.notes[0]!;
    expect(note.body.startsWith('<!-- scanhub:team/app:security -->')).toBe(true);
    expect(note.body).toContain('ScanHub: FAIL');
    expect(note.body).toContain('`no-high-code`');
    expect(note.body).toContain('<summary>Top findings</summary>');
    expect(note.body).toContain('`python-sql-string-format`'); // a high Semgrep finding, from the real report
    expect(gitlab.state.statuses.at(-1)).toMatchObject({ name: 'scanhub', status: 'failed', sha: SHA });
  });

  it('the GitLab template: its gate script, run as written, exits 0 once the policy passes; the same note is edited, the status ends success', async () => {
    const template = parseYaml(readFileSync(join(projectRoot, 'integrations/ci/gitlab/scanhub.gitlab-ci.yml'), 'utf8'), { logLevel: 'error' }) as Record<string, { script?: string[]; artifacts?: { reports?: Record<string, string>; paths?: string[]; when?: string } }>;
    const gate = template.scanhub!;
    expect(gate.artifacts!.when).toBe('always');
    expect(gate.artifacts!.reports).toEqual({ junit: 'scanhub-junit.xml', sast: 'gl-sast-report.json', dependency_scanning: 'gl-dependency-scanning-report.json', container_scanning: 'gl-container-scanning-report.json' });
    expect((template.variables as unknown as Record<string, string>).SCANHUB_CLI).toBe('npx --yes scanhub');

    expect((await app.api('/api/v1/projects/team%2Fapp/policy', { method: 'PUT', headers: yaml, body: 'version: 1\nrules: []\n' })).status).toBe(201);
    // The gate finds reports by the scan configuration's output file names: Bandit added to the default (Semgrep, Trivy).
    const cfg = await app.api('/api/v1/projects/team%2Fapp/scan-config', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ tools: { bandit: { enabled: true } } }) });
    expect(cfg.status).toBe(200);
    const dir = workdir(); // the scanner jobs' artifacts: semgrep.json and bandit.json in the project dir
    const run = await shell(gate.script!.join('\n'), { ...gitlabEnv('team/app', { CI_PIPELINE_ID: '78' }), SCANHUB_CI_ARGS: '' }, dir);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('submitted bandit.json, semgrep.json'); // found by the scan configuration's file names
    expect(run.stdout).toMatch(/^PASS: /m);
    for (const file of [...gate.artifacts!.paths!, ...Object.values(gate.artifacts!.reports!)]) expect(existsSync(join(dir, file)), file).toBe(true);

    const published = await publish(run);
    expect(published.status).toEqual({ state: 'success' });
    expect(published.notes[0]).toMatchObject({ mrIid: 1, action: 'updated' });
    expect(gitlab.state.notes).toHaveLength(1);
    expect(gitlab.state.notes[0]!.body).toContain('ScanHub: PASS');
    expect(gitlab.state.statuses.at(-1)).toMatchObject({ name: 'scanhub', status: 'success' });
  });

  it('the Jenkinsfile shell step in a Jenkins multibranch PR build: warn → exit 10 (UNSTABLE), scanners run when installed', async () => {
    // The step runs `scanhub ci --run`: configure Bandit only (installed in CI; skipped when not).
    const cfg = await app.api('/api/v1/projects/team%2Fwarn/scan-config', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ tools: { bandit: { enabled: true }, semgrep: { enabled: false }, trivy: { enabled: false } } }) });
    expect(cfg.status).toBe(200);
    const localBin = join(process.env.HOME ?? '/root', '.local/bin');
    const path = [basePath, localBin, ...(process.env.PATH ?? '').split(delimiter)].join(delimiter);
    const banditInstalled = spawnSync('bandit', ['--version'], { env: { PATH: path }, encoding: 'utf8' }).status === 0;
    const dir = mkdtempSync(join(tmpdir(), 'scanhub-ci-jenkins-'));
    cpSync(join(projectRoot, 'test/apps/shop-python'), dir, { recursive: true });
    if (!banditInstalled) copyFileSync(join(demo, 'bandit.json'), join(dir, 'bandit.json'));

    const jenkinsfile = readFileSync(join(projectRoot, 'integrations/ci/jenkins/Jenkinsfile'), 'utf8');
    const step = /sh\(returnStatus: true, script: '''\n([\s\S]*?)'''\)/.exec(jenkinsfile)?.[1];
    expect(step).toBeDefined();
    const run = await shell(step!, {
      PATH: path,
      SCANHUB_URL: app.url,
      SCANHUB_TOKEN: tokens['team/warn']!,
      JENKINS_URL: 'https://ci.example.com/',
      JOB_NAME: 'team/warn/PR-42',
      BRANCH_NAME: 'PR-42',
      CHANGE_ID: '42',
      CHANGE_BRANCH: 'feature/login',
      CHANGE_TARGET: 'main',
      GIT_COMMIT: SHA,
      BUILD_NUMBER: '3',
      BUILD_URL: 'https://ci.example.com/job/team/job/warn/job/PR-42/3/',
    }, dir);
    expect(run.code, run.stdout + run.stderr).toBe(10);
    expect(run.stdout).toContain('scanhub ci: jenkins https://ci.example.com/job/team/job/warn/job/PR-42/3/ · project team/warn · ref feature/login → main');
    expect(run.stdout).toContain(banditInstalled ? 'bandit: bandit -r . -f json -o bandit.json' : 'bandit: skipped (bandit is not installed)');
    expect(run.stdout).toMatch(/^WARN: /m);
    for (const f of ['scanhub-junit.xml', 'scanhub.sarif', 'scanhub-report.html']) expect(existsSync(join(dir, f)), f).toBe(true);
    // What the Jenkinsfile reads back as the reason (lines starting "scanhub: "): none for a warn.
    expect(readFileSync(join(dir, 'scanhub-stderr.txt'), 'utf8').split('\n').filter((l) => l.startsWith('scanhub: '))).toEqual([]);
  });

  it('network failure (nothing listening): retries, then exit 3 with a clear message, never a pass', async () => {
    const port = await closedPort();
    const run = await scanhub(['ci', '--retries', '1', '--junit', 'j.xml', join(demo, 'semgrep.json')], gitlabEnv('team/offline', { SCANHUB_URL: `http://127.0.0.1:${port}` }), workdir([]));
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`retrying in 1 s (1/1)`);
    expect(run.stderr).toContain(`scanhub: fetching the scan configuration: cannot reach ScanHub at http://127.0.0.1:${port} (ECONNREFUSED), 2 attempts; no verdict, failing the job.`);
    expect(run.stdout).not.toMatch(/PASS/);
  });

  it('a wrong token or a missing project is a usage error (exit 2) naming the cause', async () => {
    const bad = await scanhub(['ci', join(demo, 'semgrep.json')], gitlabEnv('team/app', { SCANHUB_TOKEN: 'shk_not_a_token' }), workdir([]));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ScanHub answered 401: .*\(check SCANHUB_TOKEN\)/);
    const none = await scanhub(['ci', join(demo, 'semgrep.json')], { SCANHUB_URL: app.url, SCANHUB_TOKEN: tokens['team/app']! }, workdir([]));
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('cannot tell the ScanHub project');
  });
});
