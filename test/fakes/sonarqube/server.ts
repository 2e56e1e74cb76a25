// A fake SonarQube Web API on 127.0.0.1 (port 0) for tests, answering with the corpus bodies
// (shared/notes/sonar-nexus-contract.md Part A): system status, authentication/validate,
// components/show, issues/search and hotspots/search with TRUE paging and the 10,000-result window
// refused like SonarQube does (400 + its error body), rules/show, project_branches/list,
// qualitygates/project_status. Tokens are checked (401), projects can be forbidden (403), synthetic
// issue sets exercise paging, and it misbehaves on demand (429 storms with Retry-After, 500s,
// slowness, malformed JSON). Every request is recorded by the shared recording server.
import { startRecordingServer, type FakeServer, type RecordedRequest, type ScriptedReply } from '../http.js';
import { CORPUS, sonarCorpusJson } from './corpus.js';

type Json = Record<string, unknown>;

export interface FakeSonarProject {
  key: string;
  name?: string;
  issues: Json[];
  hotspots: Json[];
  branches?: { name: string; isMain: boolean; analysisDate?: string }[];
  /** The token may not browse it: 403 on every project endpoint. */
  forbidden?: boolean;
}

export interface FakeSonarBehaviour {
  /** The next `count` requests get 429 with `Retry-After: retryAfterSeconds`. */
  storm429?: { count: number; retryAfterSeconds: number };
  /** The next n requests get 500. */
  fail500?: number;
  /** The next n issues/hotspots searches get 503, as while SonarQube re-indexes issues. */
  indexing503?: number;
  slowMs?: number;
  /** Successful answers carry a truncated JSON body. */
  malformedJson?: boolean;
}

export interface FakeSonarQubeOptions {
  token?: string;
  /** Server version (default 10.6.0.92116); below 10.0 only Basic `token:` authentication is accepted. */
  version?: string;
  status?: 'UP' | 'STARTING' | 'DB_MIGRATION_NEEDED' | 'DOWN';
  /** Replaces the default corpus projects (`internal.dummy.project`, `testapplication`). */
  projects?: FakeSonarProject[];
  /** Elasticsearch's result window (default 10,000). */
  resultWindow?: number;
  behaviour?: FakeSonarBehaviour;
}

export interface FakeSonarQube extends FakeServer {
  token: string;
  projects: Map<string, FakeSonarProject>;
  setBehaviour(b: FakeSonarBehaviour): void;
  /** Recorded requests to one endpoint, with their query parameters. */
  calls(endpoint: string): { query: URLSearchParams; request: RecordedRequest }[];
}

const DEFAULT_TOKEN = 'squ_fake0123456789abcdef0123456789abcdef';
const LEGACY_QUALITY: Record<string, string> = { VULNERABILITY: 'SECURITY', SECURITY_HOTSPOT: 'SECURITY', BUG: 'RELIABILITY', CODE_SMELL: 'MAINTAINABILITY' };

const error = (status: number, msg: string): ScriptedReply => ({ status, body: { errors: [{ msg }] } });
const time = (value: unknown) => (typeof value === 'string' ? Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : NaN);

/** `count` VULNERABILITY issues of `projectKey`, one second apart (or all in one second), over `rules` rules. */
export function syntheticIssues(projectKey: string, count: number, options: { sameSecond?: boolean; rules?: number; start?: string } = {}): Json[] {
  const start = Date.parse(options.start ?? '2024-01-01T00:00:00Z');
  const rules = Math.max(1, options.rules ?? 7);
  return Array.from({ length: count }, (_, i) => ({
    key: `SYN-${projectKey}-${String(i).padStart(6, '0')}`,
    rule: `java:S${2000 + (i % rules)}`,
    severity: 'MAJOR',
    component: `${projectKey}:src/main/java/App${i % 50}.java`,
    project: projectKey,
    line: 1 + (i % 400),
    status: 'OPEN',
    message: `Synthetic vulnerability ${i}`,
    type: 'VULNERABILITY',
    impacts: [{ softwareQuality: 'SECURITY', severity: 'MEDIUM' }],
    creationDate: new Date(start + (options.sameSecond ? 0 : i * 1000)).toISOString().replace(/\.\d{3}Z$/, '+0000'),
  }));
}

/** The corpus projects: DefectDojo's importer fixtures and a real issues page. */
export function corpusProjects(): FakeSonarProject[] {
  const product = sonarCorpusJson<{ key: string; name: string; lastAnalysisDate: string }>('sonarqube_api', CORPUS.dummyProject);
  const page = sonarCorpusJson<{ issues: Json[] }>('sonarqube', CORPUS.issuesPage);
  return [
    {
      key: product.key,
      name: product.name,
      issues: sonarCorpusJson<Json[]>('sonarqube_api', CORPUS.dummyIssues),
      // These hotspots are ruby:S2068's (the importer pairs them with hotspots/rule.json); 9.7+ names it.
      hotspots: sonarCorpusJson<Json[]>('sonarqube_api', CORPUS.dummyHotspots).map((h) => ({ ...h, ruleKey: 'ruby:S2068' })),
      branches: [{ name: 'master', isMain: true, analysisDate: product.lastAnalysisDate }],
    },
    { key: 'testapplication', issues: page.issues, hotspots: [], branches: [{ name: 'main', isMain: true, analysisDate: '2024-01-29T13:50:11+0000' }] },
  ];
}

export async function startFakeSonarQube(options: FakeSonarQubeOptions = {}): Promise<FakeSonarQube> {
  const token = options.token ?? DEFAULT_TOKEN;
  const version = options.version ?? '10.6.0.92116';
  const major = Number(version.split('.')[0]);
  const minor = Number(version.split('.')[1]);
  const window = options.resultWindow ?? 10_000;
  const projects = new Map((options.projects ?? corpusProjects()).map((p) => [p.key, p]));
  const rules = new Map<string, Json>([
    ['typescript:S1854', sonarCorpusJson<Json>('sonarqube_api', CORPUS.deadStoreRule)],
    ['ruby:S2068', sonarCorpusJson<Json>('sonarqube_api', CORPUS.hardCodedCredentialsRule)],
  ]);
  let behaviour: FakeSonarBehaviour = {};
  const remaining = { storm429: 0, fail500: 0, indexing503: 0 };
  const setBehaviour = (b: FakeSonarBehaviour): void => {
    behaviour = { ...b };
    Object.assign(remaining, { storm429: b.storm429?.count ?? 0, fail500: b.fail500 ?? 0, indexing503: b.indexing503 ?? 0 });
  };
  setBehaviour(options.behaviour ?? {});

  const authenticated = (header: string | undefined): boolean | undefined => {
    if (!header) return undefined;
    if (header === `Basic ${Buffer.from(`${token}:`).toString('base64')}`) return true;
    return major >= 10 && header === `Bearer ${token}`;
  };

  /** The project a request names, or the error SonarQube answers. */
  const project = (key: string | null, branch?: string | null): FakeSonarProject | ScriptedReply => {
    const p = key ? projects.get(key) : undefined;
    if (!key || !p) return error(404, `Component key '${key ?? ''}' not found`);
    if (p.forbidden) return error(403, 'Insufficient privileges');
    if (branch && !(p.branches ?? []).some((b) => b.name === branch)) return error(404, `Component '${key}' on branch '${branch}' not found`);
    return p;
  };

  /** p/ps paging under the result window, as Elasticsearch-backed searches do. */
  const page = (q: URLSearchParams, defaultPs: number): { p: number; ps: number } | ScriptedReply => {
    const p = Number(q.get('p') ?? 1);
    const ps = Number(q.get('ps') ?? defaultPs);
    if (!Number.isInteger(p) || p < 1) return error(400, `'p' value (${q.get('p')}) must be a positive integer`);
    if (!Number.isInteger(ps) || ps < 1 || ps > 500) return error(400, `'ps' value (${q.get('ps')}) must be less than 500`);
    if (p * ps > window) return error(400, `Can return only the first ${window} results. ${p * ps}th result asked.`);
    return { p, ps };
  };

  const components = (projectKey: string, items: Json[]): Json[] => {
    const keys = [...new Set(items.map((i) => String(i.component)))];
    return [
      ...keys.filter((k) => k !== projectKey).map((k) => ({ key: k, enabled: true, qualifier: 'FIL', name: k.split('/').pop(), longName: k.slice(projectKey.length + 1), path: k.slice(projectKey.length + 1) })),
      { key: projectKey, enabled: true, qualifier: 'TRK', name: projects.get(projectKey)?.name ?? projectKey, longName: projectKey },
    ];
  };

  function issuesSearch(q: URLSearchParams): ScriptedReply {
    const key = q.get('components') ?? q.get('componentKeys');
    const found = project(key, q.get('branch'));
    if ('status' in found) return found;
    const paged = page(q, 100);
    if ('status' in paged) return paged;
    const list = (name: string) => q.get(name)?.split(',').filter(Boolean);
    const [types, qualities, statuses, ruleKeys] = [list('types'), list('impactSoftwareQualities'), list('statuses'), list('rules')];
    const after = q.get('createdAfter') ? time(q.get('createdAfter')) : -Infinity;
    const before = q.get('createdBefore') ? time(q.get('createdBefore')) : Infinity;
    let matching = found.issues.filter((i) => {
      const impacts = Array.isArray(i.impacts) ? (i.impacts as { softwareQuality?: string }[]).map((x) => x.softwareQuality) : [LEGACY_QUALITY[String(i.type)]];
      const created = time(i.creationDate);
      return (!types || types.includes(String(i.type))) && (!qualities || impacts.some((x) => qualities.includes(String(x)))) && (!statuses || statuses.includes(String(i.status))) && (!ruleKeys || ruleKeys.includes(String(i.rule))) && !(created < after) && !(created >= before);
    });
    if (q.get('s') === 'CREATION_DATE') matching = [...matching].sort((a, b) => (time(a.creationDate) - time(b.creationDate)) * (q.get('asc') === 'false' ? -1 : 1));
    const slice = matching.slice((paged.p - 1) * paged.ps, paged.p * paged.ps);
    const facets = q.get('facets')?.split(',').includes('rules') ? [{ property: 'rules', values: countBy(matching, 'rule') }] : [];
    return { status: 200, body: { total: matching.length, p: paged.p, ps: paged.ps, paging: { pageIndex: paged.p, pageSize: paged.ps, total: matching.length }, effortTotal: 0, issues: slice, components: components(found.key, slice), facets } };
  }

  function hotspotsSearch(q: URLSearchParams): ScriptedReply {
    const found = project(q.get('project') ?? q.get('projectKey'), q.get('branch'));
    if ('status' in found) return found;
    const paged = page(q, 100);
    if ('status' in paged) return paged;
    const status = q.get('status');
    const resolution = q.get('resolution');
    if (resolution && status !== 'REVIEWED') return error(400, "Parameter 'resolution' can only be used with parameter 'status' set to 'REVIEWED'");
    const matching = found.hotspots
      .filter((h) => (!status || h.status === status) && (!resolution || h.resolution === resolution))
      .map((h) => (major > 9 || (major === 9 && minor >= 7) ? h : Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'ruleKey'))));
    const slice = matching.slice((paged.p - 1) * paged.ps, paged.p * paged.ps);
    return { status: 200, body: { paging: { pageIndex: paged.p, pageSize: paged.ps, total: matching.length }, hotspots: slice, components: components(found.key, slice) } };
  }

  function route(path: string, q: URLSearchParams): ScriptedReply {
    switch (path) {
      case '/api/authentication/validate':
        return { status: 200, body: { valid: true } };
      case '/api/components/show': {
        const found = project(q.get('component'), q.get('branch'));
        return 'status' in found ? found : { status: 200, body: { component: { key: found.key, name: found.name ?? found.key, qualifier: 'TRK', visibility: 'private' } } };
      }
      case '/api/issues/search':
        return issuesSearch(q);
      case '/api/hotspots/search':
        return hotspotsSearch(q);
      case '/api/rules/show': {
        const rule = rules.get(q.get('key') ?? '');
        return rule ? { status: 200, body: { rule, actives: [] } } : error(404, `Rule not found: ${q.get('key') ?? ''}`);
      }
      case '/api/project_branches/list': {
        const found = project(q.get('project'));
        return 'status' in found ? found : { status: 200, body: { branches: (found.branches ?? []).map((b) => ({ ...b, type: 'BRANCH', status: { qualityGateStatus: 'OK' } })) } };
      }
      case '/api/qualitygates/project_status': {
        const found = project(q.get('projectKey'), q.get('branch'));
        return 'status' in found ? found : { status: 200, body: { projectStatus: sonarCorpusJson<{ qualityGateStatus: { projectStatus: Json } }>('sonarqube', CORPUS.gateReport).qualityGateStatus.projectStatus } };
      }
      default:
        return error(404, `Unknown url: ${path}`);
    }
  }

  function handle(request: RecordedRequest): ScriptedReply {
    const answer = respond(request);
    if (behaviour.malformedJson && answer.status === 200) {
      const text = JSON.stringify(answer.body);
      return { status: 200, body: text.slice(0, Math.max(1, Math.floor(text.length / 2))), headers: { 'Content-Type': 'application/json' } };
    }
    return answer;
  }

  function respond(request: RecordedRequest): ScriptedReply {
    const url = new URL(request.path, 'http://fake');
    if (remaining.storm429 > 0) {
      remaining.storm429--;
      return { status: 429, body: { errors: [{ msg: 'Too many requests' }] }, headers: { 'Retry-After': String(behaviour.storm429?.retryAfterSeconds ?? 1) } };
    }
    if (remaining.fail500 > 0) {
      remaining.fail500--;
      return error(500, 'An error has occurred. Please contact your administrator');
    }
    if (url.pathname === '/api/system/status') return { status: 200, body: { id: '147B411E-AXa4ta3H9XlmD2Bd4Fr3', version, status: options.status ?? 'UP' } };
    const auth = authenticated(request.headers.authorization);
    if (auth === false) return error(401, 'Unauthorized');
    if (auth === undefined) return url.pathname === '/api/authentication/validate' ? { status: 200, body: { valid: false } } : error(401, 'Authentication is required');
    if (remaining.indexing503 > 0 && /\/search$/.test(url.pathname)) {
      remaining.indexing503--;
      return error(503, 'Issues are being reindexed, please try again later');
    }
    return route(url.pathname, url.searchParams);
  }

  const server = await startRecordingServer(async (request) => {
    if (behaviour.slowMs) await new Promise((resolve) => setTimeout(resolve, behaviour.slowMs));
    return handle(request);
  });
  return {
    ...server,
    token,
    projects,
    setBehaviour,
    calls: (endpoint) =>
      server.requests
        .map((request) => ({ request, url: new URL(request.path, 'http://fake') }))
        .filter(({ url }) => url.pathname === `/${endpoint.replace(/^\//, '')}`)
        .map(({ request, url }) => ({ request, query: url.searchParams })),
  };
}

function countBy(items: Json[], field: string): { val: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(String(item[field]), (counts.get(String(item[field])) ?? 0) + 1);
  return [...counts].map(([val, count]) => ({ val, count })).sort((a, b) => b.count - a.count || a.val.localeCompare(b.val));
}
