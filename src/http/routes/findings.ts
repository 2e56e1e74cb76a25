import { Router } from 'express';
import { z } from 'zod';
import { queryFindings } from '../../store/repositories/findings.js';
import { getProject } from '../../store/repositories/projects.js';
import { authorize, identity } from '../middleware/auth.js';
import type { AppDeps } from '../deps.js';

const one = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v[v.length - 1]! : v))
  .optional();

export const findingQuerySchema = z.object({
  severity: one,
  tool: one,
  category: one,
  status: one,
  q: one.pipe(z.string().max(200).optional()),
  ref: one,
  cursor: one,
  new: one.pipe(z.enum(['true', 'false']).transform((v) => v === 'true').optional()),
  limit: one.pipe(z.string().regex(/^\d+$/, 'a whole number').transform(Number).pipe(z.number().int().min(1).max(1000)).optional()),
});

export function findingRoutes({ db }: AppDeps): Router {
  const router = Router();
  router.get('/projects/:project/findings', async (req, res) => {
    const id = identity(res);
    const project = await getProject(db, req.params.project);
    authorize(id, 'read', project.id);
    const filter = findingQuerySchema.parse(req.query);
    const page = await queryFindings(db, project.id, filter);
    res.json(page);
  });
  return router;
}
