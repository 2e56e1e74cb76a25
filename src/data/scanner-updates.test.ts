import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/helpers/db.js';
import type { Database } from '../store/db.js';
import { scannerDatabaseAges } from './scanner-db.js';
import { updateCommand, updateScannerDatabase } from './scanner-updates.js';

describe('scanner database updates', () => {
  let db: Database;
  const bin = mkdtempSync(join(tmpdir(), 'scanhub-bin-'));
  const savedPath = process.env.PATH;
  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    // A stand-in trivy that records how it was called; a failing dependency-check; no grype at all.
    writeFileSync(join(bin, 'trivy'), `#!/bin/sh\necho "$@" > ${join(bin, 'trivy.args')}\nexit 0\n`);
    writeFileSync(join(bin, 'dependency-check'), '#!/bin/sh\necho "NVD API returned 403" >&2\nexit 13\n');
    chmodSync(join(bin, 'trivy'), 0o755);
    chmodSync(join(bin, 'dependency-check'), 0o755);
    process.env.PATH = `${bin}:/usr/bin:/bin`;
  });
  afterAll(async () => {
    process.env.PATH = savedPath;
    await db.close();
  });

  it('runs each tool\'s documented update with the shared cache, and records the outcome', async () => {
    const now = new Date('2026-11-29T02:00:00Z');
    expect(await updateScannerDatabase(db, 'trivy', { cacheDir: '/cache/trivy', now: () => now })).toMatchObject({ outcome: 'updated' });
    expect(readFileSync(join(bin, 'trivy.args'), 'utf8').trim()).toBe('image --download-db-only --cache-dir /cache/trivy');
    expect(await updateScannerDatabase(db, 'grype', { now: () => now })).toMatchObject({ outcome: 'not-installed' });
    const dc = await updateScannerDatabase(db, 'dependency-check', { now: () => now });
    expect(dc).toMatchObject({ outcome: 'failed' });
    expect(dc.reason).toContain('exit 13: NVD API returned 403');
    const ages = await scannerDatabaseAges(db, new Date('2026-11-30T02:00:00Z'), 72 * 3_600_000);
    expect(ages.find((a) => a.source === 'trivy:local')).toMatchObject({ ageDays: 1, stale: false });
    expect(ages.find((a) => a.source === 'dependency-check:local')).toMatchObject({ checkedAt: null, stale: true });
    expect(updateCommand('grype', '/cache/grype')).toEqual({ argv: ['grype', 'db', 'update'], env: { GRYPE_DB_CACHE_DIR: '/cache/grype' } });
  });
});
