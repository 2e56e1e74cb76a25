// The outbound side of the Nexus IQ bridge (issue #13): a Sonatype Nexus IQ Server / Lifecycle REST
// client. HTTP Basic with a user token (user code + passcode) or user + password; one Bottleneck
// limiter carries every request, first attempts and retries alike; 429, 5xx and network failures
// are retried with full-jitter back-off honouring Retry-After, other 4xx never. Report bodies are
// returned unchanged for the nexus-iq parser; only fields the client itself needs are checked.
// Wire contract: shared/notes/sonar-nexus-contract.md B.0–B.3.
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import Bottleneck from 'bottleneck';
import { z } from 'zod';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import type { Outbound } from '../../../src/security/outbound.js';
import { clientPacing, type ClientLogger, type ClientTransportOptions } from '../../../src/plugins/client-options.js';
import { safeSnippet } from '../../notifiers/http-delivery.js';
import { backoffDelay, parseRetryAfter } from '../xray/client.js';
import { buildBridgeDocument, type NexusIqBridgeDocument } from './document.js';
import { policyReportSchema } from './schema.js';

export type NexusIqLogger = ClientLogger;

export interface NexusIqClientOptions extends ClientTransportOptions {
  /** IQ Server base URL, e.g. https://iq.example.com:8070 (a context path is kept). */
  url: string;
  /** User name, or the user code of a user token. */
  user: string;
  /** Passcode of the user token (or the password). */
  token: string;
  outbound: Outbound;
  /** The URL came through the API and is guarded (default true); false for environment-configured hosts. */
  userSet?: boolean;
}

export interface IqApplication {
  id: string;
  publicId: string;
  name?: string | undefined;
  organizationId?: string | undefined;
}

export type VerifyCheckName = 'reachable' | 'authenticated' | 'permission' | 'application';
export interface VerifyCheck {
  name: VerifyCheckName;
  ok: boolean;
  code?: string;
  message: string;
}

/** How to ask IQ for a fresh evaluation (contract B.2). */
export type EvaluationRequest =
  | { kind: 'source-control'; branchName: string; stageId: string }
  | { kind: 'promote'; targetStageId: string; scanId: string }
  | { kind: 'promote'; targetStageId: string; sourceStageId: string }
  | { kind: 'sbom'; source: 'cyclonedx' | 'spdx'; sbom: string; contentType?: 'application/json' | 'application/xml'; stageId?: string };

export interface EvaluationTicket {
  applicationId: string;
  /** sbom tickets poll a status that answers 404 until ready; the others report PENDING. */
  kind: 'evaluation' | 'sbom';
  statusUrl: string;
}

export interface EvaluationStatus {
  state: 'pending' | 'completed' | 'failed';
  scanId?: string | undefined;
  reportDataUrl?: string | undefined;
  reportHtmlUrl?: string | undefined;
  reason?: string | undefined;
}

export interface IqReportRef {
  stage: string;
  scanId: string;
  evaluationDate?: string | undefined;
  reportHtmlUrl?: string | undefined;
  reportDataUrl?: string | undefined;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNABORTED', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

const applicationListSchema = z.looseObject({
  applications: z.array(z.looseObject({ id: z.string().min(1), publicId: z.string().min(1), name: z.string().nullish(), organizationId: z.string().nullish() })),
});
const reportListSchema = z.array(
  z.looseObject({ stage: z.string(), evaluationDate: z.string().nullish(), reportHtmlUrl: z.string().nullish(), reportDataUrl: z.string().nullish() }),
);
const ticketSchema = z.looseObject({ statusUrl: z.string().min(1) });
const evaluationResultSchema = z.looseObject({
  status: z.string(),
  reason: z.string().nullish(),
  reportHtmlUrl: z.string().nullish(),
  reportDataUrl: z.string().nullish(),
});
const sbomResultSchema = z.looseObject({ isError: z.boolean().nullish(), errorMessage: z.string().nullish(), reportHtmlUrl: z.string().nullish(), reportDataUrl: z.string().nullish() });
const rawBodySchema = z.looseObject({ components: z.array(z.unknown()) });

/** The scan (report) id: from `…/reports/{scanId}/raw`, else the last segment of the HTML report URL (as gonexus does). */
export function scanIdFrom(reportDataUrl: string | null | undefined, reportHtmlUrl: string | null | undefined): string | undefined {
  const fromData = reportDataUrl ? /\/reports\/([^/?#]+)\/(?:raw|policy)\b/.exec(reportDataUrl)?.[1] : undefined;
  if (fromData) return decodeURIComponent(fromData);
  const last = reportHtmlUrl?.split(/[?#]/)[0]?.replace(/\/+$/, '').split('/').pop();
  return last ? decodeURIComponent(last) : undefined;
}

function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
}

function errnoOf(error: unknown): string | undefined {
  const own = (error as { code?: unknown })?.code;
  const cause = (error as { cause?: { code?: unknown } })?.cause?.code;
  if (typeof cause === 'string') return cause;
  if (typeof own === 'string' && own !== 'ERR_NETWORK') return own;
  return error instanceof Error && /socket hang up/i.test(error.message) ? 'ECONNRESET' : undefined;
}

export class NexusIqClient {
  readonly #http: AxiosInstance;
  readonly #limiter: Bottleneck;
  readonly #base: URL;
  readonly #secrets: string[];
  readonly #attempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #log: NexusIqLogger | undefined;
  /** IQ's `Server` header (`{product}/{version}`), once seen. */
  serverVersion: string | undefined;

  constructor(options: NexusIqClientOptions) {
    let base: URL;
    try {
      base = new URL(options.url.replace(/\/*$/, '/'));
    } catch {
      throw new IntegrationError('NEXUSIQ_BAD_CONFIG', 'The Nexus IQ URL is not a valid URL: set it to the server URL, e.g. https://iq.example.com:8070.');
    }
    if (!options.user || !options.token) throw new IntegrationError('NEXUSIQ_BAD_CONFIG', 'Nexus IQ needs a user and a token: create a user token in IQ (profile → Manage User Token) and use its user code and passcode.');
    // IQ documents no rate limit (contract B.0): the pacing keeps polling polite.
    const pacing = clientPacing(options, { requestsPerSecond: 5, maxConcurrent: 2 }, (message) => new IntegrationError('NEXUSIQ_BAD_CONFIG', message));
    const basic = Buffer.from(`${options.user}:${options.token}`).toString('base64');
    this.#base = base;
    this.#secrets = [options.token, basic];
    ({ attempts: this.#attempts, baseDelayMs: this.#baseDelayMs, maxDelayMs: this.#maxDelayMs, sleep: this.#sleep, random: this.#random, limiter: this.#limiter } = pacing);
    this.#log = options.log;
    this.#http = options.outbound.client({
      userSet: options.userSet ?? true,
      timeoutMs: options.timeoutMs ?? 30_000,
      baseURL: base.href,
      headers: { Authorization: `Basic ${basic}`, Accept: 'application/json' },
    });
  }

  /**
   * One check per step: reachable, authenticated, permission (View IQ Elements), and — given a
   * public id — that the application is visible. Failures are checks with a code, never thrown.
   */
  async verify(applicationPublicId?: string): Promise<{ checks: VerifyCheck[] }> {
    const checks: VerifyCheck[] = [];
    const skipped = (name: VerifyCheckName, why: string): VerifyCheck => ({ name, ok: false, code: 'NEXUSIQ_CHECK_SKIPPED', message: `Not checked: ${why}.` });
    const host = this.#base.host;
    let apps: IqApplication[] | undefined;
    try {
      apps = await this.#applications(applicationPublicId, 2);
    } catch (error) {
      const e = this.#coded(error);
      if (e.code !== 'NEXUSIQ_AUTH_FAILED' && e.code !== 'NEXUSIQ_FORBIDDEN') {
        checks.push({ name: 'reachable', ok: false, code: e.code === 'NEXUSIQ_NOT_FOUND' ? 'NEXUSIQ_UNREACHABLE' : e.code, message: e.code === 'NEXUSIQ_NOT_FOUND' ? `${host} has no /api/v2/applications: set the URL to the IQ Server itself (e.g. https://iq.example.com:8070), not to a page or proxy path.` : e.message });
        for (const name of ['authenticated', 'permission', 'application'] as const) checks.push(skipped(name, 'Nexus IQ is not reachable'));
        return { checks };
      }
      checks.push({ name: 'reachable', ok: true, message: `Nexus IQ answers at ${host}.` });
      if (e.code === 'NEXUSIQ_AUTH_FAILED') {
        checks.push({ name: 'authenticated', ok: false, code: e.code, message: e.message }, skipped('permission', 'the credentials are refused'), skipped('application', 'the credentials are refused'));
      } else {
        checks.push({ name: 'authenticated', ok: true, message: 'The credentials are accepted.' }, { name: 'permission', ok: false, code: e.code, message: e.message }, skipped('application', 'the user cannot read applications'));
      }
      return { checks };
    }
    checks.push({ name: 'reachable', ok: true, message: `Nexus IQ answers at ${host}.` });
    checks.push({ name: 'authenticated', ok: true, message: 'The credentials are accepted.' });
    checks.push({ name: 'permission', ok: true, message: 'The user can read applications (View IQ Elements).' });
    if (applicationPublicId === undefined) return { checks };
    const app = apps.find((a) => a.publicId === applicationPublicId);
    checks.push(app
      ? { name: 'application', ok: true, message: `Application ${app.publicId} (${app.name ?? app.id}) is visible.` }
      : { name: 'application', ok: false, code: 'NEXUSIQ_APPLICATION_NOT_FOUND', message: this.#appMissing(applicationPublicId).message });
    return { checks };
  }

  /** GET /api/v2/applications?publicId= (B.1) → the application, with its internal id. */
  async applicationByPublicId(publicId: string): Promise<IqApplication> {
    const app = (await this.#applications(publicId)).find((a) => a.publicId === publicId);
    if (!app) throw this.#appMissing(publicId);
    return app;
  }

  /** Application-evaluation webhooks name only IQ's internal id; IQ has no lookup by it, so the list is searched. */
  async applicationById(id: string): Promise<IqApplication> {
    const app = (await this.#applications(undefined)).find((a) => a.id === id);
    if (!app) throw new IntegrationError('NEXUSIQ_APPLICATION_NOT_FOUND', `Nexus IQ lists no application with internal id ${id} visible to this user.`, { status: 404 });
    return app;
  }

  /** Starts an evaluation (B.2): source-control, promote-scan or SBOM; returns the ticket to poll. */
  async requestEvaluation(applicationId: string, request: EvaluationRequest): Promise<EvaluationTicket> {
    const app = encodeURIComponent(applicationId);
    let data: unknown;
    if (request.kind === 'sbom') {
      data = (await this.#request('POST', `api/v2/scan/applications/${app}/sources/${request.source}`, {
        body: request.sbom,
        params: { stageId: request.stageId ?? 'build' },
        contentType: request.contentType ?? (request.sbom.trimStart().startsWith('<') ? 'application/xml' : 'application/json'),
      })).data;
    } else if (request.kind === 'source-control') {
      data = (await this.#request('POST', `api/v2/evaluation/applications/${app}/sourceControlEvaluation`, { body: { branchName: request.branchName, stageId: request.stageId } })).data;
    } else {
      const from = 'scanId' in request ? { scanId: request.scanId } : { sourceStageId: request.sourceStageId };
      data = (await this.#request('POST', `api/v2/evaluation/applications/${app}/promoteScan`, { body: { ...from, targetStageId: request.targetStageId } })).data;
    }
    const ticket = this.#expect(ticketSchema, data, 'the evaluation request answer has no statusUrl');
    return { applicationId, kind: request.kind === 'sbom' ? 'sbom' : 'evaluation', statusUrl: ticket.statusUrl };
  }

  /** One poll of an evaluation's status URL (must be on the configured server). */
  async evaluationStatus(ticket: EvaluationTicket): Promise<EvaluationStatus> {
    const url = this.#ownUrl(ticket.statusUrl);
    if (ticket.kind === 'sbom') {
      let data: unknown;
      try {
        data = (await this.#request('GET', url)).data;
      } catch (error) {
        // The SBOM status answers 404 "Evaluation report is not ready" until it is (B.2).
        if (error instanceof IntegrationError && error.options.status === 404) return { state: 'pending' };
        throw error;
      }
      const r = this.#expect(sbomResultSchema, data, 'the SBOM evaluation status is not an object');
      if (r.isError) return { state: 'failed', reason: r.errorMessage ?? undefined };
      return { state: 'completed', scanId: scanIdFrom(r.reportDataUrl, r.reportHtmlUrl), reportDataUrl: r.reportDataUrl ?? undefined, reportHtmlUrl: r.reportHtmlUrl ?? undefined };
    }
    const r = this.#expect(evaluationResultSchema, (await this.#request('GET', url)).data, 'the evaluation status has no status');
    const status = r.status.toUpperCase();
    if (status === 'COMPLETED') return { state: 'completed', scanId: scanIdFrom(r.reportDataUrl, r.reportHtmlUrl), reportDataUrl: r.reportDataUrl ?? undefined, reportHtmlUrl: r.reportHtmlUrl ?? undefined };
    if (status === 'FAILED') return { state: 'failed', reason: r.reason ?? undefined };
    if (status !== 'PENDING') this.#log?.warn({ status }, 'unknown Nexus IQ evaluation status; treating it as pending');
    return { state: 'pending' };
  }

  /**
   * Polls until the evaluation completes (→ its status with the scan id) or fails
   * (NEXUSIQ_EVALUATION_FAILED); NEXUSIQ_EVALUATION_DEADLINE once `deadline` passes.
   */
  async waitForEvaluation(ticket: EvaluationTicket, options: { pollIntervalMs: number; deadline: Date }): Promise<EvaluationStatus & { polls: number }> {
    for (let polls = 1; ; polls++) {
      const status = await this.evaluationStatus(ticket);
      if (status.state === 'failed') {
        throw new IntegrationError('NEXUSIQ_EVALUATION_FAILED', `Nexus IQ could not evaluate application ${ticket.applicationId}${status.reason ? `: ${safeSnippet(status.reason, this.#secrets)}` : ''}. Check the evaluation in IQ.`);
      }
      if (status.state === 'completed') return { ...status, polls };
      const remaining = options.deadline.getTime() - Date.now();
      if (remaining <= 0) {
        throw new IntegrationError('NEXUSIQ_EVALUATION_DEADLINE', `Nexus IQ did not finish evaluating application ${ticket.applicationId} by ${options.deadline.toISOString()} (${polls} polls): raise the deadline or check IQ's evaluation queue.`, { retryable: true });
      }
      await this.#sleep(Math.min(Math.max(0, options.pollIntervalMs), remaining));
    }
  }

  /** GET /api/v2/reports/applications/{applicationId} (internal id, B.3) → the latest report of `stage`, if any. */
  async latestReport(applicationId: string, stage: string): Promise<IqReportRef | undefined> {
    const { data } = await this.#request('GET', `api/v2/reports/applications/${encodeURIComponent(applicationId)}`);
    const reports = this.#expect(reportListSchema, data, 'the report list is not an array of reports');
    const report = reports.find((r) => r.stage === stage);
    if (!report) return undefined;
    const scanId = scanIdFrom(report.reportDataUrl, report.reportHtmlUrl);
    if (!scanId) throw new IntegrationError('NEXUSIQ_BAD_RESPONSE', `Nexus IQ's ${stage} report of application ${applicationId} names no scan id (no reportDataUrl or reportHtmlUrl).`, { status: 200 });
    return { stage, scanId, evaluationDate: report.evaluationDate ?? undefined, reportHtmlUrl: report.reportHtmlUrl ?? undefined, reportDataUrl: report.reportDataUrl ?? undefined };
  }

  /** GET /api/v2/applications/{publicId}/reports/{scanId}/raw — components with security issues. */
  async rawReport(applicationPublicId: string, scanId: string): Promise<unknown> {
    const { data } = await this.#request('GET', this.#reportPath(applicationPublicId, scanId, 'raw'));
    this.#expect(rawBodySchema, data, 'the raw report data has no components array');
    return data;
  }

  /** GET /api/v2/applications/{publicId}/reports/{scanId}/policy — violations, threat levels, waivers. */
  async policyReport(applicationPublicId: string, scanId: string): Promise<unknown> {
    const { data } = await this.#request('GET', this.#reportPath(applicationPublicId, scanId, 'policy'));
    this.#expect(policyReportSchema, data, 'the policy report data has no application, reportTime and components');
    return data;
  }

  /**
   * The bridge document of one evaluation (B.8): resolves the application, takes `scanId` or the
   * latest report of `stage`, fetches raw and policy data. NEXUSIQ_REPORT_NOT_FOUND when the stage
   * has never been evaluated.
   */
  async pull(target: { applicationPublicId: string; stage: string; scanId?: string }): Promise<NexusIqBridgeDocument> {
    const app = await this.applicationByPublicId(target.applicationPublicId);
    let scanId = target.scanId;
    let reportHtmlUrl: string | undefined;
    if (!scanId) {
      const latest = await this.latestReport(app.id, target.stage);
      if (!latest) {
        throw new IntegrationError('NEXUSIQ_REPORT_NOT_FOUND', `Application ${app.publicId} has no ${target.stage} evaluation in Nexus IQ yet: evaluate it at that stage (CI plugin or IQ CLI), or pull another stage.`);
      }
      scanId = latest.scanId;
      reportHtmlUrl = latest.reportHtmlUrl;
    }
    const raw = await this.rawReport(app.publicId, scanId);
    const policy = await this.policyReport(app.publicId, scanId);
    const reportTime = (policy as { reportTime?: unknown }).reportTime;
    return buildBridgeDocument({
      applicationPublicId: app.publicId,
      applicationId: app.id,
      stage: target.stage,
      scanId,
      reportTime: typeof reportTime === 'number' || typeof reportTime === 'string' ? reportTime : undefined,
      reportHtmlUrl,
      serverVersion: this.serverVersion,
      raw,
      policy,
    });
  }

  /** Stops the limiter: queued requests are dropped. */
  async close(): Promise<void> {
    await this.#limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
  }

  async #applications(publicId: string | undefined, attempts?: number): Promise<IqApplication[]> {
    const { data } = await this.#request('GET', 'api/v2/applications', { ...(publicId !== undefined ? { params: { publicId } } : {}), ...(attempts ? { attempts } : {}) });
    return this.#expect(applicationListSchema, data, 'the application list has no applications array').applications.map((a) => ({
      id: a.id,
      publicId: a.publicId,
      name: a.name ?? undefined,
      organizationId: a.organizationId ?? undefined,
    }));
  }

  #appMissing(publicId: string): IntegrationError {
    return new IntegrationError('NEXUSIQ_APPLICATION_NOT_FOUND', `Nexus IQ has no application with public id "${publicId.slice(0, 200)}" visible to this user: check the public id (shown under the application name in IQ) and that the user has View IQ Elements on it.`, { status: 404 });
  }

  #reportPath(publicId: string, scanId: string, kind: 'raw' | 'policy'): string {
    return `api/v2/applications/${encodeURIComponent(publicId)}/reports/${encodeURIComponent(scanId)}/${kind}`;
  }

  /** A status URL IQ gave, resolved against the server; one on another origin is refused (credentials would follow it). */
  #ownUrl(link: string): string {
    let url: URL;
    try {
      url = new URL(link, this.#base);
    } catch {
      throw new IntegrationError('NEXUSIQ_BAD_RESPONSE', 'Nexus IQ gave a status URL that is not a URL.', { status: 200 });
    }
    if (url.origin !== this.#base.origin) {
      throw new IntegrationError('NEXUSIQ_BAD_RESPONSE', `Nexus IQ gave a status URL on another host (${url.host}); ScanHub sends credentials only to ${this.#base.host}.`, { status: 200 });
    }
    return url.href;
  }

  #expect<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw new IntegrationError('NEXUSIQ_BAD_RESPONSE', `Nexus IQ at ${this.#base.host} answered unexpectedly: ${what}. Check that the URL points at IQ Server.`, { status: 200 });
    return parsed.data;
  }

  #coded(error: unknown): IntegrationError {
    if (error instanceof IntegrationError) return error;
    const message = error instanceof Error ? error.message : String(error);
    if ((error as { code?: unknown })?.code === 'OUTBOUND_URL_REFUSED') return new IntegrationError('NEXUSIQ_URL_REFUSED', safeSnippet(message, this.#secrets, 300));
    return new IntegrationError('NEXUSIQ_UNREACHABLE', safeSnippet(`Nexus IQ request failed: ${message}`, this.#secrets, 300), { retryable: true });
  }

  async #request(method: 'GET' | 'POST', path: string, options: { body?: unknown; params?: Record<string, string>; contentType?: string; attempts?: number } = {}): Promise<{ status: number; data: unknown }> {
    const attempts = Math.max(1, options.attempts ?? this.#attempts);
    const what = `${method} /${path.replace(/^https?:\/\/[^/]+\//, '').split('?')[0]}`;
    const host = this.#base.host;
    for (let attempt = 1; ; attempt++) {
      let response: AxiosResponse<string>;
      try {
        response = await this.#limiter.schedule(() =>
          this.#http.request<string>({
            method,
            url: path,
            ...(options.body !== undefined ? { data: options.body } : {}),
            ...(options.params ? { params: options.params } : {}),
            ...(options.contentType ? { headers: { 'Content-Type': options.contentType } } : {}),
            responseType: 'text',
            transformResponse: [(raw: unknown) => raw],
            validateStatus: () => true,
          }),
        );
      } catch (error) {
        const code = errnoOf(error);
        if (code === 'OUTBOUND_URL_REFUSED' || !axios.isAxiosError(error)) throw this.#coded(error);
        if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO|ERR_TLS/i.test(code)) {
          throw new IntegrationError('NEXUSIQ_TLS', `The TLS certificate of ${host} is not trusted (${code}): fix the certificate or add its CA with SCANHUB_CA_BUNDLE.`);
        }
        const retryable = code !== undefined && RETRYABLE_NETWORK.has(code);
        if (!retryable || attempt >= attempts) {
          throw new IntegrationError('NEXUSIQ_UNREACHABLE', `Nexus IQ at ${host} could not be reached (${code ?? 'network error'}) for ${what}${retryable ? ` after ${attempts} attempts` : ''}: check the URL, DNS, firewall and proxy settings.`, { retryable: true });
        }
        const delay = backoffDelay(attempt, this.#baseDelayMs, this.#maxDelayMs, this.#random);
        this.#log?.debug({ path: what, attempt, code, delay }, 'Nexus IQ request failed; retrying');
        await this.#sleep(delay);
        continue;
      }
      const server = headerText(response.headers['server']);
      if (server && /nexus|clm|sonatype|lifecycle/i.test(server)) this.serverVersion = server.slice(0, 100);
      const { status } = response;
      if (status >= 200 && status < 300) return { status, data: this.#json(response.data, what, status) };
      if (RETRYABLE_STATUS.has(status)) {
        const retryAfterMs = parseRetryAfter(headerText(response.headers['retry-after']));
        const reason = status === 429 ? 'is rate limiting ScanHub (429)' : `answered ${status}`;
        const meta = { retryable: true, status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
        if (attempt >= attempts) throw new IntegrationError('NEXUSIQ_UNAVAILABLE', `Nexus IQ at ${host} ${reason} for ${what} after ${attempts} attempts: retry later.`, meta);
        if (retryAfterMs !== undefined && retryAfterMs > this.#maxDelayMs) {
          // Holding a worker longer than maxDelayMs helps nobody: the job queue waits instead.
          throw new IntegrationError('NEXUSIQ_UNAVAILABLE', `Nexus IQ at ${host} ${reason} for ${what} and asks to wait ${Math.ceil(retryAfterMs / 1000)} s: the job will be retried later.`, meta);
        }
        const delay = retryAfterMs ?? backoffDelay(attempt, this.#baseDelayMs, this.#maxDelayMs, this.#random);
        this.#log?.debug({ path: what, attempt, status, delay }, 'Nexus IQ request refused; retrying');
        await this.#sleep(delay);
        continue;
      }
      throw this.#statusError(status, response.data, what);
    }
  }

  #json(raw: unknown, what: string, status: number): unknown {
    if (typeof raw !== 'string' || raw.trim() === '') return raw === '' ? undefined : raw;
    try {
      return JSON.parse(raw);
    } catch {
      throw new IntegrationError('NEXUSIQ_BAD_RESPONSE', `Nexus IQ answered ${what} with a body that is not valid JSON (${raw.length} bytes): check that the URL points at IQ Server and not at a proxy or login page.`, { status });
    }
  }

  #statusError(status: number, raw: unknown, what: string): IntegrationError {
    const host = this.#base.host;
    const detail = typeof raw === 'string' && raw.trim() && !/^\s*</.test(raw) ? safeSnippet(raw, this.#secrets) : '';
    const said = detail ? ` IQ said: "${detail}".` : '';
    switch (status) {
      case 400:
        return new IntegrationError('NEXUSIQ_BAD_REQUEST', `Nexus IQ refused ${what} as a bad request (400).${said}`, { status });
      case 401:
        return new IntegrationError('NEXUSIQ_AUTH_FAILED', `Nexus IQ at ${host} refused the credentials (401): check the user code and passcode of the user token (tokens can expire or be reset in IQ).`, { status });
      case 403:
        return new IntegrationError('NEXUSIQ_FORBIDDEN', `Nexus IQ at ${host} refused ${what} (403): give the user the View IQ Elements role on the application or its organization (and Evaluate Applications to trigger evaluations).${said}`, { status });
      case 404:
        return new IntegrationError('NEXUSIQ_NOT_FOUND', `Nexus IQ at ${host} has no ${what} (404): check the URL, the application and the scan id.${said}`, { status });
      default:
        if (status >= 300 && status < 400) {
          return new IntegrationError('NEXUSIQ_REDIRECT', `Nexus IQ at ${host} redirected ${what} (${status}): set the URL to the final address; an older IQ may need upgrading for this endpoint.`, { status });
        }
        return new IntegrationError(`NEXUSIQ_HTTP_${status}`, `Nexus IQ answered ${what} with HTTP ${status}.${said}`, { retryable: status >= 500, status });
    }
  }
}

export function createNexusIqClient(options: NexusIqClientOptions): NexusIqClient {
  return new NexusIqClient(options);
}
