import { Router } from 'express';
import { z } from 'zod';
import { createProject, getProject, listProjects } from '../../store/repositories/projects.js';
import { authorize, identity } from '../middleware/auth.js';
import type { AppDeps } from '../deps.js';

export const projectNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/, 'letters, digits, ".", "_", "-" and "/" (e.g. team/app)')
  .refine((n) => !n.includes('//') && !n.endsWith('/'), 'no empty path segments');

export const createProjectBody = z.object({ name: projectNameSchema }).strict();

export function projectRoutes({ db }: AppDeps): Router {
  const router = Router();
  router.post('/projects', async (req, res) => {
    const id = identity(res);
    authorize(id, 'project.create');
    const body = createProjectBody.parse(req.body ?? {});
    const project = await db.transaction((tx) => createProject(tx, body.name, `token:${id.name}`));
    res.status(201).location(`/api/v1/projects/${encodeURIComponent(project.id)}`).json(project);
  });
  router.get('/projects', async (_req, res) => {
    const id = identity(res);
    res.json({ items: await listProjects(db, id.projectId) });
  });
  router.get('/projects/:project', async (req, res) => {
    const id = identity(res);
    const project = await getProject(db, req.params.project);
    authorize(id, 'read', project.id);
    res.json(project);
  });
  return router;
}
