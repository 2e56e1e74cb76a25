import { afterEach, beforeEach, expect, it } from 'vitest';
import { emitExpiringExceptions } from '../../src/jobs/exception-expiry.js';
import type { Database } from '../../src/store/db.js';
import { createException } from '../../src/store/repositories/exceptions.js';
import { createProject } from '../../src/store/repositories/projects.js';
import { describeEachBackend, openTestDatabase } from '../helpers/db.js';

describeEachBackend('exception.expiring events', (backend) => {
  let db: Database;
  beforeEach(async () => {
    db = await openTestDatabase(backend);
  });
  afterEach(async () => {
    await db.close();
  });

  it('are emitted once, N days before expiry, for approved exceptions only', async () => {
    const now = new Date('2026-11-24T00:00:00Z');
    const p = await createProject(db, 'team/app', 'test');
    const base = { kind: 'accepted_risk' as const, reason: 'later', owner: 'sec@example.test', scope: { type: 'vulnerability' as const, id: 'CVE-2024-1' } };
    const soon = await createException(db, { ...base, expiresAt: '2026-11-28T00:00:00Z' }, { projectId: p.id, actor: 'a', canApprove: true, now });
    await createException(db, { ...base, expiresAt: '2027-03-01T00:00:00Z' }, { projectId: p.id, actor: 'a', canApprove: true, now });
    await createException(db, { ...base, expiresAt: '2026-11-27T00:00:00Z' }, { projectId: p.id, actor: 'a', canApprove: false, now }); // pending
    expect(await emitExpiringExceptions(db, now, 7)).toBe(1);
    expect(await emitExpiringExceptions(db, now, 7)).toBe(0);
    const { rows } = await db.query<{ type: string; payload: { exceptionId: string; owner: string } }>(`SELECT type, payload FROM events WHERE type = 'exception.expiring'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.payload).toMatchObject({ exceptionId: soon.id, owner: 'sec@example.test' });
  });
});
