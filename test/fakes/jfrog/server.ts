// A fake JFrog Platform (Xray REST) on 127.0.0.1 for tests, answering with the corpus bodies the
// contract cites (shared/notes/xray-contract.md §1.1–1.3, 1.5, 1.10). It records every request with
// its arrival time so tests can MEASURE the request rate a client achieved, and misbehaves on
// demand (429 storms, 500s, slowness, malformed JSON, 401, 403).
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CORPUS, xrayCorpusJson } from './corpus.js';

export type FakeScanStatus = 'NOT_SUPPORTED' | 'NOT_SCANNED' | 'PENDING' | 'SCANNING' | 'DONE' | 'PARTIAL' | 'FAILED';

export interface FakeJfrogBehaviour {
  /** The next `count` requests (any endpoint) get 429 with `Retry-After: retryAfterSeconds`. */
  storm429?: { count: number; retryAfterSeconds: number };
  /** The next n requests get 500 `{"error":"internal server error"}`. */
  fail500?: number;
  /** Every response is delayed this long. */
  slowMs?: number;
  /** Successful responses carry a truncated JSON body. */
  malformedJson?: boolean;
  /** Every request gets 401, whatever token it carries. */
  unauthorized?: boolean;
  /** Xray endpoints other than ping answer 403 (token valid, no Xray permission). */
  forbiddenXray?: boolean;
}

export interface FakeJfrogOptions {
  /** The accepted Bearer token (default: random). */
  token?: string;
  /** Status polls an artifact spends in PENDING, then in SCANNING, before its final status (default 1 and 1). */
  scanSteps?: { pending?: number; scanning?: number };
  /** Where the state machine ends (default DONE). */
  finalStatus?: FakeScanStatus;
  /** How POST /xray/api/v2/summary/artifact answers: 'ok' (default), or 404/405 to exercise a v1 fallback. */
  summaryV2?: 'ok' | 404 | 405;
  behaviour?: FakeJfrogBehaviour;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: string;
  /** Arrival time, epoch ms with sub-ms precision. */
  time: number;
  /** Status answered (0 until the response is sent). */
  status: number;
  /** Parsed JSON body, when there was one. */
  body?: unknown;
}

export interface FakeArtifact {
  repo: string;
  path: string;
  polls: number;
}

export interface FakeJfrogState {
  /** Status-poll progress per `repo/path`. */
  artifacts: Map<string, FakeArtifact>;
  /** componentIDs received by scanArtifact, in order. */
  scanRequests: string[];
  summaryV2: 'ok' | 404 | 405;
  scanSteps: { pending: number; scanning: number };
  finalStatus: FakeScanStatus;
  /** The violations the fake serves (the corpus list; details URLs point back at the fake). */
  violations: Record<string, unknown>[];
  dbSync: { state: 'idle' | 'running'; progressPolls: number; lastUpdated: string; syncMode: 'online' | 'offline' };
  /** What is left of the current misbehaviour. */
  remaining: { storm429: number; fail500: number };
}

export interface FakeJfrog {
  url: string;
  token: string;
  requests: RecordedRequest[];
  state: FakeJfrogState;
  /** Replaces the current misbehaviour (counters restart); `{}` clears it. */
  setBehaviour(b: FakeJfrogBehaviour): void;
  /** The most requests that arrived within any window [t, t + windowMs) — measured, not configured. */
  maxRequestsInAnyWindow(windowMs: number): number;
  close(): Promise<void>;
}

const PING = '/xray/api/v1/system/ping';
const UNSUPPORTED_PATH = 'path/to/unsupported-artifact'; // jfrog-client-go mock convention
const STUCK_PATH = 'path/to/pending-artifact'; // jfrog-client-go mock: always PENDING

/** Pure: the most times within any half-open window [t, t + windowMs). */
export function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (j < i) j = i;
    while (j < sorted.length && sorted[j]! - sorted[i]! < windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

export async function startFakeJfrog(options: FakeJfrogOptions = {}): Promise<FakeJfrog> {
  const token = options.token ?? randomBytes(18).toString('base64url');
  let behaviour: FakeJfrogBehaviour = {};
  const requests: RecordedRequest[] = [];
  const state: FakeJfrogState = {
    artifacts: new Map(),
    scanRequests: [],
    summaryV2: options.summaryV2 ?? 'ok',
    scanSteps: { pending: options.scanSteps?.pending ?? 1, scanning: options.scanSteps?.scanning ?? 1 },
    finalStatus: options.finalStatus ?? 'DONE',
    violations: [],
    dbSync: { state: 'idle', progressPolls: 0, lastUpdated: '2024-10-01T21:25:49.935220997Z', syncMode: 'online' },
    remaining: { storm429: 0, fail500: 0 },
  };
  const setBehaviour = (b: FakeJfrogBehaviour): void => {
    behaviour = { ...b };
    state.remaining = { storm429: b.storm429?.count ?? 0, fail500: b.fail500 ?? 0 };
  };
  setBehaviour(options.behaviour ?? {});

  let url = '';
  const server = createServer((req, res) => {
    const time = performance.timeOrigin + performance.now();
    const parsed = new URL(req.url ?? '/', 'http://fake');
    const record: RecordedRequest = { method: req.method ?? 'GET', path: parsed.pathname, query: parsed.search, time, status: 0 };
    requests.push(record);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      let bodyError = false;
      if (raw.trim() !== '') {
        try {
          body = JSON.parse(raw);
          record.body = body;
        } catch {
          bodyError = true;
        }
      }
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
        const respond = () => {
          record.status = status;
          let text = typeof payload === 'string' ? payload : JSON.stringify(payload);
          if (behaviour.malformedJson && status >= 200 && status < 300) text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
          res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
          res.end(text);
        };
        if (behaviour.slowMs) setTimeout(respond, behaviour.slowMs);
        else respond();
      };
      handle(req, parsed, body, bodyError, send);
    });
  });

  function handle(req: IncomingMessage, parsed: URL, body: unknown, bodyError: boolean, send: (status: number, payload: unknown, headers?: Record<string, string>) => void): void {
    const path = parsed.pathname;
    const method = req.method ?? 'GET';
    if (state.remaining.storm429 > 0) {
      state.remaining.storm429--;
      send(429, { error: 'Too many requests' }, { 'Retry-After': String(behaviour.storm429?.retryAfterSeconds ?? 1) });
      return;
    }
    if (state.remaining.fail500 > 0) {
      state.remaining.fail500--;
      send(500, { error: 'internal server error' });
      return;
    }
    const auth = req.headers.authorization;
    if (behaviour.unauthorized || auth !== `Bearer ${token}`) {
      send(401, { error: 'Unauthorized' }, { 'WWW-Authenticate': 'Bearer realm="xray"' });
      return;
    }
    if (behaviour.forbiddenXray && path !== PING && path.startsWith('/xray/')) {
      send(403, { error: 'Forbidden: the user has no Xray permission for this action' });
      return;
    }
    if (bodyError) {
      send(400, { error: 'Invalid JSON body' });
      return;
    }
    const route = `${method} ${path}`;
    switch (route) {
      case `GET ${PING}`:
        return send(200, { status: 'pong' });
      case 'GET /xray/api/v1/system/version':
        return send(200, { xray_version: '3.104.8', xray_revision: 'fake-jfrog' });
      case 'POST /xray/api/v1/scanArtifact':
        return scanArtifact(body, send);
      case 'POST /xray/api/v1/artifact/status':
        return artifactStatus(body, send);
      case 'POST /xray/api/v2/summary/artifact':
        if (state.summaryV2 !== 'ok') return send(state.summaryV2, { error: state.summaryV2 === 404 ? 'Not Found' : 'Method Not Allowed' });
        return summary(body, CORPUS.summaryV2, send);
      case 'POST /xray/api/v1/summary/artifact':
        return summary(body, CORPUS.summaryV1, send);
      case 'POST /xray/api/v1/violations':
        return violations(body, send);
      case 'GET /xray/api/v1/violations':
        // violation_details_url: the fake has one details body (contract §1.5)
        if (!parsed.searchParams.get('issue_id')) return send(400, { error: 'issue_id is mandatory' });
        return send(200, xrayCorpusJson(CORPUS.violationDetails));
      case 'GET /xray/api/v1/updates/getStatus':
        return dbSyncStatus(send);
      case 'POST /xray/api/v1/updates/startOfflineSync':
        state.dbSync.state = 'running';
        state.dbSync.progressPolls = 0;
        state.dbSync.syncMode = 'offline';
        return send(200, { info: 'Local updates started' });
      default:
        return send(404, { error: 'Not Found' });
    }
  }

  function scanArtifact(body: unknown, send: (s: number, p: unknown) => void): void {
    const id = (body as { componentID?: unknown } | undefined)?.componentID;
    if (typeof id !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/.+/i.test(id)) return send(415, { error: 'Failed to parse artifact' });
    state.scanRequests.push(id);
    // A (re)scan of docker://image:tag restarts the state machine of that tag's manifests.
    const docker = /^docker:\/\/(.+):([^:/]+)$/.exec(id);
    if (docker) {
      for (const a of state.artifacts.values()) if (a.path.startsWith(`${docker[1]}/${docker[2]}/`)) a.polls = 0;
    }
    send(200, { info: 'Scan of artifact is in progress' });
  }

  function statusBody(status: FakeScanStatus): unknown {
    if (status === 'DONE') return xrayCorpusJson(CORPUS.statusDone);
    if (status === 'NOT_SUPPORTED') return xrayCorpusJson(CORPUS.statusNotSupported);
    const body = xrayCorpusJson<{ overall: { status: string; time: string }; details: { sca: { status: string } } }>(CORPUS.statusPending);
    body.overall.status = status;
    if (status !== 'PENDING') body.details.sca.status = status === 'PARTIAL' ? 'DONE' : status;
    return body;
  }

  function artifactStatus(body: unknown, send: (s: number, p: unknown) => void): void {
    const b = body as { repo?: unknown; path?: unknown } | undefined;
    if (typeof b?.repo !== 'string' || typeof b.path !== 'string' || !b.repo || !b.path) return send(400, { error: 'mandatory fields are missing: repo, path' });
    if (b.path === UNSUPPORTED_PATH) return send(200, statusBody('NOT_SUPPORTED'));
    if (b.path === STUCK_PATH) return send(200, statusBody('PENDING'));
    const key = `${b.repo}/${b.path}`;
    let artifact = state.artifacts.get(key);
    if (!artifact) {
      artifact = { repo: b.repo, path: b.path, polls: 0 };
      state.artifacts.set(key, artifact);
    }
    artifact.polls++;
    const { pending, scanning } = state.scanSteps;
    const status: FakeScanStatus = artifact.polls <= pending ? 'PENDING' : artifact.polls <= pending + scanning ? 'SCANNING' : state.finalStatus;
    send(200, statusBody(status));
  }

  function summary(body: unknown, file: string, send: (s: number, p: unknown) => void): void {
    const b = body as { paths?: unknown; checksums?: unknown } | undefined;
    const paths = Array.isArray(b?.paths) ? b.paths : [];
    const checksums = Array.isArray(b?.checksums) ? b.checksums : [];
    if (paths.length === 0 && checksums.length === 0) return send(400, { error: 'paths or checksums are mandatory' });
    send(200, xrayCorpusJson(file));
  }

  function violations(body: unknown, send: (s: number, p: unknown) => void): void {
    const b = (body ?? {}) as { filters?: { watch_name?: unknown }; pagination?: { limit?: unknown; offset?: unknown } };
    const limit = b.pagination?.limit ?? 25;
    const offset = b.pagination?.offset ?? 1;
    if (typeof limit !== 'number' || typeof offset !== 'number' || !Number.isInteger(limit) || !Number.isInteger(offset) || limit < 1 || offset < 1) {
      return send(400, { error: 'pagination.limit and pagination.offset must be positive integers' });
    }
    const watch = b.filters?.watch_name;
    // Artifact resources are not filtered: the corpus list is not tied to one artifact.
    const matching = typeof watch === 'string' ? state.violations.filter((v) => v.watch_name === watch) : state.violations;
    const page = matching.slice((offset - 1) * limit, offset * limit);
    send(200, { total_violations: matching.length, violations: page });
  }

  function dbSyncStatus(send: (s: number, p: unknown) => void): void {
    const d = state.dbSync;
    if (d.state === 'running') {
      d.progressPolls++;
      if (d.progressPolls >= 2) {
        d.state = 'idle';
        d.lastUpdated = new Date().toISOString();
      }
    }
    const status = d.state === 'running' ? '41% (80/192)' : '100% (192/192)';
    send(200, { last_updated: d.lastUpdated, state: d.state, sync_mode: d.syncMode, status });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;
  const corpus = xrayCorpusJson<{ violations: Record<string, unknown>[] }>(CORPUS.violations);
  state.violations = corpus.violations.map((v) => ({
    ...v,
    ...(typeof v.violation_details_url === 'string' ? { violation_details_url: v.violation_details_url.replace(/^https?:\/\/[^/]+/, url) } : {}),
  }));

  return {
    url,
    token,
    requests,
    state,
    setBehaviour,
    maxRequestsInAnyWindow: (windowMs) => maxInAnyWindow(requests.map((r) => r.time), windowMs),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
