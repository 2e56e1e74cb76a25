// Scan configuration per project (over the organisation default): JSON, or ?format=shell.
import { Router } from 'express';
import { scanConfigSchema, DEFAULT_SCAN_CONFIG, enabledTools, mergeScanConfig, OUTPUT_FILES, renderShell, toolCommand, type ScanConfig } from '../../domain/scan-config.js';
import { AppError } from '../../errors.js';
import { audit } from '../../store/audit.js';
import type { Queryable } from '../../store/db.js';
import { getProject } from '../../store/repositories/projects.js';
import { authorize, identity } from '../middleware/auth.js';
import type { AppDeps } from '../deps.js';

async function stored(q: Queryable, projectId: string | null): Promise<ScanConfig | undefined> {
  const { rows } = await q.query<{ config: ScanConfig }>(
    projectId ? `SELECT config FROM scan_configs WHERE project_id = $1` : `SELECT config FROM scan_configs WHERE project_id IS NULL AND $1::uuid IS NULL`,
    [projectId],
  );
  return rows[0]?.config;
}

export async function effectiveScanConfig(q: Queryable, projectId: string): Promise<ScanConfig> {
  return mergeScanConfig(DEFAULT_SCAN_CONFIG, await stored(q, null), await stored(q, projectId));
}

export function scanConfigRoutes({ db, lookups }: AppDeps): Router {
  const router = Router();

  router.put(['/projects/:project/scan-config', '/scan-config'], async (req, res) => {
    const id = identity(res);
    const project = typeof req.params.project === 'string' ? await getProject(db, req.params.project, lookups?.projects) : undefined;
    authorize(id, project ? 'scanconfig.write' : 'policy.write', project?.id);
    if (!project && id.projectId) throw new AppError('FORBIDDEN', 'A project-scoped token cannot change the organisation defaults.');
    const config = scanConfigSchema.parse(req.body ?? {});
    await db.transaction(async (tx) => {
      const before = await stored(tx, project?.id ?? null);
      await tx.query(`DELETE FROM scan_configs WHERE ${project ? 'project_id = $1' : 'project_id IS NULL AND $1::uuid IS NULL'}`, [project?.id ?? null]);
      await tx.query(`INSERT INTO scan_configs (project_id, config, updated_by) VALUES ($1, $2, $3)`, [project?.id ?? null, JSON.stringify(config), `token:${id.name}`]);
      await audit(tx, { actor: `token:${id.name}`, action: 'scan-config.update', targetType: 'scan-config', targetId: project?.id ?? 'organisation', before: before ?? null, after: config });
    });
    res.json(config);
  });

  router.get('/projects/:project/scan-config', async (req, res) => {
    const id = identity(res);
    const project = await getProject(db, req.params.project, lookups?.projects);
    authorize(id, 'read', project.id);
    const config = await effectiveScanConfig(db, project.id);
    if (req.query.format === 'shell') {
      res.type('text/x-shellscript').send(renderShell(config, project.name));
      return;
    }
    res.json({
      project: project.name,
      ...config,
      commands: Object.fromEntries(enabledTools(config).map((t) => [t, { command: toolCommand(t, config.tools[t]!, config), output: OUTPUT_FILES[t] }])),
    });
  });
  return router;
}
