// The token and project caches (src/store/lookup-cache.ts) spare the database two of the three round
// trips of an API read, and must never let a revoked token or a changed project through: this
// instance's own changes are seen by its next request, another instance's (any SQL) as soon as the
// database announces them, and while the announcements cannot be heard nothing is cached.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createToken } from '../../src/security/tokens.js';
import type { Database } from '../../src/store/db.js';
import { LookupCache, Lookups } from '../../src/store/lookup-cache.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { describeEachBackend, postgresUrl } from '../helpers/db.js';

const json = { 'content-type': 'application/json' };

/** A database stand-in whose listener is connected but hears only ScanHub's own probe (or nothing at all). */
function listeningDb({ hearsProbe }: { hearsProbe: boolean }): Database {
  let handlers: { notify(payload: string): void; reset(): void } | undefined;
  return {
    listen: async (_channel: string, h: typeof handlers) => {
      handlers = h;
      h!.reset();
      return { live: true, close: async () => undefined };
    },
    query: async (_sql: string, params: unknown[]) => {
      if (hearsProbe) queueMicrotask(() => handlers!.notify(String(params[1])));
      return { rows: [], rowCount: 1 };
    },
  } as unknown as Database;
}

/** Polls until `check` holds (announcements arrive on their own connection, a few ms after COMMIT). */
async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeEachBackend('token and project caches', (backend) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(backend, { withLookups: true });
  });
  afterAll(async () => {
    await app.close();
  });

  /** Changes a row with triggers off: nothing is announced, so a cached copy would still be served. */
  const silently = (sql: string, params: unknown[]) =>
    app.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL session_replication_role = replica`);
      await tx.query(sql, params);
    });
  const status = async (token: string, path = '/api/v1/tokens') => (await app.api(path, { token })).status;

  it('reads a token once, and stops accepting it the moment this instance revokes it, announced or not', async () => {
    // Deaf caches: they hear their own probe, but no announcement of a change ever reaches them. Only
    // the instance's own hold on its writes (Lookups.hold) can make the revocation visible to the next request.
    const deaf = await new Lookups().start(listeningDb({ hearsProbe: true }));
    expect(deaf.live).toBe(true);
    const local = await startTestApp(backend, { lookups: deaf });
    try {
      for (let i = 0; i < 3; i++) {
        const created = await local.api('/api/v1/tokens', { method: 'POST', headers: json, body: JSON.stringify({ name: `rev-${i}`, role: 'admin' }) });
        const { id, token } = (await created.json()) as { id: string; token: string };
        expect((await local.api('/api/v1/tokens', { token })).status).toBe(200);
        // Cached now: a silent downgrade is not seen…
        await local.db.transaction(async (tx) => {
          await tx.query(`SET LOCAL session_replication_role = replica`);
          await tx.query(`UPDATE api_tokens SET role = 'viewer' WHERE id = $1`, [id]);
        });
        expect((await local.api('/api/v1/tokens', { token })).status).toBe(200);
        // …but this instance's own revocation is, on the very next request.
        expect((await local.api(`/api/v1/tokens/${id}`, { method: 'DELETE' })).status).toBe(204);
        expect((await local.api('/api/v1/tokens', { token })).status).toBe(401);
      }
    } finally {
      await local.close();
    }
  });

  it("sees another instance's change as soon as the database announces it", async () => {
    const { id, token } = await createToken(app.db, { name: 'elsewhere', role: 'admin' });
    expect(await status(token)).toBe(200);
    await eventually(async () => app.deps.lookups!.live);
    await app.db.query(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, [id]);
    await eventually(async () => (await status(token)) === 401);
    // A role change is announced too; "last used" is not (it would empty the cache once a minute per token).
    const other = await createToken(app.db, { name: 'demoted', role: 'admin' });
    expect(await status(other.token)).toBe(200);
    await app.db.query(`UPDATE api_tokens SET role = 'viewer' WHERE id = $1`, [other.id]);
    await eventually(async () => (await status(other.token)) === 403);
  });

  it('still checks expiry on a cached token, with nothing announced', async () => {
    const { id, token } = await createToken(app.db, { name: 'short', role: 'admin', expiresAt: new Date(Date.now() + 1500) });
    expect(await status(token)).toBe(200);
    // The database would now accept it for an hour; the cached copy expires as it was read.
    await silently(`UPDATE api_tokens SET expires_at = now() + interval '1 hour' WHERE id = $1`, [id]);
    expect(await status(token)).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    expect(await status(token)).toBe(401);
  });

  it('serves findings of a project looked up by name, and forgets a deleted project', async () => {
    const created = await app.api('/api/v1/projects', { method: 'POST', headers: json, body: JSON.stringify({ name: 'cache/app' }) });
    expect(created.status).toBe(201);
    expect((await app.api('/api/v1/projects/cache%2Fapp/findings')).status).toBe(200);
    await app.db.query(`DELETE FROM projects WHERE name = 'cache/app'`);
    await eventually(async () => (await app.api('/api/v1/projects/cache%2Fapp/findings')).status === 404);
  });
});

describe.runIf(postgresUrl)('token cache while the announcements cannot be heard (PostgreSQL)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('postgres', { withLookups: true });
  });
  afterAll(async () => {
    await app.close();
  });

  it('reads every token from the database until it listens again, then caches afresh', async () => {
    const { id, token } = await createToken(app.db, { name: 'unheard', role: 'admin' });
    expect((await app.api('/api/v1/tokens', { token })).status).toBe(200);
    const lookups = app.deps.lookups!;
    // Cut the listening connection (as a failover or a network blip would).
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    try {
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN scanhub_changes' AND pid <> pg_backend_pid()`);
      await eventually(async () => !lookups.live);
      // Triggers off: no announcement. Unheard anyway — so the database is read, and the revocation holds.
      await app.db.transaction(async (tx) => {
        await tx.query(`SET LOCAL session_replication_role = replica`);
        await tx.query(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, [id]);
      });
      expect((await app.api('/api/v1/tokens', { token })).status).toBe(401);
      await eventually(async () => lookups.live, 10_000);
      expect((await app.api('/api/v1/tokens', { token })).status).toBe(401);
    } finally {
      await admin.end();
    }
  });
});

describe('Lookups behind a connection that cannot hear', () => {
  it('caches nothing until the listener hears its own probe (a transaction-pooling proxy never does)', async () => {
    const lookups = await new Lookups().start(listeningDb({ hearsProbe: false }));
    expect(lookups.live).toBe(false);
    let reads = 0;
    for (let i = 0; i < 3; i++) await lookups.tokens.get('h', async () => ({ tokenId: 't', name: 'n', role: 'admin', projectId: null, expiresAt: null, read: ++reads }));
    expect(reads).toBe(3);
    await lookups.close();
  });
});

describe('LookupCache', () => {
  it('does not keep a value read while its table changed, nor anything while not live', async () => {
    let live = true;
    const cache = new LookupCache<string>(() => live, 60_000, 2);
    let reads = 0;
    const load = async () => `v${++reads}`;
    expect(await cache.get('a', load)).toBe('v1');
    expect(await cache.get('a', load)).toBe('v1');
    // A change announced during the read: the value read may predate it.
    const racing = cache.get('b', async () => {
      cache.clear();
      return 'stale';
    });
    expect(await racing).toBe('stale');
    expect(await cache.get('b', load)).toBe('v2');
    live = false;
    expect(await cache.get('b', load)).toBe('v3');
    live = true;
    expect(await cache.get('b', load)).toBe('v2');
    // Read again after its time to live; bounded in size (oldest first).
    expect(await cache.get('b', load, Date.now() + 61_000)).toBe('v4');
    await cache.get('c', load);
    await cache.get('d', load);
    expect(await cache.get('b', load)).toBe('v7');
    // Nothing found is not cached.
    let misses = 0;
    await cache.get('none', async () => (misses++, undefined));
    await cache.get('none', async () => (misses++, undefined));
    expect(misses).toBe(2);
  });
});
