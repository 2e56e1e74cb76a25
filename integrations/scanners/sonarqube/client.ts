// The outbound side of the SonarQube bridge (issue #13): a Web API client that pulls one project's
// (or branch's / pull request's) security issues, hotspots and rules into the `sonarqube-pull`
// document the parser reads. One Bottleneck limiter carries every request, retries included;
// 429/5xx/network failures are retried with full-jitter back-off honouring Retry-After; other 4xx
// fail at once with a coded IntegrationError. Wire contract: shared/notes/sonar-nexus-contract.md Part A.
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import Bottleneck from 'bottleneck';
import { z } from 'zod';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import type { Outbound } from '../../../src/security/outbound.js';
import { clientPacing, type ClientLogger, type ClientTransportOptions } from '../../../src/plugins/client-options.js';
import { parseRetryAfter, safeSnippet } from '../../notifiers/http-delivery.js';
import { backoffDelay } from '../xray/client.js';
import { BRIDGE_FORMAT, type BridgeMarker } from './schema.js';

export type SonarQubeLogger = ClientLogger;

export interface SonarQubeClientOptions extends ClientTransportOptions {
  /** Server URL, e.g. https://sonar.example.com (the Web API is under /api). */
  url: string;
  /** A user token (or a project analysis/global token with Browse). */
  token: string;
  outbound: Outbound;
  /**
   * How the token is sent. `auto` (default): Bearer to servers ≥ 10.0, which document it, and the
   * token as Basic user name with an empty password to older ones (the only form 7.x–9.x document).
   */
  authScheme?: 'auto' | 'bearer' | 'basic';
  /** SonarQube Cloud organization (`organization=` on searches). */
  organization?: string;
  /** `security` (default): vulnerabilities / SECURITY-impact issues only; `all`: bugs and code smells too. */
  issueScope?: 'security' | 'all';
  /** Page size of api/issues/search (max 500, the default). */
  pageSize?: number;
  /** Elasticsearch's result window: p × ps may not exceed it (10,000; lower only in tests). */
  resultWindow?: number;
}

export type VerifyCheckName = 'reachable' | 'authenticated' | 'project-access';
export interface VerifyCheck {
  name: VerifyCheckName;
  ok: boolean;
  code?: string;
  message: string;
}

export interface PullTarget {
  projectKey: string;
  branch?: string | undefined;
  pullRequest?: string | undefined;
  signal?: AbortSignal;
}

/** The bridge document (format `sonarqube-pull`), read by the sonarqube parser plugin. */
export interface SonarQubePull {
  scanhub: BridgeMarker & { issueFilter: string };
  issues: Record<string, unknown>[];
  hotspots: Record<string, unknown>[];
  components: Record<string, unknown>[];
  rules: Record<string, unknown>[];
}

export interface SonarBranch {
  name: string;
  isMain: boolean;
  type?: string | undefined;
  analysisDate?: string | undefined;
  qualityGateStatus?: string | undefined;
}

export interface QualityGate {
  status: string;
  conditions: { metricKey: string; status: string; comparator?: string | undefined; errorThreshold?: string | undefined; actualValue?: string | undefined }[];
}

type Params = Record<string, string | number | undefined>;

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNABORTED', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);
const HOTSPOT_PAGE = 100;
const HOTSPOT_SLICES: Params[] = [{ status: 'TO_REVIEW' }, ...['FIXED', 'SAFE', 'ACKNOWLEDGED'].map((resolution) => ({ status: 'REVIEWED', resolution }))];

const paging = z.looseObject({ total: z.number().int().nonnegative() });
const issuesPage = z.looseObject({ paging, issues: z.array(z.looseObject({ key: z.string(), rule: z.string().optional(), creationDate: z.string().optional() })), components: z.array(z.looseObject({ key: z.string() })).optional(), facets: z.array(z.unknown()).optional() });
const hotspotsPage = z.looseObject({ paging, hotspots: z.array(z.looseObject({ key: z.string(), ruleKey: z.string().optional() })), components: z.array(z.looseObject({ key: z.string() })).optional() });
const systemStatus = z.looseObject({ status: z.string(), version: z.string().optional() });
const ruleFacets = z.array(z.looseObject({ property: z.string(), values: z.array(z.looseObject({ val: z.string(), count: z.number() })) }));
const branchList = z.looseObject({ branches: z.array(z.looseObject({ name: z.string(), isMain: z.boolean().optional(), type: z.string().optional(), analysisDate: z.string().optional(), status: z.looseObject({ qualityGateStatus: z.string().optional() }).optional() })) });
const gateBody = z.looseObject({ projectStatus: z.looseObject({ status: z.string(), conditions: z.array(z.looseObject({ metricKey: z.string(), status: z.string(), comparator: z.string().optional(), errorThreshold: z.string().optional(), actualValue: z.string().optional() })).optional() }) });

/** "10.6.0.92116" → [10, 6]; unreadable → [0, 0]. */
export function serverRelease(version: string | undefined): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

function atLeast(version: string | undefined, major: number, minor: number): boolean {
  const [a, b] = serverRelease(version);
  return a > major || (a === major && b >= minor);
}

/** SonarQube dates ("2023-10-16T15:05:35+0000") as epoch ms. */
export function sonarTime(value: string): number {
  return Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

/** Epoch ms as the datetime SonarQube's createdAfter/createdBefore accept (whole seconds, UTC). */
export function sonarDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

export class SonarQubeClient {
  readonly #http: AxiosInstance;
  readonly #limiter: Bottleneck;
  readonly #token: string;
  readonly #host: string;
  readonly #baseUrl: string;
  readonly #options: SonarQubeClientOptions;
  readonly #attempts: number;
  readonly #pageSize: number;
  readonly #window: number;
  readonly #sleep: (ms: number) => Promise<void>;
  #server: Promise<{ status: string; version: string | undefined }> | undefined;

  constructor(options: SonarQubeClientOptions) {
    this.#baseUrl = options.url.trim().replace(/\/+$/, '').replace(/\/api$/, '');
    try {
      this.#host = new URL(this.#baseUrl).host;
    } catch {
      throw new IntegrationError('SONARQUBE_BAD_CONFIG', 'The SonarQube URL is not a valid URL: set it to the server address, e.g. https://sonar.example.com.');
    }
    if (!options.token) throw new IntegrationError('SONARQUBE_BAD_CONFIG', 'No SonarQube token is configured: create one under My Account → Security → Generate Tokens.');
    const pacing = clientPacing(options, { requestsPerSecond: 10, maxConcurrent: 4 }, (message) => new IntegrationError('SONARQUBE_BAD_CONFIG', message));
    this.#options = options;
    this.#token = options.token;
    this.#attempts = pacing.attempts;
    this.#window = options.resultWindow ?? 10_000;
    this.#pageSize = Math.min(500, this.#window, Math.max(1, Math.floor(options.pageSize ?? 500)));
    this.#sleep = pacing.sleep;
    this.#limiter = pacing.limiter;
    this.#http = options.outbound.client({ userSet: true, timeoutMs: options.timeoutMs ?? 30_000, baseURL: this.#baseUrl, headers: { Accept: 'application/json', 'User-Agent': 'ScanHub-SonarQube/1' } });
  }

  /** `api/system/status` once per client: `{status: UP|STARTING|…, version}`; needs no token. */
  async serverStatus(): Promise<{ status: string; version: string | undefined }> {
    this.#server ??= this.#get('api/system/status', {}, { anonymous: true }).then((data) => {
      const parsed = systemStatus.safeParse(data);
      if (!parsed.success) throw new IntegrationError('SONARQUBE_BAD_RESPONSE', `${this.#host} answered api/system/status without a status: check that the URL points at SonarQube.`);
      return { status: parsed.data.status, version: parsed.data.version };
    });
    this.#server.catch(() => (this.#server = undefined));
    return this.#server;
  }

  /** Reachable, token accepted, project visible — each its own check; expected failures are reported, not thrown. */
  async verify(projectKey?: string): Promise<{ checks: VerifyCheck[] }> {
    const checks: VerifyCheck[] = [];
    const skip = (name: VerifyCheckName, why: string): VerifyCheck => ({ name, ok: false, code: 'SONARQUBE_CHECK_SKIPPED', message: `Not checked: ${why}.` });
    try {
      const { status, version } = await this.serverStatus();
      if (status !== 'UP') {
        checks.push({ name: 'reachable', ok: false, code: 'SONARQUBE_NOT_READY', message: `SonarQube at ${this.#host} answers but is ${status}: wait until it is UP (or finish its database migration).` });
        return { checks: [...checks, skip('authenticated', 'SonarQube is not UP'), ...(projectKey ? [skip('project-access', 'SonarQube is not UP')] : [])] };
      }
      checks.push({ name: 'reachable', ok: true, message: `SonarQube ${version ?? '(version unknown)'} answers at ${this.#host}.` });
    } catch (error) {
      const e = this.#coded(error);
      const message = e.code === 'SONARQUBE_NOT_FOUND' ? `Nothing answers ${this.#host}/api/system/status: set the URL to the SonarQube server address, without /api or a page path.` : e.message;
      checks.push({ name: 'reachable', ok: false, code: e.code === 'SONARQUBE_NOT_FOUND' ? 'SONARQUBE_UNREACHABLE' : e.code, message });
      return { checks: [...checks, skip('authenticated', 'SonarQube is not reachable'), ...(projectKey ? [skip('project-access', 'SonarQube is not reachable')] : [])] };
    }
    try {
      const body = await this.#get('api/authentication/validate', {}, { attempts: 2 });
      if ((body as { valid?: unknown } | undefined)?.valid !== true) throw this.#authFailed();
      checks.push({ name: 'authenticated', ok: true, message: 'The token is accepted.' });
    } catch (error) {
      const e = this.#coded(error);
      checks.push({ name: 'authenticated', ok: false, code: e.code, message: e.message });
      return { checks: projectKey ? [...checks, skip('project-access', 'the token is not accepted')] : checks };
    }
    if (projectKey) {
      try {
        await this.#get('api/components/show', { component: projectKey, organization: this.#options.organization }, { attempts: 2, project: projectKey });
        checks.push({ name: 'project-access', ok: true, message: `The token can browse ${projectKey}.` });
      } catch (error) {
        const e = this.#coded(error);
        checks.push({ name: 'project-access', ok: false, code: e.code, message: e.message });
      }
    }
    return { checks };
  }

  /**
   * Every security issue and hotspot of a project (branch / pull request), the rules they name, and
   * the analysis date, as one `sonarqube-pull` document. Searches past the 10,000-result window are
   * narrowed by creation-date windows (then by rule) so each issue is fetched once.
   */
  async pull(target: PullTarget): Promise<SonarQubePull> {
    const { projectKey, branch, pullRequest } = target;
    if (branch && pullRequest) throw new IntegrationError('SONARQUBE_BAD_REQUEST', 'Pull either a branch or a pull request, not both.');
    const server = await this.serverStatus();
    const v = server.version;
    const scope: Params = { branch, pullRequest, organization: this.#options.organization };
    const filter: Params = this.#options.issueScope === 'all' ? {} : atLeast(v, 10, 2) ? { impactSoftwareQualities: 'SECURITY' } : { types: 'VULNERABILITY' };
    // `components` replaced `componentKeys` in 10.2; CLOSED issues are gone from the code.
    const issueBase: Params = { [atLeast(v, 10, 2) ? 'components' : 'componentKeys']: projectKey, ...scope, ...filter, statuses: 'OPEN,CONFIRMED,REOPENED,RESOLVED' };
    const components = new Map<string, Record<string, unknown>>();
    const keep = (list: Record<string, unknown>[] | undefined) => list?.forEach((c) => components.set(String(c.key), c));
    const ctx = { projectKey, signal: target.signal, keep };
    const issues = await this.#allIssues(issueBase, ctx);
    const hotspots = await this.#allHotspots({ [atLeast(v, 10, 2) ? 'project' : 'projectKey']: projectKey, ...scope }, ctx);
    const ruleKeys = [...new Set([...issues.map((i) => i.rule), ...hotspots.map((h) => h.ruleKey)].filter((k): k is string => typeof k === 'string'))];
    const rules = (await Promise.all(ruleKeys.map((key) => this.#rule(key, target.signal)))).filter((r): r is Record<string, unknown> => r !== undefined);
    const analysisDate = pullRequest ? undefined : await this.branches(projectKey).then(
      (list) => list.find((b) => (branch ? b.name === branch : b.isMain))?.analysisDate,
      (error: unknown) => {
        this.#options.log?.debug({ projectKey, code: this.#coded(error).code }, 'SonarQube branch list unavailable; no analysis date');
        return undefined;
      },
    );
    const marker = {
      format: BRIDGE_FORMAT,
      version: 1 as const,
      projectKey,
      ...(branch ? { branch } : {}),
      ...(pullRequest ? { pullRequest } : {}),
      serverUrl: this.#baseUrl,
      ...(v ? { serverVersion: v } : {}),
      ...(analysisDate ? { analysisDate } : {}),
      pulledAt: new Date().toISOString(),
      issueFilter: Object.entries(filter).map(([k, x]) => `${k}=${String(x)}`).join('&') || 'all',
    };
    return { scanhub: marker, issues, hotspots, components: [...components.values()], rules };
  }

  /** `api/project_branches/list` (Community Edition lists its one main branch). */
  async branches(projectKey: string): Promise<SonarBranch[]> {
    const parsed = branchList.safeParse(await this.#get('api/project_branches/list', { project: projectKey }, { project: projectKey }));
    if (!parsed.success) throw new IntegrationError('SONARQUBE_BAD_RESPONSE', `SonarQube's branch list of ${projectKey} has no branches[].`);
    return parsed.data.branches.map((b) => ({ name: b.name, isMain: b.isMain ?? false, type: b.type, analysisDate: b.analysisDate, qualityGateStatus: b.status?.qualityGateStatus }));
  }

  /** `api/qualitygates/project_status` of a project (branch / pull request): OK, WARN, ERROR or NONE. */
  async qualityGate(projectKey: string, scope: { branch?: string; pullRequest?: string } = {}): Promise<QualityGate> {
    const parsed = gateBody.safeParse(await this.#get('api/qualitygates/project_status', { projectKey, ...scope }, { project: projectKey }));
    if (!parsed.success) throw new IntegrationError('SONARQUBE_BAD_RESPONSE', `SonarQube's quality gate status of ${projectKey} has no projectStatus.`);
    return { status: parsed.data.projectStatus.status, conditions: parsed.data.projectStatus.conditions ?? [] };
  }

  async close(): Promise<void> {
    await this.#limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
  }

  // ---- issues: pages, then date windows, then rules, under the result window ----

  async #issuesPage(params: Params, p: number, ps: number, ctx: PullContext): Promise<z.infer<typeof issuesPage>> {
    const parsed = issuesPage.safeParse(await this.#get('api/issues/search', { ...params, p, ps }, { project: ctx.projectKey, signal: ctx.signal }));
    if (!parsed.success) throw new IntegrationError('SONARQUBE_BAD_RESPONSE', `SonarQube's api/issues/search page ${p} is not a {paging, issues} object.`);
    ctx.keep(parsed.data.components);
    return parsed.data;
  }

  /** All issues of a query whose total fits the window, page by page. */
  async #walk(params: Params, first: z.infer<typeof issuesPage>, ctx: PullContext): Promise<IssueRow[]> {
    const rows: IssueRow[] = [...first.issues];
    const total = first.paging.total;
    for (let p = 2; rows.length < total && p * this.#pageSize <= this.#window; p++) {
      const page = await this.#issuesPage(params, p, this.#pageSize, ctx);
      rows.push(...page.issues);
      if (page.issues.length < this.#pageSize) break;
    }
    return rows;
  }

  async #allIssues(base: Params, ctx: PullContext): Promise<IssueRow[]> {
    const first = await this.#issuesPage(base, 1, this.#pageSize, ctx);
    // Cloud caps paging.total at the window: a total AT the window may hide more.
    if (first.paging.total < this.#window) return this.#walk(base, first, ctx);
    const edge = async (asc: boolean) => (await this.#issuesPage({ ...base, s: 'CREATION_DATE', asc: String(asc) }, 1, 1, ctx)).issues[0]?.creationDate;
    const [oldest, newest] = [await edge(true), await edge(false)];
    const from = oldest ? Math.floor(sonarTime(oldest) / 1000) * 1000 : NaN;
    const to = newest ? Math.floor(sonarTime(newest) / 1000) * 1000 + 1000 : NaN;
    if (!Number.isFinite(from) || !Number.isFinite(to)) return this.#byRule(base, first.paging.total, ctx);
    this.#options.log?.debug({ projectKey: ctx.projectKey, total: first.paging.total }, 'SonarQube issues exceed the result window; slicing by creation date');
    return this.#byDate(base, from, to, ctx);
  }

  /** Issues created in [from, to): halves the window until each half fits, down to one second. */
  async #byDate(base: Params, from: number, to: number, ctx: PullContext): Promise<IssueRow[]> {
    const params = { ...base, createdAfter: sonarDate(from), createdBefore: sonarDate(to) };
    const first = await this.#issuesPage(params, 1, this.#pageSize, ctx);
    if (first.paging.total < this.#window) return this.#walk(params, first, ctx);
    if (to - from <= 1000) return this.#byRule(params, first.paging.total, ctx);
    const mid = from + Math.floor((to - from) / 2000) * 1000;
    return [...(await this.#byDate(base, from, mid, ctx)), ...(await this.#byDate(base, mid, to, ctx))];
  }

  /** One second still holds too many (an analysis without SCM dates): slice by rule, rules batched up to the window. */
  async #byRule(params: Params, total: number, ctx: PullContext): Promise<IssueRow[]> {
    const facets = ruleFacets.safeParse((await this.#issuesPage({ ...params, facets: 'rules' }, 1, 1, ctx)).facets);
    const values = facets.success ? (facets.data.find((f) => f.property === 'rules')?.values ?? []) : [];
    const counted = values.reduce((sum, v) => sum + v.count, 0);
    const tooBig = values.find((v) => v.count >= this.#window);
    if (counted !== total || tooBig) {
      throw new IntegrationError(
        'SONARQUBE_TOO_MANY_RESULTS',
        `SonarQube holds ${total} issues of ${ctx.projectKey} that no creation-date or rule slice brings under its ${this.#window}-result window${tooBig ? ` (rule ${tooBig.val} alone has ${tooBig.count})` : ''}: narrow the project (branches, exclusions) or pull per branch.`,
      );
    }
    const batches: string[][] = [];
    let size = this.#window;
    for (const v of values) {
      if (size + v.count >= this.#window) {
        batches.push([]);
        size = 0;
      }
      batches.at(-1)!.push(v.val);
      size += v.count;
    }
    const rows: IssueRow[] = [];
    for (const batch of batches) {
      const sliced = { ...params, rules: batch.join(',') };
      rows.push(...(await this.#walk(sliced, await this.#issuesPage(sliced, 1, this.#pageSize, ctx), ctx)));
    }
    return rows;
  }

  // ---- hotspots: pages, then status/resolution slices ----

  async #hotspotPages(params: Params, ctx: PullContext): Promise<{ rows: HotspotRow[]; total: number }> {
    const rows: HotspotRow[] = [];
    let total = 0;
    for (let p = 1; p * HOTSPOT_PAGE <= this.#window; p++) {
      const parsed = hotspotsPage.safeParse(await this.#get('api/hotspots/search', { ...params, p, ps: HOTSPOT_PAGE }, { project: ctx.projectKey, signal: ctx.signal }));
      if (!parsed.success) throw new IntegrationError('SONARQUBE_BAD_RESPONSE', `SonarQube's api/hotspots/search page ${p} is not a {paging, hotspots} object.`);
      ctx.keep(parsed.data.components);
      total = parsed.data.paging.total;
      if (p === 1 && total >= this.#window) return { rows, total };
      rows.push(...parsed.data.hotspots);
      if (rows.length >= total || parsed.data.hotspots.length < HOTSPOT_PAGE) break;
    }
    return { rows, total };
  }

  async #allHotspots(base: Params, ctx: PullContext): Promise<HotspotRow[]> {
    const all = await this.#hotspotPages(base, ctx);
    if (all.total < this.#window) return all.rows;
    const rows: HotspotRow[] = [];
    for (const slice of HOTSPOT_SLICES) {
      const part = await this.#hotspotPages({ ...base, ...slice }, ctx);
      if (part.total >= this.#window) {
        throw new IntegrationError('SONARQUBE_TOO_MANY_RESULTS', `SonarQube holds ${part.total} ${slice.resolution ?? slice.status} hotspots of ${ctx.projectKey}, more than its ${this.#window}-result window: review them in SonarQube or pull per branch.`);
      }
      rows.push(...part.rows);
    }
    return rows;
  }

  /** `api/rules/show` body's `rule`; undefined for rules the server no longer has (external, removed). */
  async #rule(key: string, signal: AbortSignal | undefined): Promise<Record<string, unknown> | undefined> {
    try {
      const body = (await this.#get('api/rules/show', { key, organization: this.#options.organization }, { signal })) as { rule?: unknown } | undefined;
      return typeof body?.rule === 'object' && body.rule !== null ? (body.rule as Record<string, unknown>) : undefined;
    } catch (error) {
      if (error instanceof IntegrationError && error.options.status === 404) {
        this.#options.log?.debug({ rule: key }, 'SonarQube has no such rule; findings keep the rule key only');
        return undefined;
      }
      throw error;
    }
  }

  // ---- transport ----

  async #authorization(): Promise<string> {
    const scheme = this.#options.authScheme ?? 'auto';
    const bearer = scheme === 'bearer' || (scheme === 'auto' && atLeast((await this.serverStatus()).version, 10, 0));
    return bearer ? `Bearer ${this.#token}` : `Basic ${Buffer.from(`${this.#token}:`).toString('base64')}`;
  }

  async #get(path: string, params: Params, options: { anonymous?: boolean; attempts?: number; project?: string; signal?: AbortSignal | undefined } = {}): Promise<unknown> {
    const attempts = Math.max(1, options.attempts ?? this.#attempts);
    const headers = options.anonymous ? {} : { Authorization: await this.#authorization() };
    const query = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined && v !== ''));
    const maxDelay = this.#options.retry?.maxDelayMs ?? 30_000;
    const delayFor = (attempt: number) => backoffDelay(attempt, this.#options.retry?.baseDelayMs ?? 500, maxDelay, this.#options.random);
    for (let attempt = 1; ; attempt++) {
      if (options.signal?.aborted) throw new IntegrationError('SONARQUBE_CANCELLED', 'The SonarQube request was cancelled.');
      let response: AxiosResponse<string>;
      try {
        response = await this.#limiter.schedule(() =>
          this.#http.get<string>(path, { params: query, headers, responseType: 'text', transformResponse: [(raw: unknown) => raw], validateStatus: () => true, ...(options.signal ? { signal: options.signal } : {}) }),
        );
      } catch (error) {
        const e = this.#coded(error);
        if (!e.retryable || attempt >= attempts) throw e;
        await this.#sleep(delayFor(attempt));
        continue;
      }
      const { status } = response;
      if (status >= 200 && status < 300) return this.#json(response.data, path, status);
      if (RETRYABLE_STATUS.has(status)) {
        const retryAfterMs = parseRetryAfter(headerText(response.headers['retry-after']), new Date());
        if (attempt >= attempts || (retryAfterMs !== undefined && retryAfterMs > maxDelay)) throw this.#statusError(status, response.data, path, options.project, attempt, retryAfterMs);
        this.#options.log?.debug({ path, attempt, status }, 'SonarQube refused the request; retrying');
        await this.#sleep(retryAfterMs ?? delayFor(attempt));
        continue;
      }
      throw this.#statusError(status, response.data, path, options.project, attempt, undefined);
    }
  }

  #json(raw: unknown, path: string, status: number): unknown {
    if (typeof raw !== 'string' || raw.trim() === '') return raw === '' ? undefined : raw;
    try {
      return JSON.parse(raw);
    } catch {
      throw new IntegrationError('SONARQUBE_BAD_RESPONSE', `SonarQube answered ${path} with a body that is not JSON (${raw.length} bytes): check that the URL points at SonarQube, not a proxy or login page.`, { status, retryable: true });
    }
  }

  #authFailed(status?: number): IntegrationError {
    return new IntegrationError('SONARQUBE_AUTH_FAILED', `SonarQube at ${this.#host} does not accept the token (${status ?? 'valid: false'}): it is wrong, expired or revoked — generate a new one under My Account → Security.`, status ? { status } : {});
  }

  #statusError(status: number, raw: unknown, path: string, project: string | undefined, attempts: number, retryAfterMs: number | undefined): IntegrationError {
    const detail = typeof raw === 'string' ? serverMessage(raw) : undefined;
    const said = detail ? ` SonarQube said: "${safeSnippet(detail, [this.#token])}".` : '';
    const retry = { status, retryable: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    if (status === 401) return this.#authFailed(401);
    if (status === 403) return new IntegrationError('SONARQUBE_FORBIDDEN', `SonarQube refused ${path}${project ? ` for ${project}` : ''} (403): give the token's user the Browse permission on the project (and "See Source Code" is not needed).${said}`, { status });
    if (status === 404 && project) return new IntegrationError('SONARQUBE_PROJECT_NOT_FOUND', `SonarQube at ${this.#host} has no project "${project}" the token can see (404): check the project key (Project Information → Key), the branch name, and the organization on SonarQube Cloud.${said}`, { status });
    if (status === 404) return new IntegrationError('SONARQUBE_NOT_FOUND', `SonarQube at ${this.#host} has no ${path} (404).${said}`, { status });
    if (status === 400) return new IntegrationError('SONARQUBE_BAD_REQUEST', `SonarQube refused ${path} as a bad request (400).${said}`, { status });
    if (status === 429) return new IntegrationError('SONARQUBE_RATE_LIMITED', `SonarQube at ${this.#host} is rate limiting ScanHub (429) after ${attempts} attempts: the pull will be retried later; lower requestsPerSecond if it persists.`, retry);
    if (status >= 500) return new IntegrationError('SONARQUBE_UNAVAILABLE', `SonarQube at ${this.#host} answered ${status} for ${path} after ${attempts} attempts${status === 503 ? ' (it answers 503 while re-indexing issues)' : ''}: the pull will be retried later.${said}`, retry);
    if (status >= 300 && status < 400) return new IntegrationError('SONARQUBE_REDIRECT', `SonarQube at ${this.#host} redirected ${path} (${status}): set the URL to the final https address of the server.`, { status });
    return new IntegrationError(`SONARQUBE_HTTP_${status}`, `SonarQube answered ${path} with HTTP ${status}.${said}`, { status });
  }

  /** Any failure as a coded IntegrationError, the token never in its message. */
  #coded(error: unknown): IntegrationError {
    if (error instanceof IntegrationError) return error;
    const code = networkCode(error);
    if (code === 'OUTBOUND_URL_REFUSED') return new IntegrationError('SONARQUBE_URL_REFUSED', `The SonarQube host ${this.#host} resolves only to private or reserved addresses: an operator can allow it with SCANHUB_OUTBOUND_ALLOW.`);
    if (code === 'ERR_CANCELED') return new IntegrationError('SONARQUBE_CANCELLED', 'The SonarQube request was cancelled.');
    if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO|ERR_TLS/i.test(code)) {
      return new IntegrationError('SONARQUBE_TLS', `The TLS certificate of ${this.#host} is not trusted (${code}): fix the certificate or add its CA with SCANHUB_CA_BUNDLE.`);
    }
    const retryable = !code || RETRYABLE_NETWORK.has(code) || (axios.isAxiosError(error) && /timeout/i.test(error.message));
    return new IntegrationError('SONARQUBE_UNREACHABLE', `SonarQube at ${this.#host} could not be reached (${code ?? 'network error'}): check the URL, DNS, firewall and proxy settings.`, { retryable });
  }
}

type IssueRow = z.infer<typeof issuesPage>['issues'][number];
type HotspotRow = z.infer<typeof hotspotsPage>['hotspots'][number];
interface PullContext {
  projectKey: string;
  signal: AbortSignal | undefined;
  keep: (components: Record<string, unknown>[] | undefined) => void;
}

export function createSonarQubeClient(options: SonarQubeClientOptions): SonarQubeClient {
  return new SonarQubeClient(options);
}

function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
}

function networkCode(error: unknown): string | undefined {
  const direct = (error as { code?: unknown } | null)?.code;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof direct === 'string' && direct !== 'ERR_NETWORK' && direct !== 'ERR_BAD_RESPONSE') return direct;
  if (typeof cause === 'string') return cause;
  return typeof direct === 'string' ? direct : undefined;
}

/** SonarQube's error text: `{"errors":[{"msg":"…"}]}`. */
function serverMessage(raw: string): string | undefined {
  try {
    const doc = JSON.parse(raw) as { errors?: { msg?: unknown }[] };
    const msg = doc.errors?.[0]?.msg;
    return typeof msg === 'string' && msg.trim() ? msg : undefined;
  } catch {
    return undefined;
  }
}
