// One database interface over a PostgreSQL server (pg) and embedded PGlite: same SQL, same results.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * A hot query: PostgreSQL keeps it parsed and planned per connection (a named prepared statement),
   * instead of planning it on every call. Only for statements whose text takes a bounded number of
   * shapes, with values as parameters; PGlite plans as before.
   */
  prepare?: boolean;
  /**
   * Without parallel workers (SET LOCAL max_parallel_workers_per_gather = 0, in a transaction of its own
   * or the caller's, which then stays serial): for a query whose parallel plan costs more processes
   * and more time than one. PGlite never plans in parallel.
   */
  serial?: boolean;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<T>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** A channel being listened to (see listen). */
export interface Listener {
  /** True while notifications are being received; false from a lost connection until it is back. */
  readonly live: boolean;
  close(): Promise<void>;
}

export interface ListenHandlers {
  /** A notification on the channel, with its payload. */
  notify(payload: string): void;
  /** Listening (re)started: notifications sent while it was not may have been missed. */
  reset(): void;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /**
   * Listens to a NOTIFY channel. On PostgreSQL this is a connection of its own, outside the pool,
   * reconnected (with backoff) when it breaks: `live` is false meanwhile, and `reset` is called once it
   * listens again. PGlite is one process: notifications come from this process's own statements.
   */
  listen(channel: string, handlers: ListenHandlers): Promise<Listener>;
  /** Runs fn in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres://… ; when absent, PGlite in dataDir. */
  url?: string | undefined;
  dataDir?: string | undefined;
  /** PGlite only: keep everything in memory (tests). */
  memory?: boolean;
  poolSize?: number;
  /** PostgreSQL only: put every table in this schema (tests isolate themselves this way). */
  schema?: string | undefined;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10, options.schema);
  return openPglite(options.memory ? undefined : (options.dataDir ?? './data'));
}

/** Prepared statements per connection, at most: past this, a statement is planned per call as any other. */
const MAX_PREPARED = 200;
const statementNames = new Map<string, string>();

/** The name a prepared statement's text is kept under (the same on every connection), while there is room. */
function statementName(sql: string): string | undefined {
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < MAX_PREPARED) {
    name = `scanhub_${createHash('sha1').update(sql).digest('hex')}`;
    statementNames.set(sql, name);
  }
  return name;
}

/** invalid_sql_statement_name, duplicate_prepared_statement: a pooler lost track of the session's statements. */
const PREPARED_STATEMENT_REFUSED = new Set(['26000', '42P05']);

/** A pg connection that LISTENs to one channel, reconnecting (1 s, doubling to 30 s) while not closed. */
async function listenPostgres(config: pg.ClientConfig, channel: string, handlers: ListenHandlers): Promise<Listener> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error('invalid channel name');
  let client: pg.Client | undefined;
  let live = false;
  let closed = false;
  let retryMs = 1000;
  let timer: NodeJS.Timeout | undefined;
  const lost = (broken: pg.Client) => {
    if (client !== broken) return;
    live = false;
    client = undefined;
    broken.removeAllListeners('notification');
    broken.end().catch(() => undefined);
    if (!closed) timer = setTimeout(() => void connect(), retryMs);
    retryMs = Math.min(retryMs * 2, 30_000);
  };
  const connect = async (): Promise<void> => {
    const c = new pg.Client(config);
    client = c;
    c.on('error', () => lost(c));
    c.on('end', () => lost(c));
    c.on('notification', (n) => {
      if (n.channel === channel) handlers.notify(n.payload ?? '');
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch {
      lost(c);
      return;
    }
    if (closed || client !== c) return;
    retryMs = 1000;
    live = true;
    handlers.reset();
  };
  await connect();
  return {
    get live() {
      return live;
    },
    async close() {
      closed = true;
      live = false;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}

function openPostgres(url: string, max: number, schema?: string): Database {
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error('invalid schema name');
  const config: pg.ClientConfig = { connectionString: url, ...(schema ? { options: `-c search_path=${schema}` } : {}) };
  const pool = new pg.Pool({ ...config, max });
  const listeners = new Set<Listener>();
  // An idle client that errors (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const run = async <T>(client: pg.Pool | pg.PoolClient, sql: string, params?: readonly unknown[], name?: string) => {
    const res = await client.query(name ? { name, text: sql, values: params as unknown[] | undefined } : { text: sql, values: params as unknown[] | undefined });
    return { rows: res.rows as T[], rowCount: res.rowCount ?? 0 };
  };
  /**
   * A pool query, prepared when asked (and possible). A pooler that moves a session's statements between
   * server connections (PgBouncer before 1.21 in transaction mode) answers "prepared statement does not
   * exist" or "already exists": the query is then sent again unprepared, and nothing is prepared again.
   */
  let preparing = true;
  const query = async <T>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<T>> => {
    if (options?.serial) return database.transaction((tx) => tx.query<T>(sql, params, { serial: true }));
    const name = options?.prepare && preparing ? statementName(sql) : undefined;
    if (!name) return run<T>(pool, sql, params);
    try {
      return await run<T>(pool, sql, params, name);
    } catch (error) {
      if (!PREPARED_STATEMENT_REFUSED.has((error as { code?: string }).code ?? '')) throw error;
      preparing = false;
      return run<T>(pool, sql, params);
    }
  };
  const database: Database = {
    kind: 'postgres',
    query,
    exec: async (sql) => {
      await pool.query(sql);
    },
    async transaction(fn) {
      const client = await pool.connect();
      // A connection that breaks mid-transaction (server restart) emits 'error' on the checked-out
      // client — unhandled, that would crash the process — and is destroyed, not returned to the pool.
      let broken: Error | undefined;
      const onError = (error: Error) => {
        broken = error;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn({
          // Never prepared inside a transaction: a refusal there would abort it (see query).
          query: async (sql, params, options) => {
            if (options?.serial) await client.query('SET LOCAL max_parallel_workers_per_gather = 0');
            return run(client, sql, params);
          },
          exec: async (sql) => {
            await client.query(sql);
          },
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    async listen(channel, handlers) {
      const listener = await listenPostgres(config, channel, handlers);
      listeners.add(listener);
      return listener;
    },
    async close() {
      await Promise.all([...listeners].map((l) => l.close()));
      await pool.end();
    },
  };
  return database;
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  const [{ PGlite }, { pg_trgm }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite/contrib/pg_trgm')]);
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // pg_trgm: the findings text search index (migration 0013); PostgreSQL servers ship it in contrib.
  const extensions = { pg_trgm };
  const db: PGlite = await PGlite.create(dataDir ? { dataDir, extensions } : { extensions });
  let closed = false;
  const wrap = <T>(res: { rows: unknown[]; affectedRows?: number }): QueryResult<T> => ({
    rows: res.rows as T[],
    rowCount: res.affectedRows ?? res.rows.length,
  });
  return {
    kind: 'pglite',
    query: async (sql, params) => wrap(await db.query(sql, params as unknown[] | undefined)),
    exec: async (sql) => {
      await db.exec(sql);
    },
    transaction: (fn) =>
      db.transaction(async (tx) =>
        fn({
          query: async (sql, params) => wrap(await tx.query(sql, params as unknown[] | undefined)),
          exec: async (sql) => {
            await tx.exec(sql);
          },
        }),
      ),
    async listen(channel, handlers) {
      const unlisten = await db.listen(channel, (payload) => handlers.notify(payload));
      let live = true;
      handlers.reset();
      return {
        get live() {
          return live && !closed;
        },
        async close() {
          if (!live) return;
          live = false;
          if (!closed) await unlisten();
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}
