// A fake Jenkins remote API on 127.0.0.1 for tests, from the contract notes
// (shared/notes/ci-integrations.md §4) and the recorded responses of the `jenkins` package in
// shared/corpus/jenkins/ (queue item, build, job shapes; `_class` added as modern Jenkins does).
// Basic auth (user:apiToken), the crumb issuer with its session cookie, buildWithParameters →
// 201 + Location queue item → executable → build that finishes after a few polls, folders
// (/job/a/job/b), and misbehaviour on demand (401 everywhere, 403 on build, crumb required, 500s).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export type FakeJenkinsResult = 'SUCCESS' | 'UNSTABLE' | 'FAILURE' | 'ABORTED';

export interface FakeJenkinsJob {
  /** Full name with folders, e.g. "security/rescan-image". */
  name: string;
  buildable: boolean;
  /** Result the next builds end with (default SUCCESS). */
  result: FakeJenkinsResult;
  nextBuildNumber: number;
}

export interface FakeJenkinsQueueItem {
  id: number;
  job: string;
  params: Record<string, string>;
  polls: number;
  cancelled: boolean;
  buildNumber?: number;
}

export interface FakeJenkinsBuild {
  job: string;
  number: number;
  params: Record<string, string>;
  polls: number;
  result: FakeJenkinsResult;
}

export interface FakeJenkinsRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface FakeJenkinsBehaviour {
  /** Every request answers 401 (e.g. a revoked token). */
  unauthorized?: boolean;
  /** POSTs answer 403 (authenticated user without Job/Build). */
  forbiddenBuild?: boolean;
  /** POSTs without the current crumb (header + session cookie) answer 403 "No valid crumb". Default true. */
  requireCrumb?: boolean;
  /** The crumb issuer is absent (404). */
  noCrumbIssuer?: boolean;
  /** The next n requests answer 500. */
  fail500?: number;
  /** Queue polls before the build starts (default 1), build polls before it finishes (default 1). */
  queuePolls?: number;
  buildPolls?: number;
  /** Queue items are cancelled instead of started. */
  cancelQueue?: boolean;
}

export interface FakeJenkins {
  url: string;
  user: string;
  apiToken: string;
  requests: FakeJenkinsRequest[];
  jobs: Map<string, FakeJenkinsJob>;
  queue: FakeJenkinsQueueItem[];
  builds: FakeJenkinsBuild[];
  setBehaviour(b: FakeJenkinsBehaviour): void;
  addJob(name: string, options?: { result?: FakeJenkinsResult; buildable?: boolean }): void;
  close(): Promise<void>;
}

const CRUMB_FIELD = 'Jenkins-Crumb';

/** "/job/a/job/b/rest" → { job: "a/b", rest: ["rest"] } */
function splitJobPath(path: string): { job: string; rest: string[] } | undefined {
  const parts = path.split('/').filter(Boolean);
  const names: string[] = [];
  let i = 0;
  while (parts[i] === 'job' && parts[i + 1] !== undefined) {
    names.push(decodeURIComponent(parts[i + 1]!));
    i += 2;
  }
  if (names.length === 0) return undefined;
  return { job: names.join('/'), rest: parts.slice(i) };
}

export async function startFakeJenkins(options: { user?: string; apiToken?: string; behaviour?: FakeJenkinsBehaviour } = {}): Promise<FakeJenkins> {
  const user = options.user ?? 'scanhub';
  const apiToken = options.apiToken ?? randomBytes(16).toString('hex');
  const requests: FakeJenkinsRequest[] = [];
  const jobs = new Map<string, FakeJenkinsJob>();
  const queue: FakeJenkinsQueueItem[] = [];
  const builds: FakeJenkinsBuild[] = [];
  let behaviour: FakeJenkinsBehaviour = { requireCrumb: true, ...options.behaviour };
  let fail500 = behaviour.fail500 ?? 0;
  let queueIds = 1150; // the pastebin sample answered queue/item/1151
  const crumbs = new Map<string, string>(); // session → crumb
  let url = '';

  const addJob: FakeJenkins['addJob'] = (name, o = {}) => {
    jobs.set(name, { name, buildable: o.buildable ?? true, result: o.result ?? 'SUCCESS', nextBuildNumber: 1 });
  };
  const jobUrl = (name: string) => `${url}/${name.split('/').map((n) => `job/${encodeURIComponent(n)}`).join('/')}/`;

  const server = createServer((req, res) => {
    const parsed = new URL(req.url ?? '/', 'http://fake');
    const record: FakeJenkinsRequest = { method: req.method ?? 'GET', path: parsed.pathname, query: parsed.searchParams, headers: req.headers, body: '', status: 0 };
    requests.push(record);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      record.body = Buffer.concat(chunks).toString('utf8');
      const send = (status: number, payload: unknown, headers: Record<string, string | string[]> = {}) => {
        record.status = status;
        const isText = typeof payload === 'string';
        const text = isText ? payload : JSON.stringify(payload);
        res.writeHead(status, { 'Content-Type': isText ? 'text/html;charset=utf-8' : 'application/json;charset=utf-8', 'X-Jenkins': '2.440.3', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
        res.end(text);
      };
      if (fail500 > 0) {
        fail500--;
        return send(500, '<html><body>Server Error</body></html>');
      }
      const auth = /^Basic (.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
      const [u, ...t] = Buffer.from(auth ?? '', 'base64').toString('utf8').split(':');
      if (behaviour.unauthorized || u !== user || t.join(':') !== apiToken) {
        return send(401, '<html><body>Invalid password/token for user: ' + (u ?? '') + '</body></html>', { 'WWW-Authenticate': 'Basic realm="Jenkins"' });
      }
      const path = parsed.pathname;
      if (record.method === 'GET' && path === '/crumbIssuer/api/json') {
        if (behaviour.noCrumbIssuer) return send(404, '<html><body>Not Found</body></html>');
        const session = `node0${randomBytes(8).toString('hex')}`;
        const crumb = randomBytes(16).toString('hex');
        crumbs.set(session, crumb);
        return send(200, { _class: 'hudson.security.csrf.DefaultCrumbIssuer', crumb, crumbRequestField: CRUMB_FIELD }, { 'Set-Cookie': [`JSESSIONID.fake=${session}; Path=/; HttpOnly`] });
      }
      if (record.method === 'GET' && path === '/api/json') {
        return send(200, { _class: 'hudson.model.Hudson', mode: 'NORMAL', nodeName: '', numExecutors: 2, useCrumbs: !behaviour.noCrumbIssuer, useSecurity: true, jobs: [...jobs.values()].map((j) => ({ _class: 'hudson.model.FreeStyleProject', name: j.name, url: jobUrl(j.name), color: 'blue' })) });
      }
      const q = /^\/queue\/item\/(\d+)\/api\/json$/.exec(path);
      if (record.method === 'GET' && q) {
        const item = queue.find((i) => i.id === Number(q[1]));
        if (!item) return send(404, '<html><body>Not Found</body></html>');
        item.polls++;
        const base = {
          actions: [{ _class: 'hudson.model.ParametersAction', parameters: Object.entries(item.params).map(([name, value]) => ({ name, value })) }, { causes: [{ shortDescription: `Started by user ${user}`, userId: user, userName: user }] }],
          blocked: false,
          id: item.id,
          inQueueSince: Date.now() - 1000,
          params: Object.entries(item.params).map(([k, v]) => `\n${k}=${v}`).join(''),
          stuck: false,
          task: { _class: 'hudson.model.FreeStyleProject', name: item.job.split('/').pop(), url: jobUrl(item.job), color: 'blue' },
          url: `queue/item/${item.id}/`,
        };
        if (behaviour.cancelQueue) item.cancelled = true;
        if (item.cancelled) return send(200, { _class: 'hudson.model.Queue$LeftItem', ...base, buildable: false, cancelled: true, executable: null, why: null });
        if (item.polls <= (behaviour.queuePolls ?? 1)) return send(200, { _class: 'hudson.model.Queue$WaitingItem', ...base, buildable: true, why: 'Waiting for next available executor' });
        if (item.buildNumber === undefined) {
          const job = jobs.get(item.job)!;
          item.buildNumber = job.nextBuildNumber++;
          builds.push({ job: item.job, number: item.buildNumber, params: item.params, polls: 0, result: job.result });
        }
        return send(200, { _class: 'hudson.model.Queue$LeftItem', ...base, buildable: false, cancelled: false, why: null, executable: { _class: 'hudson.model.FreeStyleBuild', number: item.buildNumber, url: `${jobUrl(item.job)}${item.buildNumber}/` } });
      }
      const jp = splitJobPath(path);
      if (!jp) return send(404, '<html><body>Not Found</body></html>');
      const job = jobs.get(jp.job);
      if (!job) return send(404, '<html><body>Not Found</body></html>');
      const rest = jp.rest.join('/');
      if (record.method === 'GET' && rest === 'api/json') {
        const last = builds.filter((b) => b.job === job.name).pop();
        return send(200, { _class: 'hudson.model.FreeStyleProject', name: job.name.split('/').pop(), fullName: job.name, url: jobUrl(job.name), buildable: job.buildable, color: job.buildable ? 'blue' : 'disabled', nextBuildNumber: job.nextBuildNumber, inQueue: queue.some((i) => i.job === job.name && i.buildNumber === undefined), lastBuild: last ? { number: last.number, url: `${jobUrl(job.name)}${last.number}/` } : null, property: [{ _class: 'hudson.model.ParametersDefinitionProperty', parameterDefinitions: [] }] });
      }
      const b = /^(\d+)\/api\/json$/.exec(rest);
      if (record.method === 'GET' && b) {
        const build = builds.find((x) => x.job === job.name && x.number === Number(b[1]));
        if (!build) return send(404, '<html><body>Not Found</body></html>');
        build.polls++;
        const building = build.polls <= (behaviour.buildPolls ?? 1);
        return send(200, {
          _class: 'hudson.model.FreeStyleBuild',
          actions: [{ _class: 'hudson.model.ParametersAction', parameters: Object.entries(build.params).map(([name, value]) => ({ _class: 'hudson.model.StringParameterValue', name, value })) }],
          artifacts: [],
          building,
          description: null,
          duration: building ? 0 : 11,
          estimatedDuration: 11,
          fullDisplayName: `${job.name} #${build.number}`,
          id: String(build.number),
          number: build.number,
          result: building ? null : build.result,
          timestamp: Date.now(),
          url: `${jobUrl(job.name)}${build.number}/`,
        });
      }
      if (record.method === 'POST' && (rest === 'build' || rest === 'buildWithParameters')) {
        if (behaviour.requireCrumb && !behaviour.noCrumbIssuer) {
          const session = /JSESSIONID\.fake=([^;]+)/.exec(String(req.headers.cookie ?? ''))?.[1];
          const sent = req.headers[CRUMB_FIELD.toLowerCase()];
          if (!session || crumbs.get(session) !== sent) return send(403, '<html><body>Error 403 No valid crumb was included in the request</body></html>');
        }
        if (behaviour.forbiddenBuild) return send(403, `<html><body>${user} is missing the Job/Build permission</body></html>`);
        if (!job.buildable) return send(409, '<html><body>Job is disabled</body></html>');
        const params = Object.fromEntries(new URLSearchParams(record.body));
        const item: FakeJenkinsQueueItem = { id: ++queueIds, job: job.name, params, polls: 0, cancelled: false };
        queue.push(item);
        return send(201, '', { Location: `${url}/queue/item/${item.id}/` });
      }
      return send(404, '<html><body>Not Found</body></html>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    user,
    apiToken,
    requests,
    jobs,
    queue,
    builds,
    setBehaviour(b) {
      behaviour = { requireCrumb: true, ...b };
      fail500 = b.fail500 ?? 0;
    },
    addJob,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
