// A token's "last used" is recorded at most once a minute: a write per request queued every request of
// a fleet sharing the token on that row's lock. Authentication itself is unchanged by it.
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Database } from '../../src/store/db.js';
import { authenticateToken, createToken } from '../../src/security/tokens.js';
import { describeEachBackend, openTestDatabase } from '../helpers/db.js';

describeEachBackend('API token use', (backend) => {
  let db: Database;
  beforeEach(async () => {
    db = await openTestDatabase(backend);
  });
  afterEach(async () => {
    await db.close();
  });

  const lastUsed = async (id: string) => (await db.query<{ at: Date | null; v: string }>(`SELECT last_used_at AS at, xmin::text AS v FROM api_tokens WHERE id = $1`, [id])).rows[0]!;

  it('records the first use, not every use within a minute, and the next use after one', async () => {
    const { id, token } = await createToken(db, { name: 'ci', role: 'ci' });
    expect((await lastUsed(id)).at).toBeNull();

    expect(await authenticateToken(db, token)).toMatchObject({ tokenId: id, role: 'ci' });
    const first = await lastUsed(id);
    expect(first.at).not.toBeNull();

    for (let i = 0; i < 3; i++) expect(await authenticateToken(db, token)).toMatchObject({ tokenId: id });
    expect(await lastUsed(id)).toEqual(first); // the row was not written again

    await db.query(`UPDATE api_tokens SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, [id]);
    const stale = await lastUsed(id);
    await authenticateToken(db, token);
    expect((await lastUsed(id)).at!.getTime()).toBeGreaterThan(stale.at!.getTime());
  });

  it('still refuses revoked, expired and unknown tokens', async () => {
    const revoked = await createToken(db, { name: 'old', role: 'ci' });
    await db.query(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, [revoked.id]);
    const expired = await createToken(db, { name: 'gone', role: 'ci', expiresAt: new Date(Date.now() - 1000) });
    expect(await authenticateToken(db, revoked.token)).toBeUndefined();
    expect(await authenticateToken(db, expired.token)).toBeUndefined();
    expect(await authenticateToken(db, 'shk_not-a-token')).toBeUndefined();
    expect((await lastUsed(revoked.id)).at).toBeNull();
  });
});
