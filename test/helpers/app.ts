// Starts the real HTTP app on 127.0.0.1 with a random port over a fresh test database.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { connections, notifiers, scanners } from '../../integrations/index.js';
import { createOutbound } from '../../src/security/outbound.js';
import { parseSecretKey, SecretBox } from '../../src/security/secrets.js';
import { loadConfig } from '../../src/config/load.js';
import { createApp } from '../../src/http/app.js';
import type { AppDeps } from '../../src/http/deps.js';
import { createLogger } from '../../src/logger.js';
import { createToken, type Role } from '../../src/security/tokens.js';
import { WindowLimiter } from '../../src/security/rate-limit.js';
import type { Database } from '../../src/store/db.js';
import { Lookups } from '../../src/store/lookup-cache.js';
import { openTestDatabase, type Backend } from './db.js';

/** A fixed key for tests (never used outside them). */
export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

export interface TestApp {
  url: string;
  /** The express app itself (for route introspection). */
  express: ReturnType<typeof createApp>;
  db: Database;
  adminToken: string;
  deps: AppDeps;
  token(role: Role, projectId?: string): Promise<string>;
  api(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestApp(backend: Backend, overrides: Partial<AppDeps> & { env?: NodeJS.ProcessEnv; withLookups?: boolean } = {}): Promise<TestApp> {
  const db = await openTestDatabase(backend);
  // The token and project caches, as `scanhub serve` runs them (off by default: tests change tokens in SQL and expect it at once).
  const lookups = overrides.withLookups ? await new Lookups().start(db) : undefined;
  // The per-token API limit has its own test; elsewhere it would only make busy tests flaky.
  // Vulnerability-data sources point at a closed port: no test may download the public feeds.
  const config = loadConfig({
    SCANHUB_API_RATE_LIMIT: '0',
    SCANHUB_KEV_URL: 'http://127.0.0.1:9/kev.json',
    SCANHUB_EPSS_URL: 'http://127.0.0.1:9/epss.csv.gz',
    SCANHUB_OSV_URL: 'http://127.0.0.1:9/osv.json',
    ...overrides.env,
  });
  // Tests send many bad tokens on purpose (the RBAC matrix); the limiter has its own test.
  const deps: AppDeps = {
    db,
    scanners,
    connections,
    notifiers,
    // Tests talk to fakes on loopback, which the operator would have to allow.
    outbound: createOutbound({ outboundAllow: '127.0.0.0/8' }),
    secrets: new SecretBox(parseSecretKey(TEST_SECRET_KEY)),
    config, log: createLogger('silent'), authLimiter: new WindowLimiter(100_000, 60_000), lookups, ...overrides };
  const app = createApp(deps);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { token: adminToken } = await createToken(db, { name: 'test-admin', role: 'admin' });
  return {
    url,
    express: app,
    db,
    adminToken,
    deps,
    token: async (role, projectId) => (await createToken(db, { name: `test-${role}`, role, projectId: projectId ?? null })).token,
    api: (path, init = {}) => {
      const { token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== '') headers.set('Authorization', `Bearer ${token ?? adminToken}`);
      return fetch(url + path, { ...rest, headers });
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await lookups?.close();
      await db.close();
    },
  };
}

/** A multipart submission body: fields plus report files. */
export function submissionForm(fields: Record<string, string>, files: { name: string; content: string | Buffer }[]): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  for (const f of files) form.append('report', new Blob([typeof f.content === 'string' ? f.content : new Uint8Array(f.content)]), f.name);
  return form;
}
