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

  it('0017 fails the uploads whose ingest job died before the queue told them, and drops failed uploads\' bytes', async () => {
    db = await openTestDatabase(backend, { migrate: false });
    const all = loadMigrations();
    await migrate(db, all.filter((m) => m.version < '0017'));
    const project = (await db.query<{ id: string }>(`INSERT INTO projects (name) VALUES ('m') RETURNING id`)).rows[0]!.id;
    const upload = async (state: string, job: string | null) => {
      const { rows } = await db!.query<{ id: string }>(`INSERT INTO submission_uploads (id, project_id, request, state) VALUES (gen_random_uuid(), $1, '{"ref":"main"}', $2) RETURNING id`, [project, state]);
      const id = rows[0]!.id;
      await db!.query(`INSERT INTO submission_upload_reports (upload_id, idx, filename) VALUES ($1, 0, 'r.json')`, [id]);
      await db!.query(`INSERT INTO submission_upload_chunks (upload_id, idx, seq, content) VALUES ($1, 0, 0, '\\x00')`, [id]);
      if (job) await db!.query(`INSERT INTO jobs (queue, dedupe_key, payload, state, attempts) VALUES ('ingest.submission', $1, '{}', $2, 5)`, [id, job]);
      return id;
    };
    const stuck = await upload('processing', 'dead');
    const waiting = await upload('queued', 'queued');
    const failed = await upload('failed', 'done');
    expect(await migrate(db, all)).toEqual(all.filter((m) => m.version >= '0017').map((m) => m.name));
    const { rows } = await db.query<{ id: string; state: string; code: string | null; chunks: number }>(
      `SELECT u.id, u.state, u.error->>'code' AS code, (SELECT count(*)::int FROM submission_upload_chunks c WHERE c.upload_id = u.id) AS chunks FROM submission_uploads u`,
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(stuck)).toMatchObject({ state: 'failed', code: 'INGEST_FAILED', chunks: 0 });
    expect(byId.get(waiting)).toMatchObject({ state: 'queued', code: null, chunks: 1 });
    expect(byId.get(failed)).toMatchObject({ state: 'failed', chunks: 0 });
  });
});
