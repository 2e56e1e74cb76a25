// API tokens: random, shown once, stored only as a SHA-256 hash (they carry 256 bits of entropy,
// so a fast hash is enough; the database never holds a usable token).
import { createHash, randomBytes } from 'node:crypto';
import type { LookupCache } from '../store/lookup-cache.js';
import type { Queryable } from '../store/db.js';

export const ROLES = ['admin', 'security', 'maintainer', 'ci', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface TokenIdentity {
  tokenId: string;
  name: string;
  role: Role;
  projectId: string | null;
}

export function generateToken(): string {
  return 'shk_' + randomBytes(32).toString('base64url');
}

/** The lookup prefix people see in listings ("shk_AbCd1234"): 8 characters of 43, no use to an attacker. */
export function tokenPrefix(token: string): string {
  return token.slice(0, 12);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export async function createToken(
  q: Queryable,
  options: { name: string; role: Role; projectId?: string | null; expiresAt?: Date | null; token?: string },
): Promise<{ id: string; token: string }> {
  const token = options.token ?? generateToken();
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO api_tokens (name, token_hash, token_prefix, role, project_id, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [options.name, hashToken(token), tokenPrefix(token), options.role, options.projectId ?? null, options.expiresAt ?? null],
  );
  return { id: rows[0]!.id, token };
}

/** A live token's identity and when it expires (ms since the epoch): what the token cache holds. */
export type LiveToken = TokenIdentity & { expiresAt: number | null };

/** The identity of a live token, read by its hash. */
async function readToken(q: Queryable, tokenHash: string): Promise<LiveToken | undefined> {
  // "Last used" to the minute: a write (and a row lock every request with the token queues on) per
  // request capped a pipeline fleet sharing one token at a few hundred requests a second.
  const { rows } = await q.query<{ id: string; name: string; role: Role; project_id: string | null; expires_at: Date | null }>(
    `WITH token AS (
       SELECT id, name, role, project_id, expires_at, last_used_at FROM api_tokens
        WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())),
     touched AS (
       UPDATE api_tokens a SET last_used_at = now() FROM token t
        WHERE a.id = t.id AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute'))
     SELECT id, name, role, project_id, expires_at FROM token`,
    [tokenHash],
  );
  const row = rows[0];
  return row && { tokenId: row.id, name: row.name, role: row.role, projectId: row.project_id, expiresAt: row.expires_at ? new Date(row.expires_at).getTime() : null };
}

/**
 * The identity of a token that is known, not revoked and not expired. With `cache` (an instance's
 * Lookups.tokens, kept exact by the database's change announcements), a token used again within the
 * minute is not read again; its expiry is still checked on every use.
 */
export async function authenticateToken(q: Queryable, token: string, cache?: LookupCache<LiveToken>): Promise<TokenIdentity | undefined> {
  if (!token || token.length > 512) return undefined;
  const tokenHash = hashToken(token);
  const found = cache ? await cache.get(tokenHash, () => readToken(q, tokenHash)) : await readToken(q, tokenHash);
  if (!found || (found.expiresAt !== null && found.expiresAt <= Date.now())) return undefined;
  return { tokenId: found.tokenId, name: found.name, role: found.role, projectId: found.projectId };
}

/**
 * Makes sure an admin can get in: the configured bootstrap token is registered (idempotently), or,
 * when none is configured and no admin token exists, one is generated and returned to be shown once.
 */
export async function ensureBootstrapAdmin(q: Queryable, configured: string | undefined): Promise<string | undefined> {
  if (configured) {
    const { rows } = await q.query(`SELECT 1 FROM api_tokens WHERE token_hash = $1`, [hashToken(configured)]);
    if (rows.length === 0) await createToken(q, { name: 'bootstrap-admin (SCANHUB_ADMIN_TOKEN)', role: 'admin', token: configured });
    return undefined;
  }
  const { rows } = await q.query(`SELECT 1 FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL LIMIT 1`);
  if (rows.length > 0) return undefined;
  const { token } = await createToken(q, { name: 'bootstrap-admin (generated)', role: 'admin' });
  return token;
}
