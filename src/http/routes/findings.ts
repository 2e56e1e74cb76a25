import { Router } from 'express';
import { z } from 'zod';
import { findingPageBody, queryFindingsJson, type FindingFilter } from '../../store/repositories/findings.js';
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
  // The alert rules' names: in CISA KEV, EPSS score at least, a fixed version known.
  kev: one.pipe(z.enum(['true', 'false']).transform((v) => v === 'true').optional()),
  epss: one.pipe(z.string().regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'a score from 0 to 1').transform(Number).optional()),
  fixAvailable: one.pipe(z.enum(['true', 'false']).transform((v) => v === 'true').optional()),
});

/** Strict: a filter with a mistyped name must not quietly answer with every finding. Built once (zod compiles each schema it is given). */
const strictFindingQuery = findingQuerySchema.strict();

/** The parsed query as the findings store takes it (its EPSS filter is a minimum). */
export function findingFilterOf({ epss, ...rest }: z.output<typeof findingQuerySchema>): FindingFilter {
  return { ...rest, epssMin: epss };
}

export function findingRoutes({ db, lookups }: AppDeps): Router {
  const router = Router();
  router.get('/projects/:project/findings', async (req, res) => {
    const id = identity(res);
    const project = await getProject(db, req.params.project, lookups?.projects);
    authorize(id, 'read', project.id);
    const page = await queryFindingsJson(db, project.id, findingFilterOf(strictFindingQuery.parse(req.query)));
    res.type('application/json').send(findingPageBody(page));
  });
  return router;
}
