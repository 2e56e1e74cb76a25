// `scanhub ci`: the one step a pipeline runs. Detects the CI (GitLab, Jenkins, GitHub Actions or
// flags) → project / ref / commit / MR / pipeline URL; fetches the project's scan configuration;
// optionally runs the configured scanners that are installed (spawned, no shell); submits the
// reports; waits for the verdict; writes the requested artifacts (JUnit, SARIF, GitLab security
// reports, HTML) and exits with the verdict's code: pass 0, warn 0 (or --warn-exit-code), fail 1,
// error 3; usage 2. Network trouble is retried with back-off, then exit 3 with a clear message —
// never a pass without a verdict.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, closeSync, constants as fsConstants, existsSync, openSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { Command } from 'commander';
import { OUTPUT_FILES, SCAN_TOOLS, type ScanConfig, type ScanTool, type ToolConfig } from '../domain/scan-config.js';
import { EXIT } from './exit-codes.js';
import { appendReportFile, redirectHint } from './submit.js';

// ---------------------------------------------------------------------------------------------
// Environment detection (pure)

export type CiProvider = 'gitlab' | 'jenkins' | 'github' | 'none';

export interface CiEnvironment {
  provider: CiProvider;
  /** ScanHub project name guessed from the CI (GitLab path, GitHub repository, Jenkins job). */
  project?: string;
  /** The branch the reports belong to (an MR's source branch). */
  ref?: string;
  commit?: string;
  /** Merge/pull request target branch: "new" is measured against its latest submission. */
  targetRef?: string;
  /** MR iid / PR number / Jenkins CHANGE_ID. */
  mergeRequest?: string;
  pipelineUrl?: string;
  pipelineId?: string;
  jobUrl?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const val = (env: Env, ...names: string[]): string | undefined => {
  for (const n of names) {
    const v = env[n]?.trim();
    if (v) return v;
  }
  return undefined;
};

function compact(e: CiEnvironment): CiEnvironment {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined && v !== '')) as unknown as CiEnvironment;
}

/** `origin/main`, `refs/heads/main` → `main`. */
export function branchName(ref: string): string {
  return ref.replace(/^refs\/heads\//, '').replace(/^origin\//, '').replace(/^remotes\/origin\//, '');
}

/** Jenkins multibranch job names end with the (URL-encoded) branch: `team/app/feature%2Fx` → `team/app`. */
function jenkinsProject(jobName: string, branch: string | undefined): string {
  if (branch) {
    for (const suffix of [`/${encodeURIComponent(branch)}`, `/${branch}`]) {
      if (jobName.endsWith(suffix) && jobName.length > suffix.length) return jobName.slice(0, -suffix.length);
    }
  }
  return jobName;
}

/** Reads the CI from environment variables. Pure: same env, same answer. */
export function detectCiEnvironment(env: Env): CiEnvironment {
  const gitlab = env.GITLAB_CI === 'true' || (!!val(env, 'CI_PROJECT_PATH') && !!val(env, 'CI_COMMIT_SHA'));
  const github = env.GITHUB_ACTIONS === 'true';
  const jenkins = !!val(env, 'JENKINS_URL', 'JENKINS_HOME') || (!!val(env, 'JOB_NAME') && !!val(env, 'BUILD_URL', 'BUILD_NUMBER'));

  if (gitlab) {
    return compact({
      provider: 'gitlab',
      project: val(env, 'CI_PROJECT_PATH'),
      ref: val(env, 'CI_MERGE_REQUEST_SOURCE_BRANCH_NAME', 'CI_COMMIT_BRANCH', 'CI_COMMIT_REF_NAME', 'CI_COMMIT_TAG'),
      commit: val(env, 'CI_COMMIT_SHA'),
      targetRef: val(env, 'CI_MERGE_REQUEST_TARGET_BRANCH_NAME', 'CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_NAME'),
      mergeRequest: val(env, 'CI_MERGE_REQUEST_IID', 'CI_EXTERNAL_PULL_REQUEST_IID'),
      pipelineUrl: val(env, 'CI_PIPELINE_URL'),
      pipelineId: val(env, 'CI_PIPELINE_ID'),
      jobUrl: val(env, 'CI_JOB_URL'),
    });
  }
  if (github) {
    const server = val(env, 'GITHUB_SERVER_URL') ?? 'https://github.com';
    const repo = val(env, 'GITHUB_REPOSITORY');
    const runId = val(env, 'GITHUB_RUN_ID');
    const pr = /^refs\/pull\/(\d+)\//.exec(val(env, 'GITHUB_REF') ?? '')?.[1];
    return compact({
      provider: 'github',
      project: repo,
      ref: val(env, 'GITHUB_HEAD_REF', 'GITHUB_REF_NAME'),
      commit: val(env, 'GITHUB_SHA'),
      targetRef: val(env, 'GITHUB_BASE_REF'),
      mergeRequest: pr,
      pipelineUrl: repo && runId ? `${server.replace(/\/+$/, '')}/${repo}/actions/runs/${runId}` : undefined,
      pipelineId: runId,
    });
  }
  if (jenkins) {
    const branch = val(env, 'CHANGE_BRANCH', 'BRANCH_NAME', 'GIT_BRANCH', 'GIT_LOCAL_BRANCH');
    const jobName = val(env, 'JOB_NAME');
    return compact({
      provider: 'jenkins',
      project: jobName ? jenkinsProject(jobName, val(env, 'BRANCH_NAME')) : undefined,
      ref: branch ? branchName(branch) : undefined,
      commit: val(env, 'GIT_COMMIT'),
      targetRef: val(env, 'CHANGE_TARGET'),
      mergeRequest: val(env, 'CHANGE_ID'),
      pipelineUrl: val(env, 'BUILD_URL'),
      pipelineId: val(env, 'BUILD_NUMBER'),
      jobUrl: val(env, 'JOB_URL'),
    });
  }
  return { provider: 'none' };
}

export interface CiContextFlags {
  project?: string | undefined;
  ref?: string | undefined;
  commit?: string | undefined;
  targetRef?: string | undefined;
  mergeRequest?: string | undefined;
  pipelineUrl?: string | undefined;
}

/** Flags over SCANHUB_PROJECT / SCANHUB_REF over what the CI says. Pure. */
export function resolveCiContext(detected: CiEnvironment, flags: CiContextFlags, env: Env = {}): CiEnvironment {
  return compact({
    ...detected,
    project: flags.project ?? val(env, 'SCANHUB_PROJECT') ?? detected.project,
    ref: flags.ref ?? val(env, 'SCANHUB_REF') ?? detected.ref,
    commit: flags.commit ?? detected.commit,
    targetRef: flags.targetRef ?? detected.targetRef,
    mergeRequest: flags.mergeRequest ?? detected.mergeRequest,
    pipelineUrl: flags.pipelineUrl ?? detected.pipelineUrl,
  });
}

// ---------------------------------------------------------------------------------------------
// Scanners as argv (no shell): the same commands as the scan configuration's shell rendering.

export interface ScannerInvocation {
  tool: ScanTool;
  file: string;
  args: string[];
  /** Exit codes that mean "ran" (e.g. Bandit exits 1 when it finds issues). */
  okExitCodes: number[];
  /** Tools that print the report on stdout: written to this file. */
  stdoutTo?: string;
  output: string;
}

export function scannerInvocation(tool: ScanTool, c: ToolConfig, config: ScanConfig): ScannerInvocation {
  const out = OUTPUT_FILES[tool];
  const ignores = config.ignorePaths ?? [];
  const extra = c.args ?? [];
  const target = config.image;
  switch (tool) {
    case 'semgrep':
      return {
        tool,
        output: out,
        file: 'semgrep',
        args: ['scan', '--metrics=off', '--json', '--output', out, ...(c.config ?? ['p/default']).flatMap((r) => ['--config', r]), ...ignores.flatMap((p) => ['--exclude', p]), ...(c.timeout ? ['--timeout', String(parseInt(c.timeout, 10))] : []), ...extra, '.'],
        okExitCodes: [0, 1],
      };
    case 'trivy':
      return {
        tool,
        output: out,
        file: 'trivy',
        args: [
          target ? 'image' : 'fs',
          '--format',
          'json',
          '--output',
          out,
          ...(c.severities ? ['--severity', c.severities.join(',')] : []),
          ...(c.ignoreUnfixed ? ['--ignore-unfixed'] : []),
          ...(c.timeout ? ['--timeout', c.timeout] : []),
          ...ignores.flatMap((p) => ['--skip-dirs', p]),
          ...extra,
          target ?? '.',
        ],
        okExitCodes: [0],
      };
    case 'grype':
      return { tool, output: out, file: 'grype', args: [target ?? 'dir:.', '-o', 'json', '--file', out, ...ignores.flatMap((p) => ['--exclude', `./${p}/**`]), ...extra], okExitCodes: [0] };
    case 'bandit':
      return { tool, output: out, file: 'bandit', args: ['-r', '.', '-f', 'json', '-o', out, ...(ignores.length ? ['-x', ignores.map((p) => `./${p}`).join(',')] : []), ...extra], okExitCodes: [0, 1] };
    case 'dependency-check':
      return {
        tool,
        output: out,
        file: 'dependency-check.sh',
        args: ['--scan', '.', '--format', 'JSON', '--out', out, '--failOnCVSS', String(c.failOnCvss ?? 11), ...(c.suppressionFile ? ['--suppression', c.suppressionFile] : []), ...ignores.flatMap((p) => ['--exclude', `**/${p}/**`]), ...extra],
        okExitCodes: [0],
      };
    case 'osv-scanner':
      return { tool, output: out, file: 'osv-scanner', args: ['scan', 'source', '-r', '--format', 'json', '--output', out, ...extra, '.'], okExitCodes: [0, 1] };
    case 'npm-audit':
      return { tool, output: out, file: 'npm', args: ['audit', '--json', ...extra], okExitCodes: [0, 1], stdoutTo: out };
    case 'xray':
      return { tool, output: out, file: 'jf', args: target ? ['docker', 'scan', target, '--format', 'json', ...extra] : ['audit', '--format', 'json', ...extra], okExitCodes: [0], stdoutTo: out };
  }
}

/** The absolute path of an executable on PATH, if any. */
export function which(command: string, env: Env): string | undefined {
  if (command.includes('/')) return existsSync(command) ? command : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, fsConstants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function spawnScanner(inv: ScannerInvocation, cwd: string, env: Env): Promise<{ code: number | null; error?: string }> {
  return new Promise((resolvePromise) => {
    let fd: number | undefined;
    try {
      if (inv.stdoutTo) fd = openSync(resolve(cwd, inv.stdoutTo), 'w');
      const child = spawn(inv.file, inv.args, { cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', fd ?? 2, 2], shell: false });
      child.on('error', (error) => {
        if (fd !== undefined) closeSync(fd);
        resolvePromise({ code: null, error: (error as NodeJS.ErrnoException).code ?? error.message });
      });
      child.on('close', (code) => {
        if (fd !== undefined) closeSync(fd);
        resolvePromise({ code });
      });
    } catch (error) {
      if (fd !== undefined) closeSync(fd);
      resolvePromise({ code: null, error: (error as Error).message });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// runCi

export interface CiOptions extends CiContextFlags {
  /** ScanHub base URL (default SCANHUB_URL). The token is only read from SCANHUB_TOKEN. */
  url?: string | undefined;
  /** Report files; none: the scan configuration's output files found in reportsDir. */
  files: string[];
  run?: boolean | undefined;
  reportsDir?: string | undefined;
  junit?: string | undefined;
  sarif?: string | undefined;
  gitlabReports?: string | undefined;
  html?: string | undefined;
  /** Seconds to wait for the verdict (default 300). */
  timeoutSeconds?: number | undefined;
  warnExitCode?: number | undefined;
  /** Retries after the first try for network trouble, 429 and 5xx (default 3). */
  retries?: number | undefined;
  /** First back-off in ms, doubled each retry (default 1000). */
  retryDelayMs?: number | undefined;
  json?: boolean | undefined;
}

export interface CiIo {
  env: Env;
  cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
  sleep?: (ms: number) => Promise<void>;
  /** Test seam: the HTTP client (default: a fresh axios instance). */
  http?: AxiosInstance;
  /** Test seam: runs one scanner (default: spawn without a shell). */
  runScanner?: (inv: ScannerInvocation, cwd: string) => Promise<{ code: number | null; error?: string }>;
  /** Test seam: finds an executable (default: PATH lookup). */
  which?: (command: string) => string | undefined;
}

export interface CiVerdict {
  outcome: 'pass' | 'warn' | 'fail' | 'error';
  summary: string;
  rules?: { id: string; action: 'warn' | 'fail'; reason?: string; triggered: boolean; matched?: number }[];
}

export interface CiResult {
  exitCode: number;
  context: CiEnvironment;
  submissionId?: string;
  verdict?: CiVerdict;
  submitted: string[];
  artifacts: string[];
  scanners: { tool: ScanTool; status: 'ran' | 'not-installed' | 'failed'; detail?: string }[];
  reportUrl?: string;
  message?: string;
}

class CiFailure extends Error {
  constructor(readonly exitCode: number, message: string) {
    super(message);
  }
}

const GITLAB_REPORTS: [format: string, file: string][] = [
  ['gitlab-sast', 'gl-sast-report.json'],
  ['gitlab-dependency-scanning', 'gl-dependency-scanning-report.json'],
  ['gitlab-container-scanning', 'gl-container-scanning-report.json'],
];

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

function retryAfterMs(res: AxiosResponse | undefined): number | undefined {
  const value = res?.headers?.['retry-after'];
  if (typeof value !== 'string' || !/^\d+$/.test(value.trim())) return undefined;
  return Math.min(Number(value) * 1000, 60_000);
}

/** Server errors a retry can only repeat, whatever their status: the submission's ingestion was given up. */
const FINAL_CODES = new Set(['INGEST_FAILED']);

function serverError(data: unknown): { code?: string; message?: string } | undefined {
  try {
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : data instanceof ArrayBuffer ? Buffer.from(data).toString('utf8') : typeof data === 'string' ? data : JSON.stringify(data);
    return (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
  } catch {
    return undefined; // not JSON
  }
}

function serverMessage(data: unknown): string | undefined {
  const error = serverError(data);
  return error?.message ? `${error.code ? `${error.code}: ` : ''}${error.message}` : undefined;
}

export function exitCodeFor(outcome: CiVerdict['outcome'], warnExitCode = EXIT.ok as number): number {
  switch (outcome) {
    case 'pass':
      return EXIT.ok;
    case 'warn':
      return warnExitCode;
    case 'fail':
      return EXIT.fail;
    case 'error':
      return EXIT.error;
  }
}

export async function runCi(options: CiOptions, io: CiIo): Promise<number> {
  const result = await runCiDetailed(options, io);
  return result.exitCode;
}

/** runCi with everything it did, for tests and --json. */
export async function runCiDetailed(options: CiOptions, io: CiIo): Promise<CiResult> {
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const say = (line: string) => {
    if (!options.json) io.stdout(line + '\n');
  };
  const context = resolveCiContext(detectCiEnvironment(io.env), options, io.env);
  const result: CiResult = { exitCode: EXIT.error, context, submitted: [], artifacts: [], scanners: [] };
  const finish = (exitCode: number, message?: string): CiResult => {
    result.exitCode = exitCode;
    if (message) {
      result.message = message;
      io.stderr(`scanhub: ${message}\n`);
    }
    if (options.json) io.stdout(JSON.stringify(result, null, 2) + '\n');
    return result;
  };

  const url = (options.url ?? val(io.env, 'SCANHUB_URL'))?.replace(/\/+$/, '');
  const token = val(io.env, 'SCANHUB_TOKEN');
  if (!url) return finish(EXIT.usage, 'SCANHUB_URL is not set (e.g. https://scanhub.example.com); set it in the CI variables or pass --url.');
  try {
    new URL(url);
  } catch {
    return finish(EXIT.usage, `SCANHUB_URL is not a URL: ${url}`);
  }
  if (!token) return finish(EXIT.usage, 'SCANHUB_TOKEN is not set: create a CI token (scanhub token create --role ci --project <p>) and store it as a masked CI variable.');
  if (!context.project) return finish(EXIT.usage, `cannot tell the ScanHub project: no CI detected${context.provider === 'none' ? '' : ` (${context.provider})`} gives one; pass --project or set SCANHUB_PROJECT.`);
  if (!context.ref) return finish(EXIT.usage, 'cannot tell the branch: pass --ref or set SCANHUB_REF.');
  const commit = context.commit && /^[0-9a-fA-F]{7,64}$/.test(context.commit) ? context.commit : undefined;
  if (context.commit && !commit) io.stderr(`scanhub: ignoring commit "${context.commit.slice(0, 80)}": not a git SHA\n`);
  const timeoutMs = (options.timeoutSeconds ?? 300) * 1000;
  const retries = options.retries ?? 3;
  const baseDelay = options.retryDelayMs ?? 1000;
  const http = io.http ?? axios.create({ timeout: 120_000, maxRedirects: 0 });
  const auth = { Authorization: `Bearer ${token}` };
  const project = context.project;
  const cwd = resolve(io.cwd);
  const reportsDir = resolve(cwd, options.reportsDir ?? '.');

  /** One API call with bounded retries: network errors, 408/429/5xx. */
  async function call<T>(what: string, send: () => Promise<AxiosResponse<T>>): Promise<AxiosResponse<T>> {
    let lastProblem = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      try {
        return await send();
      } catch (error) {
        const e = error as { response?: AxiosResponse; code?: string; message?: string };
        if (e.response && (!RETRYABLE_STATUS.has(e.response.status) || FINAL_CODES.has(serverError(e.response.data)?.code ?? ''))) {
          const msg = serverMessage(e.response.data) ?? e.message ?? 'error';
          const code = e.response.status >= 500 ? EXIT.error : EXIT.usage;
          const hint = redirectHint(e.response) || (e.response.status === 401 ? ' (check SCANHUB_TOKEN)' : e.response.status === 403 ? ' (the token may be scoped to another project or lack the ci role)' : e.response.status === 404 ? ` (does the project "${project}" exist?)` : '');
          throw new CiFailure(code, `${what}: ScanHub answered ${e.response.status}: ${msg}${hint}`);
        }
        lastProblem = e.response ? `ScanHub answered ${e.response.status}${serverMessage(e.response.data) ? ` (${serverMessage(e.response.data)})` : ''}` : `cannot reach ScanHub at ${url} (${e.code ?? e.message ?? 'network error'})`;
        if (attempt === retries) break;
        const wait = retryAfterMs(e.response) ?? Math.min(baseDelay * 2 ** attempt, 30_000);
        io.stderr(`scanhub: ${what}: ${lastProblem}; retrying in ${Math.round(wait / 100) / 10} s (${attempt + 1}/${retries})\n`);
        await sleep(wait);
      }
    }
    throw new CiFailure(EXIT.error, `${what}: ${lastProblem}, ${retries + 1} attempt${retries === 0 ? '' : 's'}; no verdict, failing the job.`);
  }

  try {
    const where = [
      context.provider === 'none' ? 'no CI detected' : `${context.provider} ${context.pipelineUrl ?? ''}`.trim(),
      `project ${project}`,
      `ref ${context.ref}${context.targetRef ? ` → ${context.targetRef}` : ''}`,
      commit ? `commit ${commit.slice(0, 12)}` : undefined,
      context.mergeRequest ? `${context.provider === 'gitlab' ? 'MR !' : context.provider === 'github' ? 'PR #' : 'change '}${context.mergeRequest}` : undefined,
    ].filter(Boolean);
    say(`scanhub ci: ${where.join(' · ')}`);

    // 1. Scan configuration
    const cfgRes = await call('fetching the scan configuration', () => http.get<Record<string, unknown>>(`${url}/api/v1/projects/${encodeURIComponent(project)}/scan-config`, { headers: auth, responseType: 'json' }));
    const scanConfig = cfgRes.data as unknown as ScanConfig & { commands?: Record<string, { command: string; output: string }> };
    const tools = (Object.keys(scanConfig.commands ?? {}) as ScanTool[]).filter((t) => (SCAN_TOOLS as readonly string[]).includes(t));
    const configured = tools.length > 0 ? tools : (Object.entries(scanConfig.tools ?? {}) as [ScanTool, ToolConfig][]).filter(([, c]) => c.enabled !== false).map(([t]) => t);

    // 2. Scanners
    if (options.run) {
      const finder = io.which ?? ((c: string) => which(c, io.env));
      const runOne = io.runScanner ?? ((inv: ScannerInvocation, dir: string) => spawnScanner(inv, dir, io.env));
      for (const tool of configured) {
        const inv = scannerInvocation(tool, scanConfig.tools?.[tool] ?? {}, scanConfig);
        if (!finder(inv.file)) {
          result.scanners.push({ tool, status: 'not-installed', detail: `${inv.file} is not on PATH` });
          say(`  ${tool}: skipped (${inv.file} is not installed)`);
          continue;
        }
        say(`  ${tool}: ${[inv.file, ...inv.args].join(' ')}${inv.stdoutTo ? ` > ${inv.stdoutTo}` : ''}`);
        const ran = await runOne(inv, reportsDir);
        if (ran.code !== null && inv.okExitCodes.includes(ran.code) && existsSync(join(reportsDir, inv.output))) result.scanners.push({ tool, status: 'ran' });
        else {
          const detail = ran.error ?? (ran.code === null ? 'killed' : inv.okExitCodes.includes(ran.code) ? `no ${inv.output} written` : `exit ${ran.code}`);
          result.scanners.push({ tool, status: 'failed', detail });
          io.stderr(`scanhub: ${tool} failed (${detail}); its report is not submitted\n`);
        }
      }
    }

    // 3. Reports
    let files: string[];
    if (options.files.length > 0) files = options.files.map((f) => (isAbsolute(f) ? f : resolve(cwd, f)));
    else {
      const failed = new Set(result.scanners.filter((s) => s.status === 'failed').map((s) => s.tool));
      const names = configured.filter((t) => !failed.has(t)).map((t) => scanConfig.commands?.[t]?.output ?? OUTPUT_FILES[t]);
      files = [...new Set(names)].map((n) => join(reportsDir, n)).filter((p) => existsSync(p));
      if (files.length === 0) {
        throw new CiFailure(
          EXIT.usage,
          `no report to submit: none of ${[...new Set(configured.map((t) => OUTPUT_FILES[t]))].join(', ') || 'the configured output files'} is in ${reportsDir}. Give report files as arguments, or run the scanners first (--run).`,
        );
      }
    }
    const form = new FormData();
    form.set('ref', context.ref!);
    if (commit) form.set('commit', commit);
    if (context.targetRef && context.targetRef !== context.ref) form.set('targetRef', context.targetRef);
    // Where the verdict should be published back (MR note, commit status). Servers that do not
    // know these fields ignore them (the submission schema strips unknown fields).
    for (const [field, value] of [['ciProvider', context.provider === 'none' ? undefined : context.provider], ['ciProject', detectCiEnvironment(io.env).project], ['mergeRequest', context.mergeRequest], ['pipelineId', context.pipelineId], ['pipelineUrl', context.pipelineUrl], ['jobUrl', context.jobUrl]] as const) {
      if (value) form.set(field, value.slice(0, 500));
    }
    for (const file of files) {
      try {
        await appendReportFile(form, file);
      } catch (error) {
        throw new CiFailure(EXIT.usage, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      result.submitted.push(basename(file));
    }

    // 4. Submit (one idempotency key per run: a retried POST cannot create a second submission)
    const idempotencyKey = `scanhub-ci-${randomUUID()}`;
    const sub = await call('submitting the reports', () =>
      http.post<{ id: string; verdict: CiVerdict | null; counts?: { new: number; fixed: number; total: number } }>(`${url}/api/v1/projects/${encodeURIComponent(project)}/submissions`, form, {
        headers: { ...auth, 'Idempotency-Key': idempotencyKey },
        maxBodyLength: Infinity,
        // follow-redirects keeps every byte sent to replay it on a redirect: the reports would be held whole.
        maxRedirects: 0,
        responseType: 'json',
      }),
    );
    const submissionId = sub.data.id;
    result.submissionId = submissionId;
    result.reportUrl = `${url}/api/v1/submissions/${submissionId}/report?format=html`;
    const counts = sub.data.counts;
    say(`submitted ${result.submitted.join(', ')} → submission ${submissionId}${counts ? ` (${counts.total} findings: ${counts.new} new, ${counts.fixed} fixed)` : ''}`);

    // 5. Verdict (polled when the server has not assessed yet)
    let verdict = sub.data.verdict;
    const deadline = Date.now() + timeoutMs;
    while (!verdict) {
      if (Date.now() >= deadline) throw new CiFailure(EXIT.error, `no verdict for submission ${submissionId} after ${Math.round(timeoutMs / 1000)} s; failing the job rather than passing it.`);
      await sleep(Math.min(2000, Math.max(deadline - Date.now(), 0)));
      const v = await call('waiting for the verdict', () => http.get<CiVerdict | null>(`${url}/api/v1/submissions/${submissionId}/verdict`, { headers: auth, responseType: 'json' }));
      verdict = v.data && typeof v.data === 'object' && 'outcome' in v.data ? v.data : null;
    }
    result.verdict = { outcome: verdict.outcome, summary: verdict.summary, ...(verdict.rules ? { rules: verdict.rules.map((r) => ({ id: r.id, action: r.action, ...(r.reason ? { reason: r.reason } : {}), triggered: r.triggered, ...(r.matched !== undefined ? { matched: r.matched } : {}) })) } : {}) };

    // 6. Artifacts (written whatever the verdict: GitLab uploads reports of failed jobs too)
    const downloads: [format: string, path: string][] = [];
    if (options.junit) downloads.push(['junit', resolve(cwd, options.junit)]);
    if (options.sarif) downloads.push(['sarif', resolve(cwd, options.sarif)]);
    if (options.html) downloads.push(['html', resolve(cwd, options.html)]);
    if (options.gitlabReports) for (const [format, name] of GITLAB_REPORTS) downloads.push([format, join(resolve(cwd, options.gitlabReports), name)]);
    let artifactProblem: string | undefined;
    for (const [format, path] of downloads) {
      try {
        const res = await call(`downloading the ${format} report`, () => http.get<ArrayBuffer>(`${url}/api/v1/submissions/${submissionId}/report?format=${format}`, { headers: auth, responseType: 'arraybuffer' }));
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, Buffer.from(res.data));
        result.artifacts.push(path);
      } catch (error) {
        artifactProblem ??= error instanceof CiFailure ? error.message : `writing ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
      }
    }

    // 7. Outcome
    const label = verdict.outcome.toUpperCase();
    say(`${label}: ${verdict.summary}`);
    for (const r of verdict.rules ?? []) if (r.triggered) say(`  ${r.action === 'fail' ? '✗' : '!'} ${r.id}${r.matched !== undefined ? ` (${r.matched})` : ''}${r.reason ? `: ${r.reason}` : ''}`);
    if (result.artifacts.length) say(`wrote ${result.artifacts.map((a) => a.startsWith(cwd + '/') ? a.slice(cwd.length + 1) : a).join(', ')}`);
    say(`report: ${result.reportUrl}`);

    let exitCode = exitCodeFor(verdict.outcome, options.warnExitCode);
    const failedScanners = result.scanners.filter((s) => s.status === 'failed');
    if (verdict.outcome !== 'fail' && verdict.outcome !== 'error') {
      if (failedScanners.length > 0) return finish(EXIT.error, `the verdict is ${verdict.outcome}, but ${failedScanners.map((s) => `${s.tool} (${s.detail})`).join(', ')} failed: the verdict does not cover it.`);
      if (artifactProblem) return finish(EXIT.error, artifactProblem);
    } else if (artifactProblem) io.stderr(`scanhub: ${artifactProblem}\n`);
    if (verdict.outcome === 'error') exitCode = EXIT.error;
    return finish(exitCode);
  } catch (error) {
    if (error instanceof CiFailure) return finish(error.exitCode, error.message);
    return finish(EXIT.error, `unexpected error: ${(error as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Commander wiring

function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new CiFailure(EXIT.usage, `${name} must be a whole number from ${min} to ${max}`);
  return n;
}

interface CiCommandOptions {
  project?: string;
  ref?: string;
  commit?: string;
  targetRef?: string;
  mergeRequest?: string;
  pipelineUrl?: string;
  url?: string;
  run?: boolean;
  reportsDir?: string;
  junit?: string;
  sarif?: string;
  gitlabReports?: string;
  html?: string;
  timeout?: string;
  warnExitCode?: string;
  retries?: string;
  json?: boolean;
}

/** Adds `scanhub ci` to the program. Sets process.exitCode to the verdict's code. */
export function registerCiCommand(program: Command): Command {
  return program
    .command('ci')
    .description('In a pipeline: detect the CI, run the configured scanners (--run), submit the reports, wait for the verdict, write artifacts and exit with the verdict (SCANHUB_URL, SCANHUB_TOKEN)')
    .option('--project <project>', 'ScanHub project (default: SCANHUB_PROJECT, CI_PROJECT_PATH, GITHUB_REPOSITORY or the Jenkins job)')
    .option('--ref <ref>', 'branch (default: from the CI)')
    .option('--commit <sha>', 'commit SHA (default: from the CI)')
    .option('--target-ref <ref>', 'merge request target branch (default: from the CI)')
    .option('--merge-request <id>', 'merge/pull request id (default: from the CI)')
    .option('--pipeline-url <url>', 'pipeline/build URL (default: from the CI)')
    .option('--url <url>', 'ScanHub base URL (default: SCANHUB_URL)')
    .option('--run', "run the scan configuration's scanners that are installed before submitting")
    .option('--reports-dir <dir>', 'where scanners write and reports are looked for', '.')
    .option('--junit <file>', 'write the verdict as JUnit XML')
    .option('--sarif <file>', 'write the findings as SARIF 2.1.0')
    .option('--gitlab-reports <dir>', 'write gl-sast-report.json, gl-dependency-scanning-report.json and gl-container-scanning-report.json')
    .option('--html <file>', 'write the HTML report')
    .option('--timeout <seconds>', 'how long to wait for the verdict', '300')
    .option('--warn-exit-code <n>', 'exit code for a warn verdict (default 0)')
    .option('--retries <n>', 'retries for network trouble, 429 and 5xx', '3')
    .option('--json', 'print the result as JSON')
    .argument('[reports...]', 'report files (default: the configured output files found in --reports-dir)')
    .action(async (files: string[], opts: CiCommandOptions) => {
      let parsed: { timeout: number | undefined; warn: number | undefined; retries: number | undefined };
      try {
        parsed = { timeout: intOption('--timeout', opts.timeout, 1, 86_400), warn: intOption('--warn-exit-code', opts.warnExitCode, 0, 255), retries: intOption('--retries', opts.retries, 0, 20) };
      } catch (error) {
        process.stderr.write(`scanhub: ${(error as Error).message}\n`);
        process.exitCode = EXIT.usage;
        return;
      }
      process.exitCode = await runCi(
        {
          files,
          project: opts.project,
          ref: opts.ref,
          commit: opts.commit,
          targetRef: opts.targetRef,
          mergeRequest: opts.mergeRequest,
          pipelineUrl: opts.pipelineUrl,
          url: opts.url,
          run: opts.run,
          reportsDir: opts.reportsDir,
          junit: opts.junit,
          sarif: opts.sarif,
          gitlabReports: opts.gitlabReports,
          html: opts.html,
          timeoutSeconds: parsed.timeout,
          warnExitCode: parsed.warn,
          retries: parsed.retries,
          json: opts.json,
        },
        { env: process.env, cwd: process.cwd(), stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) },
      );
    });
}

/** A program with only `ci` (usable before main.ts wires the command, and by tests). */
export async function ciMain(argv: string[]): Promise<number> {
  const program = new Command().name('scanhub').exitOverride();
  registerCiCommand(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return code === 0 ? EXIT.ok : EXIT.usage;
  }
}
