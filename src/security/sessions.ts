// Web page sessions: the cookie holds a random id, the database only its SHA-256; each session has a
// CSRF token that every state-changing form must echo. Revoking the API token ends its sessions.
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../store/db.js';
import { safeEqual } from './secrets.js';
import type { Role, TokenIdentity } from './tokens.js';

export const SESSION_TTL_MS = 12 * 3600_000;

export interface Session {
  identity: TokenIdentity;
  csrfToken: string;
}

const hash = (id: string) => createHash('sha256').update(id, 'utf8').digest('hex');

export async function createSession(q: Queryable, tokenId: string, now = new Date()): Promise<{ cookieValue: string; csrfToken: string }> {
  const cookieValue = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  await q.query(`DELETE FROM sessions WHERE expires_at < $1`, [now]);
  await q.query(`INSERT INTO sessions (id_hash, token_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)`, [
    hash(cookieValue),
    tokenId,
    csrfToken,
    new Date(now.getTime() + SESSION_TTL_MS),
  ]);
  return { cookieValue, csrfToken };
}

/** The live session for a cookie value: unexpired, and its token neither revoked nor expired. */
export async function readSession(q: Queryable, cookieValue: string | undefined, now = new Date()): Promise<Session | undefined> {
  if (!cookieValue || cookieValue.length > 100) return undefined;
  const { rows } = await q.query<{ csrf_token: string; id: string; name: string; role: Role; project_id: string | null }>(
    `SELECT s.csrf_token, t.id, t.name, t.role, t.project_id
       FROM sessions s JOIN api_tokens t ON t.id = s.token_id
      WHERE s.id_hash = $1 AND s.expires_at > $2 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)`,
    [hash(cookieValue), now],
  );
  const row = rows[0];
  return row && { csrfToken: row.csrf_token, identity: { tokenId: row.id, name: row.name, role: row.role, projectId: row.project_id } };
}

export async function endSession(q: Queryable, cookieValue: string): Promise<void> {
  await q.query(`DELETE FROM sessions WHERE id_hash = $1`, [hash(cookieValue)]);
}

export function csrfMatches(session: Session, submitted: unknown): boolean {
  return typeof submitted === 'string' && safeEqual(session.csrfToken, submitted);
}
