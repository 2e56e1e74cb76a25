// Page figures that cost a pass over a large project's findings (open counts by severity, groups)
// are kept per project until its data changes: the version is the project's refs — every submission,
// removed image and closed merge request touches one — and an entry also expires after `ttlMs`, which
// bounds how long anything else (an approved exception, "new this week" moving on) can lag.
import type { Queryable } from '../store/db.js';

/** Changes whenever a submission (or a removal) changes the project's findings on any ref. */
export async function projectVersions(q: Queryable, projectIds: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await q.query<{ project_id: string; version: string }>(
    `SELECT project_id, count(*)::text || ':' || COALESCE(max(updated_at)::text, '') AS version FROM refs WHERE project_id = ANY($1::uuid[]) GROUP BY project_id`,
    [projectIds],
  );
  const versions = new Map(projectIds.map((id) => [id, '0:']));
  for (const r of rows) versions.set(r.project_id, r.version);
  return versions;
}

export class VersionedCache<T> {
  readonly #entries = new Map<string, { version: string; at: number; value: T }>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get(key: string, version: string, now = Date.now()): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry || entry.version !== version || now - entry.at > this.ttlMs) return undefined;
    return entry.value;
  }

  set(key: string, version: string, value: T, now = Date.now()): void {
    this.#entries.delete(key);
    this.#entries.set(key, { version, at: now, value });
    // Oldest first: Map keeps insertion order.
    while (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
