// Where a project's policy comes from: its own, else the organisation default, else the built-in one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy } from '../domain/policy/parse.js';
import type { Policy } from '../domain/policy/schema.js';
import { templatesDir } from '../paths.js';
import type { Queryable } from '../store/db.js';

export interface EffectivePolicy {
  policy: Policy;
  source: string;
  id: string | null;
  version: number | null;
  origin: 'project' | 'organisation' | 'built-in';
}

let builtIn: EffectivePolicy | undefined;

export function builtInPolicy(): EffectivePolicy {
  if (!builtIn) {
    const source = readFileSync(join(templatesDir, 'policies/default.yml'), 'utf8');
    builtIn = { policy: parsePolicy(source), source, id: null, version: null, origin: 'built-in' };
  }
  return builtIn;
}

export async function effectivePolicy(q: Queryable, projectId: string): Promise<EffectivePolicy> {
  const { rows } = await q.query<{ id: string; project_id: string | null; version: number; source: string }>(
    `SELECT DISTINCT ON (project_id IS NULL) id, project_id, version, source FROM policies
      WHERE project_id = $1 OR project_id IS NULL
      ORDER BY project_id IS NULL, version DESC`,
    [projectId],
  );
  const row = rows.find((r) => r.project_id === projectId) ?? rows.find((r) => r.project_id === null);
  if (!row) return builtInPolicy();
  return { policy: parsePolicy(row.source), source: row.source, id: row.id, version: row.version, origin: row.project_id ? 'project' : 'organisation' };
}
