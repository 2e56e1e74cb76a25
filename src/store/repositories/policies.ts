// Policy versions per project (or the organisation default, project NULL), with history.
import type { Queryable } from '../db.js';
import { audit } from '../audit.js';

export interface PolicyVersion {
  id: string;
  projectId: string | null;
  version: number;
  source: string;
  createdBy: string;
  createdAt: string;
}

interface Row {
  id: string;
  project_id: string | null;
  version: number;
  source: string;
  created_by: string;
  created_at: Date;
}

const present = (r: Row): PolicyVersion => ({
  id: r.id,
  projectId: r.project_id,
  version: r.version,
  source: r.source,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at).toISOString(),
});

const scope = (projectId: string | null) => (projectId ? 'project_id = $1' : 'project_id IS NULL AND $1::uuid IS NULL');

/** Newest first; `page` bounds the rows read (the dashboard pages through long histories). */
export async function policyHistory(q: Queryable, projectId: string | null, page?: { limit: number; offset: number }): Promise<PolicyVersion[]> {
  const { rows } = await q.query<Row>(
    `SELECT id, project_id, version, source, created_by, created_at FROM policies WHERE ${scope(projectId)} ORDER BY version DESC${page ? ' LIMIT $2 OFFSET $3' : ''}`,
    page ? [projectId, page.limit, page.offset] : [projectId],
  );
  return rows.map(present);
}

/** Stores a new version (the source must already be validated); unchanged text is not a new version. */
export async function savePolicy(q: Queryable, projectId: string | null, source: string, actor: string): Promise<{ policy: PolicyVersion; changed: boolean }> {
  const { rows: current } = await q.query<Row>(
    `SELECT id, project_id, version, source, created_by, created_at FROM policies WHERE ${scope(projectId)} ORDER BY version DESC LIMIT 1 FOR UPDATE`,
    [projectId],
  );
  const before = current[0];
  if (before && before.source === source) return { policy: present(before), changed: false };
  const { rows } = await q.query<Row>(
    `INSERT INTO policies (project_id, version, source, created_by) VALUES ($1, $2, $3, $4) RETURNING id, project_id, version, source, created_by, created_at`,
    [projectId, (before?.version ?? 0) + 1, source, actor],
  );
  const after = present(rows[0]!);
  await audit(q, {
    actor,
    action: 'policy.update',
    targetType: projectId ? 'project.policy' : 'organisation.policy',
    targetId: projectId ?? 'organisation',
    before: before ? { version: before.version, source: before.source } : null,
    after: { version: after.version, source: after.source },
  });
  return { policy: after, changed: true };
}
