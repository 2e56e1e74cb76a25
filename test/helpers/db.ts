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
  const tables = ['projects', 'api_tokens', 'submissions', 'findings', 'occurrences', 'refs', 'ref_findings', 'alias_groups', 'vulnerability_aliases', 'finding_aliases', 'audit_log'];
  const out: Record<string, number> = {};
  for (const t of tables) {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`);
    out[t] = rows[0]!.n;
  }
  return out;
}
