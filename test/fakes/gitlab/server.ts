// A fake GitLab REST API (v4) on 127.0.0.1 for tests, from the contract notes
// (shared/notes/ci-integrations.md §2: notes, commit statuses, pipelines, auth headers, 429) and the
// corpus webhook samples (the seeded project, MR and commit are those of
// shared/corpus/gitlab-webhooks/merge_request_hook.json: project 1 "gitlabhq/gitlab-test", MR !1
// ms-viewport → master at da1560886d4f…). It keeps state (users, tokens, projects, MRs, notes,
// statuses, pipelines), records every request, paginates with Link + X-* headers, and misbehaves on
// demand (429 with Retry-After, 500s).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGitlabUser {
  id: number;
  username: string;
  name: string;
  bot: boolean;
}

export interface FakeGitlabToken {
  user: number;
  scopes: string[];
  /** A revoked token answers 401 everywhere. */
  revoked?: boolean;
}

export interface FakeGitlabProject {
  id: number;
  path_with_namespace: string;
  web_url: string;
  default_branch: string;
  /** user id → access level (10 guest … 50 owner). */
  members: Record<number, number>;
}

export interface FakeGitlabMergeRequest {
  project_id: number;
  iid: number;
  state: 'opened' | 'closed' | 'merged';
  source_branch: string;
  target_branch: string;
  sha: string;
  web_url: string;
}

export interface FakeGitlabNote {
  id: number;
  project_id: number;
  noteable_iid: number;
  body: string;
  author: { id: number; username: string };
  system: boolean;
  created_at: string;
  updated_at: string;
}

export interface FakeGitlabStatus {
  id: number;
  project_id: number;
  sha: string;
  ref: string | null;
  name: string;
  status: string;
  target_url: string | null;
  description: string | null;
  pipeline_id: number | null;
  created_at: string;
}

export interface FakeGitlabPipeline {
  id: number;
  iid: number;
  project_id: number;
  ref: string;
  sha: string;
  status: string;
  source: string;
  web_url: string;
  variables: { key: string; value: string; variable_type: string }[];
}

export interface FakeGitlabRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
  status: number;
  time: number;
}

export interface FakeGitlabState {
  users: FakeGitlabUser[];
  tokens: Map<string, FakeGitlabToken>;
  projects: FakeGitlabProject[];
  mergeRequests: FakeGitlabMergeRequest[];
  notes: FakeGitlabNote[];
  statuses: FakeGitlabStatus[];
  pipelines: FakeGitlabPipeline[];
}

export interface FakeGitlab {
  url: string;
  /** A Developer on the seeded project, with the api scope. */
  token: string;
  requests: FakeGitlabRequest[];
  state: FakeGitlabState;
  /** The next `count` requests answer 429 with `Retry-After: retryAfterSeconds` (omit it with null). */
  rateLimit(count: number, retryAfterSeconds: number | null): void;
  /** The next `count` requests answer 500. */
  fail500(count: number): void;
  /** Adds a token for a user (created when new) with an access level on the seeded project. */
  addToken(token: string, options: { username: string; accessLevel?: number; scopes?: string[]; revoked?: boolean }): void;
  close(): Promise<void>;
}

/** From shared/corpus/gitlab-webhooks/merge_request_hook.json. */
export const SEED = {
  project: { id: 1, path: 'gitlabhq/gitlab-test', defaultBranch: 'master' },
  mergeRequest: { iid: 1, sourceBranch: 'ms-viewport', targetBranch: 'master', sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7' },
  humanUser: { id: 1, username: 'root', name: 'Administrator' },
} as const;

const STATES = ['pending', 'running', 'success', 'failed', 'canceled', 'skipped'];
const EVENT_FOR: Record<string, string> = { pending: 'enqueue', running: 'run', success: 'success', failed: 'drop', canceled: 'cancel', skipped: 'skip' };

export async function startFakeGitlab(options: { token?: string; perPage?: number } = {}): Promise<FakeGitlab> {
  const token = options.token ?? 'glpat-fake-developer-token';
  const requests: FakeGitlabRequest[] = [];
  const state: FakeGitlabState = { users: [], tokens: new Map(), projects: [], mergeRequests: [], notes: [], statuses: [], pipelines: [] };
  let url = '';
  let ids = 1000;
  let rateLimited = { count: 0, retryAfter: 0 as number | null };
  let failing = 0;

  const project: FakeGitlabProject = { id: SEED.project.id, path_with_namespace: SEED.project.path, web_url: '', default_branch: SEED.project.defaultBranch, members: { [SEED.humanUser.id]: 50 } };
  state.projects.push(project);
  state.users.push({ ...SEED.humanUser, bot: false });
  const addToken: FakeGitlab['addToken'] = (value, o) => {
    let user = state.users.find((u) => u.username === o.username);
    if (!user) {
      user = { id: ++ids, username: o.username, name: o.username, bot: o.username.startsWith('project_') };
      state.users.push(user);
    }
    if (o.accessLevel !== undefined) project.members[user.id] = o.accessLevel;
    state.tokens.set(value, { user: user.id, scopes: o.scopes ?? ['api'], ...(o.revoked ? { revoked: true } : {}) });
  };
  addToken(token, { username: 'project_1_bot_scanhub', accessLevel: 30 });
  state.mergeRequests.push({ project_id: 1, iid: SEED.mergeRequest.iid, state: 'opened', source_branch: SEED.mergeRequest.sourceBranch, target_branch: SEED.mergeRequest.targetBranch, sha: SEED.mergeRequest.sha, web_url: '' });

  const server = createServer((req, res) => {
    const parsed = new URL(req.url ?? '/', 'http://fake');
    const record: FakeGitlabRequest = { method: req.method ?? 'GET', path: parsed.pathname, query: parsed.searchParams, headers: req.headers, body: undefined, status: 0, time: Date.now() };
    requests.push(record);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (raw) {
        try {
          record.body = JSON.parse(raw);
        } catch {
          record.body = raw;
        }
      }
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        record.status = status;
        const text = JSON.stringify(payload);
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
        res.end(text);
      };
      if (rateLimited.count > 0) {
        rateLimited.count--;
        // GitLab's throttle answer (Rack::Attack): plain text, RateLimit-* and Retry-After headers.
        record.status = 429;
        res.writeHead(429, { 'Content-Type': 'text/plain', ...(rateLimited.retryAfter !== null ? { 'Retry-After': String(rateLimited.retryAfter) } : {}), 'RateLimit-Remaining': '0' });
        res.end('Retry later\n');
        return;
      }
      if (failing > 0) {
        failing--;
        send(500, { message: '500 Internal Server Error' });
        return;
      }
      try {
        route(record, send);
      } catch (error) {
        send(500, { message: `fake: ${(error as Error).message}` });
      }
    });
  });

  function authUser(headers: IncomingHttpHeaders): FakeGitlabUser | undefined {
    const bearer = /^Bearer (.+)$/i.exec(String(headers.authorization ?? ''))?.[1];
    const value = (headers['private-token'] as string | undefined) ?? bearer ?? (headers['job-token'] as string | undefined);
    if (!value) return undefined;
    const t = state.tokens.get(value);
    if (!t || t.revoked) return undefined;
    return state.users.find((u) => u.id === t.user);
  }

  function findProject(idOrPath: string): FakeGitlabProject | undefined {
    const decoded = decodeURIComponent(idOrPath);
    return state.projects.find((p) => String(p.id) === decoded || p.path_with_namespace === decoded);
  }

  const now = () => new Date().toISOString();

  function route(r: FakeGitlabRequest, send: (status: number, payload: unknown, headers?: Record<string, string>) => void): void {
    const prefix = '/api/v4/';
    if (!r.path.startsWith(prefix)) return send(404, { message: '404 Not Found' });
    const user = authUser(r.headers);
    if (!user) return send(401, { message: '401 Unauthorized' });
    // Keep %2F-encoded project paths as one segment.
    const rawPath = r.path.slice(prefix.length);
    const parts = rawPath.split('/');
    const body = (r.body ?? {}) as Record<string, unknown>;
    const tokenValue = (r.headers['private-token'] as string | undefined) ?? /^Bearer (.+)$/i.exec(String(r.headers.authorization ?? ''))?.[1] ?? '';

    if (r.method === 'GET' && rawPath === 'user') return send(200, { id: user.id, username: user.username, name: user.name, state: 'active', bot: user.bot, web_url: `${url}/${user.username}` });
    if (r.method === 'GET' && rawPath === 'personal_access_tokens/self') {
      const t = state.tokens.get(tokenValue);
      if (!t) return send(401, { message: '401 Unauthorized' });
      return send(200, { id: 42, name: 'scanhub', revoked: false, created_at: now(), scopes: t.scopes, user_id: user.id, active: true, expires_at: null });
    }
    if (parts[0] !== 'projects' || !parts[1]) return send(404, { message: '404 Not Found' });
    const p = findProject(parts[1]);
    const level = p ? (p.members[user.id] ?? 0) : 0;
    if (!p || level === 0) return send(404, { message: '404 Project Not Found' });
    const rest = parts.slice(2);
    const canWrite = level >= 30;
    const pWeb = `${url}/${p.path_with_namespace}`;

    if (r.method === 'GET' && rest.length === 0) {
      return send(200, { id: p.id, path_with_namespace: p.path_with_namespace, name: p.path_with_namespace.split('/').pop(), web_url: pWeb, default_branch: p.default_branch, permissions: { project_access: { access_level: level, notification_level: 3 }, group_access: null } });
    }
    if (r.method === 'GET' && rest[0] === 'members' && rest[1] === 'all' && rest[2]) {
      const id = Number(rest[2]);
      const l = p.members[id];
      if (!l) return send(404, { message: '404 Member Not Found' });
      const u = state.users.find((x) => x.id === id)!;
      return send(200, { id, username: u.username, access_level: l, state: 'active' });
    }
    // /merge_requests/:iid/notes[/:note_id]
    if (rest[0] === 'merge_requests' && rest[1] && rest[2] === 'notes') {
      const iid = Number(rest[1]);
      const mr = state.mergeRequests.find((m) => m.project_id === p.id && m.iid === iid);
      if (!mr) return send(404, { message: '404 Not found' });
      const present = (n: FakeGitlabNote) => ({ ...n, type: null, attachment: null, noteable_id: 99, noteable_type: 'MergeRequest', resolvable: false, confidential: false, internal: false });
      if (r.method === 'GET' && rest.length === 3) {
        let list = state.notes.filter((n) => n.project_id === p.id && n.noteable_iid === iid);
        const orderBy = r.query.get('order_by') === 'updated_at' ? 'updated_at' : 'created_at';
        const asc = r.query.get('sort') === 'asc';
        list = [...list].sort((a, b) => (a[orderBy] < b[orderBy] ? -1 : a[orderBy] > b[orderBy] ? 1 : a.id - b.id) * (asc ? 1 : -1));
        const perPage = Math.min(Number(r.query.get('per_page') ?? 20) || 20, options.perPage ?? 100);
        const page = Math.max(Number(r.query.get('page') ?? 1) || 1, 1);
        const totalPages = Math.max(Math.ceil(list.length / perPage), 1);
        const slice = list.slice((page - 1) * perPage, page * perPage);
        const headers: Record<string, string> = { 'X-Page': String(page), 'X-Per-Page': String(perPage), 'X-Total': String(list.length), 'X-Total-Pages': String(totalPages), 'X-Next-Page': page < totalPages ? String(page + 1) : '', 'X-Prev-Page': page > 1 ? String(page - 1) : '' };
        if (page < totalPages) {
          const next = new URLSearchParams(r.query);
          next.set('page', String(page + 1));
          next.set('per_page', String(perPage));
          headers.Link = `<${url}${r.path}?${next}>; rel="next"`;
        }
        return send(200, slice.map(present), headers);
      }
      if (r.method === 'POST' && rest.length === 3) {
        if (typeof body.body !== 'string' || body.body === '') return send(400, { message: { body: ["can't be blank"] } });
        const n: FakeGitlabNote = { id: ++ids, project_id: p.id, noteable_iid: iid, body: body.body, author: { id: user.id, username: user.username }, system: false, created_at: now(), updated_at: now() };
        state.notes.push(n);
        return send(201, present(n));
      }
      if (r.method === 'PUT' && rest.length === 4) {
        const n = state.notes.find((x) => x.id === Number(rest[3]) && x.project_id === p.id && x.noteable_iid === iid);
        if (!n) return send(404, { message: '404 Note Not Found' });
        if (n.author.id !== user.id && level < 40) return send(403, { message: '403 Forbidden' });
        if (typeof body.body !== 'string' || body.body === '') return send(400, { message: { body: ["can't be blank"] } });
        n.body = body.body;
        n.updated_at = now();
        return send(200, present(n));
      }
    }
    // POST /statuses/:sha
    if (r.method === 'POST' && rest[0] === 'statuses' && rest[1]) {
      if (!canWrite) return send(403, { message: '403 Forbidden' });
      const sha = rest[1];
      const st = String(body.state ?? '');
      if (!STATES.includes(st)) return send(400, { error: 'state does not have a valid value' });
      const name = String(body.name ?? body.context ?? 'default');
      const existing = state.statuses.filter((s) => s.project_id === p.id && s.sha === sha && s.name === name).pop();
      if (existing && existing.status === st && (st === 'pending' || st === 'running')) {
        return send(400, { message: `Cannot transition status via :${EVENT_FOR[st]} from :${st} (Reason(s): Status cannot transition via "${EVENT_FOR[st]}")` });
      }
      const s: FakeGitlabStatus = {
        id: existing && !['success', 'failed', 'canceled'].includes(existing.status) ? existing.id : ++ids,
        project_id: p.id,
        sha,
        ref: typeof body.ref === 'string' ? body.ref : null,
        name,
        status: st,
        target_url: typeof body.target_url === 'string' ? body.target_url : null,
        description: typeof body.description === 'string' ? body.description : null,
        pipeline_id: typeof body.pipeline_id === 'number' ? body.pipeline_id : null,
        created_at: now(),
      };
      if (s.target_url && s.target_url.length > 255) return send(400, { message: { target_url: ['is too long (maximum is 255 characters)'] } });
      state.statuses.push(s);
      return send(201, { ...s, author: { id: user.id, username: user.username }, allow_failure: false, started_at: null, finished_at: null, coverage: null });
    }
    // GET /repository/commits/:sha/statuses | /merge_requests
    if (r.method === 'GET' && rest[0] === 'repository' && rest[1] === 'commits' && rest[2]) {
      const sha = rest[2];
      if (rest[3] === 'statuses') return send(200, state.statuses.filter((s) => s.project_id === p.id && s.sha === sha));
      if (rest[3] === 'merge_requests') {
        return send(200, state.mergeRequests.filter((m) => m.project_id === p.id && m.sha === sha).map((m) => ({ id: 90 + m.iid, iid: m.iid, project_id: p.id, state: m.state, source_branch: m.source_branch, target_branch: m.target_branch, sha: m.sha, web_url: `${pWeb}/-/merge_requests/${m.iid}` })));
      }
    }
    // POST /pipeline
    if (r.method === 'POST' && rest[0] === 'pipeline' && rest.length === 1) {
      if (!canWrite) return send(403, { message: '403 Forbidden' });
      if (typeof body.ref !== 'string' || !body.ref) return send(400, { message: { base: ['Reference not found'] } });
      const variables = Array.isArray(body.variables) ? (body.variables as { key: string; value: string; variable_type?: string }[]) : [];
      if (variables.some((v) => typeof v.key !== 'string' || typeof v.value !== 'string')) return send(400, { error: 'variables is invalid' });
      const id = ++ids;
      const pipeline: FakeGitlabPipeline = {
        id,
        iid: state.pipelines.filter((x) => x.project_id === p.id).length + 1,
        project_id: p.id,
        ref: body.ref,
        sha: SEED.mergeRequest.sha,
        status: 'created',
        source: 'api',
        web_url: `${pWeb}/-/pipelines/${id}`,
        variables: variables.map((v) => ({ key: v.key, value: v.value, variable_type: v.variable_type ?? 'env_var' })),
      };
      state.pipelines.push(pipeline);
      const { variables: _v, ...shown } = pipeline;
      return send(201, { ...shown, before_sha: '0000000000000000000000000000000000000000', tag: false, user: { id: user.id, username: user.username }, created_at: now(), updated_at: now(), detailed_status: { text: 'created', group: 'created' } });
    }
    return send(404, { message: '404 Not Found' });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  project.web_url = `${url}/${project.path_with_namespace}`;
  return {
    url,
    token,
    requests,
    state,
    rateLimit(count, retryAfterSeconds) {
      rateLimited = { count, retryAfter: retryAfterSeconds };
    },
    fail500(count) {
      failing = count;
    },
    addToken,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
