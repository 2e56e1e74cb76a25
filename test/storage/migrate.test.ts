import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { loadMigrations, migrate, migrationsCurrent, MigrationError } from '../../src/store/migrate.js';
import { migrationsDir } from '../../src/paths.js';
import type { Database } from '../../src/store/db.js';
import { describeEachBackend, openTestDatabase } from '../helpers/db.js';

describeEachBackend('migrations', (backend) => {
  let db: Database | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('apply in order once, record checksums, and are idempotent', async () => {
    db = await openTestDatabase(backend, { migrate: false });
    const all = loadMigrations();
    expect(await migrationsCurrent(db)).toBe(false);
    expect(await migrate(db)).toEqual(all.map((m) => m.name));
    expect(await migrate(db)).toEqual([]);
    expect(await migrationsCurrent(db)).toBe(true);
    const { rows } = await db.query<{ version: string; checksum: string }>('SELECT version, checksum FROM schema_migrations ORDER BY version');
    expect(rows).toEqual(all.map((m) => ({ version: m.version, checksum: m.checksum })));
  });

  it('refuse a migration that changed after it was applied', async () => {
    db = await openTestDatabase(backend, { migrate: false });
    const dir = mkdtempSync(join(tmpdir(), 'scanhub-mig-'));
    for (const f of readdirSync(migrationsDir)) writeFileSync(join(dir, f), readFileSync(join(migrationsDir, f)));
    await migrate(db, loadMigrations(dir));
    const first = readdirSync(dir).sort()[0]!;
    writeFileSync(join(dir, first), readFileSync(join(dir, first), 'utf8') + '\n-- edited\n');
    await expect(migrate(db, loadMigrations(dir))).rejects.toThrow(MigrationError);
    await expect(migrate(db, loadMigrations(dir))).rejects.toThrow(/changed after it was applied/);
  });

  it('roll back a failing migration entirely', async () => {
    db = await openTestDatabase(backend, { migrate: false });
    const broken = [{ version: '9001', name: '9001_broken', sql: 'CREATE TABLE half_done (id int); SELECT no_such_function();', checksum: 'x' }];
    await expect(migrate(db, broken)).rejects.toThrow();
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'half_done'`);
    expect(rows[0]!.n).toBe(0);
  });
});
