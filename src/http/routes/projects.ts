import { Router } from 'express';
import { z } from 'zod';
import { createProject, getProject, listProjects, setProjectTags } from '../../store/repositories/projects.js';
import { authorize, identity } from '../middleware/auth.js';
import type { AppDeps } from '../deps.js';

export const projectNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/, 'letters, digits, ".", "_", "-" and "/" (e.g. team/app)')
  .refine((n) => !n.includes('//') && !n.endsWith('/'), 'no empty path segments');

export const tagSchema = z.string().trim().regex(/^[a-z0-9][a-z0-9._:-]{0,62}$/i, 'letters, digits, ".", "_", ":" and "-"');
export const projectTagsSchema = z.array(tagSchema).max(50).transform((tags) => [...new Set(tags.map((t) => t.toLowerCase()))].sort());
export const createProjectBody = z.object({ name: projectNameSchema, tags: projectTagsSchema.optional() }).strict();
export const updateProjectBody = z.object({ tags: projectTagsSchema }).strict();

export function projectRoutes({ db, lookups }: AppDeps): Router {
  const router = Router();
  router.post('/projects', async (req, res) => {
    const id = identity(res);
    authorize(id, 'project.create');
    const body = createProjectBody.parse(req.body ?? {});
    const project = await db.transaction(async (tx) => {
      const created = await createProject(tx, body.name, `token:${id.name}`);
      return body.tags?.length ? setProjectTags(tx, created, body.tags, `token:${id.name}`) : created;
    });
    res.status(201).location(`/api/v1/projects/${encodeURIComponent(project.id)}`).json(project);
  });
  router.get('/projects', async (_req, res) => {
    const id = identity(res);
    res.json({ items: await listProjects(db, id.projectId) });
  });
  router.patch('/projects/:project', async (req, res) => {
    const id = identity(res);
    const project = await getProject(db, req.params.project, lookups?.projects);
    authorize(id, 'project.create', project.id);
    const body = updateProjectBody.parse(req.body ?? {});
    res.json(await db.transaction((tx) => setProjectTags(tx, project, body.tags, `token:${id.name}`)));
  });
  router.get('/projects/:project', async (req, res) => {
    const id = identity(res);
    const project = await getProject(db, req.params.project, lookups?.projects);
    authorize(id, 'read', project.id);
    res.json(project);
  });
  return router;
}
