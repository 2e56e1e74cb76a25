// Server-side Jenkins client (npm `jenkins` 1.1, over `papi`): trigger a parameterised job
// (buildWithParameters → queue item → build number → result), read a build, verify().
//
// Outbound guard: `papi` passes `lookup`, `ca` and `rejectUnauthorized` through to
// http(s).request, so the package runs through ScanHub's guard: outbound.check(url) before every
// call, and the guard's connect-time `lookup` (DNS rebinding) for user-set URLs; TLS is verified
// with the operator's CA bundle. Credentials travel as a Basic Authorization header, never in the
// URL (so they cannot leak into error messages).
//
// CSRF: before every POST the package asks our crumb function; it fetches /crumbIssuer/api/json and
// sends `<crumbRequestField>: <crumb>` plus the session cookie. A Jenkins whose crumb issuer answers
// 404 (or any Jenkins ≥ 2.96 with API-token auth, which does not need one) still works.
import { createRequire } from 'node:module';
import { AppError } from '../../../src/errors.js';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import type { Outbound } from '../../../src/security/outbound.js';
import { guardedLookup } from '../../../src/security/url-guard.js';
import { safeSnippet } from '../../notifiers/http-delivery.js';

/** The part of the (untyped, CommonJS) `jenkins` package this client uses. */
interface JenkinsApi {
  info(opts?: { tree?: string }): Promise<Record<string, unknown>>;
  crumbIssuer: { get(): Promise<{ crumb?: string; crumbRequestField?: string; cookies?: string[] } | undefined> };
  job: {
    build(opts: { name: string; parameters?: Record<string, string> }): Promise<number | undefined>;
    get(opts: { name: string; tree?: string }): Promise<Record<string, unknown>>;
  };
  queue: { item(n: number): Promise<Record<string, unknown>> };
  build: { get(opts: { name: string; number: number; tree?: string }): Promise<Record<string, unknown>> };
}

type JenkinsCtor = new (opts: Record<string, unknown>) => JenkinsApi;
const Jenkins = createRequire(import.meta.url)('jenkins') as JenkinsCtor;

export type JenkinsResult = 'SUCCESS' | 'UNSTABLE' | 'FAILURE' | 'NOT_BUILT' | 'ABORTED';

export interface JenkinsBuild {
  number: number;
  building: boolean;
  /** null while building. */
  result: JenkinsResult | null;
  url: string;
  durationMs: number;
}

export interface JenkinsVerification {
  /** The controller's mode (NORMAL / EXCLUSIVE), from /api/json. */
  mode?: string;
  job?: { name: string; url: string; buildable: boolean };
}

export interface JenkinsClientOptions {
  /** Jenkins base URL, e.g. https://ci.example.com (may include a context path such as /jenkins). */
  url: string;
  user: string;
  apiToken: string;
  outbound: Outbound;
  /** The URL came through the API (guarded); default true. */
  userSet?: boolean;
  timeoutMs?: number;
  /** Between queue / build polls (default 2 s). */
  pollIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface PapiLikeError {
  statusCode?: number;
  notFound?: boolean;
  code?: string;
  isTimeout?: boolean;
  message?: string;
  res?: { statusCode?: number; headers?: Record<string, string | string[] | undefined> };
}

/** An error from the package (papi ResponseError, Node socket errors) as an IntegrationError. */
export function jenkinsError(error: unknown, secrets: readonly string[], what: string): Error {
  if (error instanceof IntegrationError || error instanceof AppError) return error;
  const e = (error ?? {}) as PapiLikeError;
  const status = e.statusCode ?? e.res?.statusCode;
  const detail = safeSnippet(e.message ?? '', secrets, 160);
  if (e.code === 'OUTBOUND_URL_REFUSED') {
    return new AppError('OUTBOUND_URL_REFUSED', 'The Jenkins host resolves only to private, loopback, link-local or reserved addresses. An operator can allow it with SCANHUB_OUTBOUND_ALLOW.');
  }
  if (status === 401) return new IntegrationError('JENKINS_UNAUTHORIZED', 'Jenkins refused the user name and API token (401). Create an API token under the user\'s Security settings and store it with the same user name.', { status });
  if (status === 403) {
    const crumb = /crumb/i.test(detail);
    return new IntegrationError(
      crumb ? 'JENKINS_CRUMB_REJECTED' : 'JENKINS_FORBIDDEN',
      crumb ? 'Jenkins refused the CSRF crumb (403).' : `Jenkins refused ${what} (403): the user lacks the permission (Overall/Read, Job/Build).`,
      { status },
    );
  }
  if (status === 404 || e.notFound) return new IntegrationError('JENKINS_NOT_FOUND', `Jenkins has no ${what} (404).`, { status: 404 });
  if (status !== undefined && (status === 408 || status === 429 || status >= 500)) return new IntegrationError(`JENKINS_HTTP_${status}`, `Jenkins answered ${status} for ${what}.`, { status, retryable: true });
  if (status !== undefined) return new IntegrationError('JENKINS_REJECTED', `Jenkins rejected ${what} (${status})${detail ? `: ${detail}` : ''}.`, { status });
  if (e.isTimeout || e.code === 'ETIMEDOUT') return new IntegrationError('JENKINS_TIMEOUT', 'Jenkins did not answer in time.', { retryable: true });
  const code = typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code) ? e.code : undefined;
  return new IntegrationError('JENKINS_UNREACHABLE', `Cannot reach Jenkins${code ? ` (${code})` : ''}; check the URL, firewall and proxy settings.`, { retryable: true });
}

export class JenkinsClient {
  private readonly api: JenkinsApi;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly pollMs: number;
  private readonly baseUrl: string;

  constructor(private readonly options: JenkinsClientOptions) {
    this.baseUrl = options.url.replace(/\/+$/, '');
    const userSet = options.userSet ?? true;
    const crumbIssuer = async (jenkins: JenkinsApi) => {
      try {
        const data = await jenkins.crumbIssuer.get();
        if (!data?.crumb || !data.crumbRequestField) return {};
        return { headerName: data.crumbRequestField, headerValue: data.crumb, ...(data.cookies?.length ? { cookies: data.cookies } : {}) };
      } catch (error) {
        // No crumb issuer (404): post without one; anything else aborts the POST with that error.
        if ((error as PapiLikeError).statusCode === 404) return {};
        throw error;
      }
    };
    this.api = new Jenkins({
      baseUrl: this.baseUrl,
      crumbIssuer,
      headers: { authorization: `Basic ${Buffer.from(`${options.user}:${options.apiToken}`).toString('base64')}`, 'user-agent': 'ScanHub-Jenkins/1' },
      timeout: options.timeoutMs ?? 15_000,
      rejectUnauthorized: true,
      ...(options.outbound.ca ? { ca: [...options.outbound.ca] } : {}),
      ...(userSet ? { lookup: guardedLookup(options.outbound.policy) } : {}),
    });
    this.sleep = options.sleep ?? sleepReal;
    this.pollMs = options.pollIntervalMs ?? 2_000;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.options.userSet ?? true) await this.options.outbound.check(this.baseUrl);
    try {
      return await fn();
    } catch (error) {
      throw jenkinsError(error, [this.options.apiToken], what);
    }
  }

  /**
   * Checks the URL and credentials (GET /api/json), then the job when given:
   * JENKINS_UNAUTHORIZED, JENKINS_FORBIDDEN, JENKINS_JOB_NOT_FOUND, JENKINS_JOB_DISABLED.
   */
  async verify(job?: string): Promise<JenkinsVerification> {
    const info = await this.call('the API (/api/json)', () => this.api.info({ tree: 'mode,useCrumbs,useSecurity' }));
    const out: JenkinsVerification = typeof info.mode === 'string' ? { mode: info.mode } : {};
    if (job) {
      let j: Record<string, unknown>;
      try {
        j = await this.call(`job "${job}"`, () => this.api.job.get({ name: job, tree: 'name,url,buildable' }));
      } catch (error) {
        if (error instanceof IntegrationError && error.code === 'JENKINS_NOT_FOUND') {
          throw new IntegrationError('JENKINS_JOB_NOT_FOUND', `Jenkins has no job "${job}" visible to this user (use folder/job for jobs in folders).`, { status: 404 });
        }
        throw error;
      }
      out.job = { name: String(j.name ?? job), url: String(j.url ?? ''), buildable: j.buildable !== false };
      if (!out.job.buildable) throw new IntegrationError('JENKINS_JOB_DISABLED', `The Jenkins job "${job}" is disabled.`, { status: 409 });
    }
    return out;
  }

  /** POST /job/<…>/buildWithParameters (crumb handled); resolves to the queue item id. */
  async triggerBuild(job: string, parameters: Record<string, string> = {}): Promise<{ queueId: number }> {
    const queueId = await this.call(`a build of job "${job}"`, () => this.api.job.build({ name: job, parameters }));
    if (queueId === undefined || !Number.isInteger(queueId)) {
      throw new IntegrationError('JENKINS_NO_QUEUE_ITEM', `Jenkins accepted the build of "${job}" but did not say where it was queued (no Location header).`);
    }
    return { queueId };
  }

  /** Polls /queue/item/<id>/api/json until the build starts; JENKINS_BUILD_CANCELLED, JENKINS_WAIT_TIMEOUT. */
  async waitForStart(queueId: number, timeoutMs = 5 * 60_000): Promise<{ number: number; url: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const item = await this.call(`queue item ${queueId}`, () => this.api.queue.item(queueId));
      const exec = item.executable as { number?: number; url?: string } | null | undefined;
      if (exec && typeof exec.number === 'number') return { number: exec.number, url: String(exec.url ?? '') };
      if (item.cancelled === true) throw new IntegrationError('JENKINS_BUILD_CANCELLED', `The queued build ${queueId} was cancelled in Jenkins.`);
      if (Date.now() + this.pollMs > deadline) throw new IntegrationError('JENKINS_WAIT_TIMEOUT', `The build is still queued after ${Math.round(timeoutMs / 1000)} s (${String(item.why ?? 'waiting')}).`, { retryable: true });
      await this.sleep(this.pollMs);
    }
  }

  /** GET /job/<…>/<n>/api/json. */
  async getBuild(job: string, number: number): Promise<JenkinsBuild> {
    const b = await this.call(`build ${job} #${number}`, () => this.api.build.get({ name: job, number, tree: 'number,building,result,url,duration' }));
    return {
      number: typeof b.number === 'number' ? b.number : number,
      building: b.building === true,
      result: typeof b.result === 'string' ? (b.result as JenkinsResult) : null,
      url: String(b.url ?? ''),
      durationMs: typeof b.duration === 'number' ? b.duration : 0,
    };
  }

  /** Trigger → queue → build number → poll until the build finishes. */
  async runJob(job: string, parameters: Record<string, string> = {}, timeoutMs = 30 * 60_000): Promise<JenkinsBuild & { queueId: number }> {
    const deadline = Date.now() + timeoutMs;
    const { queueId } = await this.triggerBuild(job, parameters);
    const started = await this.waitForStart(queueId, timeoutMs);
    for (;;) {
      const build = await this.getBuild(job, started.number);
      if (!build.building && build.result !== null) return { ...build, queueId };
      if (Date.now() + this.pollMs > deadline) throw new IntegrationError('JENKINS_WAIT_TIMEOUT', `Build ${job} #${started.number} is still running after ${Math.round(timeoutMs / 1000)} s.`, { retryable: true });
      await this.sleep(this.pollMs);
    }
  }
}

export function createJenkinsClient(options: JenkinsClientOptions): JenkinsClient {
  return new JenkinsClient(options);
}
