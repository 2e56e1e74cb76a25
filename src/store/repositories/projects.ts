// Projects: addressed by id or by name ("team/app").
import { AppError } from '../../errors.js';
import type { LookupCache } from '../lookup-cache.js';
import type { Queryable } from '../db.js';
import { audit } from '../audit.js';

export interface Project {
  id: string;
  name: string;
  tags: string[];
  createdAt: string;
}

interface ProjectRow {
  id: string;
  name: string;
  tags?: string[];
  created_at: Date;
}

const toProject = (r: ProjectRow): Project => ({ id: r.id, name: r.name, tags: r.tags ?? [], createdAt: new Date(r.created_at).toISOString() });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Anything that cannot be a project name or id is not looked up at all. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,199}$/;

export async function findProject(q: Queryable, idOrName: string): Promise<Project | undefined> {
  if (!NAME.test(idOrName)) return undefined;
  const { rows } = UUID.test(idOrName)
    ? await q.query<ProjectRow>(`SELECT id, name, tags, created_at FROM projects WHERE id = $1 OR name = $2`, [idOrName, idOrName])
    : await q.query<ProjectRow>(`SELECT id, name, tags, created_at FROM projects WHERE name = $1`, [idOrName]);
  return rows[0] ? toProject(rows[0]) : undefined;
}

/** The project by id or name; with `cache` (an instance's Lookups.projects, outside transactions) perhaps without a read. */
export async function getProject(q: Queryable, idOrName: string, cache?: LookupCache<Project>): Promise<Project> {
  const project = cache ? await cache.get(idOrName, () => findProject(q, idOrName)) : await findProject(q, idOrName);
  if (!project) throw new AppError('PROJECT_NOT_FOUND', `No project "${idOrName}". Create it with POST /api/v1/projects first.`);
  return project;
}

export async function createProject(q: Queryable, name: string, actor: string): Promise<Project> {
  const { rows } = await q.query<ProjectRow>(
    `INSERT INTO projects (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id, name, tags, created_at`,
    [name],
  );
  if (!rows[0]) throw new AppError('PROJECT_EXISTS', `A project named "${name}" exists already.`);
  const project = toProject(rows[0]);
  await audit(q, { actor, action: 'project.create', targetType: 'project', targetId: project.id, after: project });
  return project;
}

export async function listProjects(q: Queryable, onlyId?: string | null): Promise<Project[]> {
  const { rows } = onlyId
    ? await q.query<ProjectRow>(`SELECT id, name, tags, created_at FROM projects WHERE id = $1`, [onlyId])
    : await q.query<ProjectRow>(`SELECT id, name, tags, created_at FROM projects ORDER BY name`);
  return rows.map(toProject);
}

/** Replaces a project's tags (audited). */
export async function setProjectTags(q: Queryable, project: Project, tags: string[], actor: string): Promise<Project> {
  const { rows } = await q.query<ProjectRow>(`UPDATE projects SET tags = $2 WHERE id = $1 RETURNING id, name, tags, created_at`, [project.id, tags]);
  await audit(q, { actor, action: 'project.update', targetType: 'project', targetId: project.id, before: { tags: project.tags }, after: { tags } });
  return toProject(rows[0]!);
}
