// A stored finding's JSON is spliced onto its data's own text (storedFindingText) and the findings API
// passes it through unparsed, so the text must say exactly what the object form did: dates as
// toISOString() writes them (UTC, milliseconds truncated) whatever the session's time zone, the ref's
// state only with a ref, and the finding's own fields. On PGlite and PostgreSQL.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanners } from '../../integrations/index.js';
import { ingestSubmission } from '../../src/ingest/submit.js';
import { findingPageBody, getFinding, queryFindings, queryFindingsJson, storedFindingText } from '../../src/store/repositories/findings.js';
import { createProject } from '../../src/store/repositories/projects.js';
import type { Database } from '../../src/store/db.js';
import { projectRoot } from '../helpers/corpus.js';
import { describeEachBackend, openTestDatabase, postgresUrl } from '../helpers/db.js';
import { openDatabase } from '../../src/store/db.js';

describeEachBackend('stored findings as JSON text', (backend) => {
  let db: Database;
  let projectId: string;
  beforeEach(async () => {
    db = await openTestDatabase(backend);
    projectId = (await db.transaction((tx) => createProject(tx, 'team/json', 'test'))).id;
    const content = readFileSync(join(projectRoot, 'test/apps/demo-reports/trivy-image.json'));
    await ingestSubmission({ db, scanners }, { projectId, ref: 'main', reports: [{ filename: 'trivy.json', content }], actor: 'test' });
  });
  afterEach(async () => {
    await db.close();
  });

  it('writes dates as toISOString() does, in any session time zone', async () => {
    await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL TIME ZONE 'Asia/Kolkata'`);
      await tx.query(`UPDATE findings SET first_seen_at = '2026-01-02 03:04:05.678999+00', last_seen_at = '2026-01-03 00:00:00.0009+00' WHERE project_id = $1`, [projectId]);
      // Sightings through the ref win over the row's own last_seen_at; drop them to read the row's.
      await tx.query(`DELETE FROM ref_findings WHERE project_id = $1`, [projectId]);
      const page = await queryFindings(tx, projectId, { limit: 3 });
      expect(page.items.length).toBe(3);
      for (const f of page.items) {
        expect(f.firstSeenAt).toBe('2026-01-02T03:04:05.678Z');
        expect(f.lastSeenAt).toBe('2026-01-03T00:00:00.000Z');
        expect(new Date(f.firstSeenAt).toISOString()).toBe(f.firstSeenAt);
      }
      expect((await getFinding(tx, page.items[0]!.id))!.firstSeenAt).toBe('2026-01-02T03:04:05.678Z');
    });
  });

  it('answers the API page as the parsed page would serialise, with the state only under a ref', async () => {
    const plain = await queryFindingsJson(db, projectId, { limit: 5 });
    const body = JSON.parse(findingPageBody(plain)) as { items: Record<string, unknown>[]; nextCursor: string | null };
    expect(body).toEqual(JSON.parse(JSON.stringify(await queryFindings(db, projectId, { limit: 5 }))));
    expect(body.nextCursor).toEqual(expect.any(String));
    for (const item of body.items) {
      expect(item).toMatchObject({ id: expect.any(String), sources: ['trivy'], tool: 'trivy', severity: expect.any(String), fingerprint: expect.any(String) });
      expect(item).not.toHaveProperty('state');
    }
    const underRef = JSON.parse(findingPageBody(await queryFindingsJson(db, projectId, { ref: 'main', limit: 5 }))) as typeof body;
    expect(underRef.items.map((i) => i.state)).toEqual(Array(5).fill('open'));
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM findings WHERE project_id = $1`, [projectId]);
    const all = await queryFindingsJson(db, projectId, { limit: 1000 });
    expect(all.items.length).toBe(rows[0]!.n);
    expect(all.nextCursor).toBeNull();
    expect(JSON.parse(findingPageBody(all)).nextCursor).toBeNull();
  });
  it('pages by cursor through exactly the findings of one large page, in its order, under any filter', async () => {
    // Severities are few, so pages of 7 cross from one severity to the next (the cursor's two ranges).
    for (const filter of [{}, { severity: '>=medium' }, { severity: 'high' }, { ref: 'main' }, { severity: '<high', ref: 'main' }, { q: 'lib' }]) {
      const whole = (await queryFindingsJson(db, projectId, { ...filter, limit: 1000 })).items.map((i) => (JSON.parse(i) as { id: string }).id);
      const paged: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await queryFindingsJson(db, projectId, { ...filter, limit: 7, cursor });
        paged.push(...page.items.map((i) => (JSON.parse(i) as { id: string }).id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(paged).toEqual(whole);
    }
  });
});


describe('storedFindingText', () => {
  const row = { id: 'a1', tools: ['grype', 'trivy'], first_seen_at: new Date('2026-01-02T03:04:05.678Z'), last_seen_at: new Date('2026-01-03T00:00:00Z') };
  it('splices onto any object text, empty or spaced, into one valid object', () => {
    for (const data_json of ['{"title": "x", "cvss": {"score": 9.8}}', '{}', '{ }', ' {"a":[1,{"b":{}}]} ']) {
      const parsed = JSON.parse(storedFindingText({ ...row, data_json }, 'fixed')) as Record<string, unknown>;
      expect(parsed).toEqual({ ...(JSON.parse(data_json) as object), id: 'a1', sources: ['grype', 'trivy'], firstSeenAt: '2026-01-02T03:04:05.678Z', lastSeenAt: '2026-01-03T00:00:00.000Z', state: 'fixed' });
    }
    expect(JSON.parse(storedFindingText({ ...row, data_json: '{"x":1}' }))).not.toHaveProperty('state');
  });
});

describe.runIf(postgresUrl)('prepared findings queries behind a pooler that loses them (PostgreSQL)', () => {
  it('runs a serial query without parallel workers, on its own or in a transaction, and no other', async () => {
    const db = await openTestDatabase('postgres');
    try {
      const setting = `SELECT current_setting('max_parallel_workers_per_gather') AS v`;
      const read = async (q: Pick<typeof db, 'query'>, options?: { serial: true }) => (await q.query<{ v: string }>(setting, [], options)).rows[0]!.v;
      const usual = await read(db);
      expect(usual).not.toBe('0');
      expect(await read(db, { serial: true })).toBe('0');
      expect(await read(db)).toBe(usual); // SET LOCAL ended with its transaction
      expect(await db.transaction(async (tx) => [await read(tx, { serial: true }), await read(tx)])).toEqual(['0', '0']);
      expect(await read(db)).toBe(usual);
    } finally {
      await db.close();
    }
  });

  it('sends the query again unprepared, and prepares nothing more', async () => {
    const db = await openTestDatabase('postgres');
    const { rows } = await db.query<{ schema: string }>(`SELECT current_schema() AS schema`);
    // One connection, so that DEALLOCATE reaches the connection the statement was prepared on — as a
    // transaction-mode pooler handing the session another server connection would.
    const single = await openDatabase({ url: postgresUrl, schema: rows[0]!.schema, poolSize: 1 });
    try {
      const projectId = (await db.transaction((tx) => createProject(tx, 'team/pooled', 'test'))).id;
      const content = readFileSync(join(projectRoot, 'test/apps/demo-reports/trivy-image.json'));
      await ingestSubmission({ db, scanners }, { projectId, ref: 'main', reports: [{ filename: 'trivy.json', content }], actor: 'test' });
      const first = await queryFindingsJson(single, projectId, { limit: 5 });
      const prepared = await single.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'scanhub_%'`);
      expect(prepared.rows[0]!.n).toBe(1);
      await single.query('DEALLOCATE ALL');
      expect(await queryFindingsJson(single, projectId, { limit: 5 })).toEqual(first);
      expect(await queryFindingsJson(single, projectId, { limit: 5, severity: 'high' })).toBeDefined();
      const after = await single.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'scanhub_%'`);
      expect(after.rows[0]!.n).toBe(0);
    } finally {
      await single.close();
      await db.close();
    }
  });
});
