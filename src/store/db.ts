// One database interface over a PostgreSQL server (pg) and embedded PGlite: same SQL, same results.
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
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

function openPostgres(url: string, max: number, schema?: string): Database {
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error('invalid schema name');
  const pool = new pg.Pool({ connectionString: url, max, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  // An idle client that errors (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const run = async <T>(client: pg.Pool | pg.PoolClient, sql: string, params?: readonly unknown[]) => {
    const res = await client.query(sql, params as unknown[] | undefined);
    return { rows: res.rows as T[], rowCount: res.rowCount ?? 0 };
  };
  return {
    kind: 'postgres',
    query: (sql, params) => run(pool, sql, params),
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
          query: (sql, params) => run(client, sql, params),
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
    close: () => pool.end(),
  };
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
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}
