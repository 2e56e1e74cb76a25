// Storage tests run on PGlite always and on PostgreSQL when TEST_DATABASE_URL is set (CI sets it;
// under CI=true its absence is a failure, not a skip). Each opened database is fresh: PGlite in
// memory, PostgreSQL in a schema of its own that is dropped on close.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';
import { openDatabase, type Database } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';

export const postgresUrl = process.env.TEST_DATABASE_URL;

if (!postgresUrl && process.env.CI === 'true') {
  throw new Error('CI=true but TEST_DATABASE_URL is not set: the PostgreSQL storage tests must run in CI.');
}

export type Backend = 'pglite' | 'postgres';
export const backends: Backend[] = postgresUrl ? ['pglite', 'postgres'] : ['pglite'];

export async function openTestDatabase(backend: Backend, options: { migrate?: boolean } = {}): Promise<Database> {
  let db: Database;
  if (backend === 'pglite') {
    db = await openDatabase({ memory: true });
  } else {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const inner = await openDatabase({ url: postgresUrl, schema, poolSize: 5 });
    db = {
      ...inner,
      kind: inner.kind,
      async close() {
        await inner.close();
        const cleanup = new pg.Client({ connectionString: postgresUrl });
        await cleanup.connect();
        await cleanup.query(`DROP SCHEMA ${schema} CASCADE`);
        await cleanup.end();
      },
    };
  }
  if (options.migrate !== false) await migrate(db);
  return db;
}

/** describe() once per available backend, titled with it. */
export function describeEachBackend(name: string, fn: (backend: Backend) => void): void {
  for (const backend of backends) describe(`${name} [${backend}]`, () => fn(backend));
}

/** Row counts of every table, to check that a refused request left the database unchanged. */
export async function tableCounts(db: Database): Promise<Record<string, number>> {
  const { rows: tables } = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const out: Record<string, number> = {};
  for (const { table_name } of tables) {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table_name}"`);
    out[table_name] = rows[0]!.n;
  }
  return out;
}

/** Every row of every table in the database's schema, as text: what a stolen dump would show. */
export async function dumpDatabase(db: Database): Promise<string> {
  const { rows: tables } = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const { rows } = await db.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${table_name}" t`);
    parts.push(`-- ${table_name}`, ...rows.map((r) => r.row));
  }
  return parts.join('\n');
}
