// Forward-only migrations: migrations/NNNN_name.sql applied in order, one transaction each, with a
// checksum recorded so that editing an applied migration is refused instead of silently diverging.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from './db.js';
import { migrationsDir } from '../paths.js';

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export function loadMigrations(dir = migrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        version: file.slice(0, 4),
        name: file.replace(/\.sql$/, ''),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
}

const LOCK_ID = 0x5ca4b0b; // one advisory lock for "migrating ScanHub"

/** Applies pending migrations; returns the names applied. Safe to run from several instances at once. */
export async function migrate(db: Database, migrations = loadMigrations()): Promise<string[]> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const applied: string[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
      const { rows } = await tx.query<{ checksum: string }>('SELECT checksum FROM schema_migrations WHERE version = $1', [m.version]);
      const existing = rows[0];
      if (existing) {
        if (existing.checksum !== m.checksum) {
          throw new MigrationError(
            `Migration ${m.name} was changed after it was applied (checksum ${existing.checksum.slice(0, 12)} in the database, ` +
              `${m.checksum.slice(0, 12)} on disk). Applied migrations are immutable: restore the file and add a new migration instead.`,
          );
        }
        return false;
      }
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
      return true;
    });
    if (done) applied.push(m.name);
  }
  return applied;
}

/** True when every migration on disk is applied with the same checksum (readiness). */
export async function migrationsCurrent(db: Database, migrations = loadMigrations()): Promise<boolean> {
  try {
    const { rows } = await db.query<{ version: string; checksum: string }>('SELECT version, checksum FROM schema_migrations');
    const byVersion = new Map(rows.map((r) => [r.version, r.checksum]));
    return migrations.every((m) => byVersion.get(m.version) === m.checksum);
  } catch {
    return false;
  }
}
