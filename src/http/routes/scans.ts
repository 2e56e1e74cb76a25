// On-demand scans through the bridges: POST /projects/{p}/scans asks Xray to scan an image,
// SonarQube for a branch's latest analysis, or Nexus IQ to re-evaluate a stage; the answer comes at
// once (202) with a scan id to follow at GET /scans/{id} until it names the submission it produced.
import { Router } from 'express';
import { z } from 'zod';
import { jfrogConnection } from '../../../integrations/scanners/xray/connection.js';
import { sonarqubeConnection, scanhubProjectFor } from '../../../integrations/scanners/sonarqube/connection.js';
import { SONARQUBE_PULL_QUEUE } from '../../../integrations/scanners/sonarqube/bridge.js';
import { IQ_STAGES, nexusIqConnection } from '../../../integrations/scanners/nexus-iq/connection.js';
import { NEXUSIQ_PULL_QUEUE } from '../../../integrations/scanners/nexus-iq/bridge.js';
import { createScan, loadScan, SCAN_SOURCES, type ScanSource } from '../../bridges/scans.js';
import { storedIqSettings, storedSonarSettings } from '../../bridges/schedule.js';
import type { ConnectionSpec } from '../../plugins/connection.js';
import { AppError } from '../../errors.js';
import { enqueue } from '../../jobs/queue.js';
import { audit } from '../../store/audit.js';
import type { Queryable } from '../../store/db.js';
import { getProject, type Project } from '../../store/repositories/projects.js';
import { XRAY_SCAN_QUEUE } from './webhooks.js';
import { authorize, identity } from '../middleware/auth.js';
import type { AppDeps } from '../deps.js';

export const scanRequestBody = z.strictObject({
  source: z.enum(SCAN_SOURCES).describe('Which bridge performs the scan'),
  target: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .describe('xray: <repository>/<image>:<tag>; sonarqube: a branch, or pull-request/<id>; nexus-iq: the stage (build, release, …)'),
  integration: z.uuid().optional().describe('The integration to use, when there is more than one of its kind'),
  sourceProject: z.string().trim().min(1).max(400).optional().describe("The tool's project: SonarQube project key or IQ application public id (default: the one mapped to this project)"),
});
type ScanRequest = z.infer<typeof scanRequestBody>;

const SPECS: Record<ScanSource, ConnectionSpec> = { xray: jfrogConnection, sonarqube: sonarqubeConnection, 'nexus-iq': nexusIqConnection };

interface Planned {
  queue: string;
  payload: Record<string, unknown>;
}

/** The integration to scan with: the one named, or the only one of its kind, or the one mapping this project. */
async function pickIntegration(q: Queryable, source: ScanSource, project: Project, named: string | undefined): Promise<{ id: string; config: Record<string, unknown> }> {
  const kind = SPECS[source].kind;
  const { rows } = await q.query<{ id: string; config: Record<string, unknown> }>(`SELECT id, config FROM integrations WHERE kind = $1 AND enabled ORDER BY created_at`, [kind]);
  const candidates = named ? rows.filter((r) => r.id === named) : rows;
  if (candidates.length === 0) {
    throw new AppError('VALIDATION_FAILED', named ? `No enabled ${kind} integration has id ${named}.` : `No ${kind} integration is configured: add one with POST /api/v1/integrations/${kind}.`);
  }
  if (candidates.length === 1) return candidates[0]!;
  const mapping = candidates.filter((c) => sourceProjectFor(source, c.config, project) !== undefined);
  if (mapping.length === 1) return mapping[0]!;
  throw new AppError('VALIDATION_FAILED', `${candidates.length} ${kind} integrations could scan ${project.name}: name one with "integration".`);
}

/** The SonarQube project / IQ application mapped to this ScanHub project, if exactly one is. */
function sourceProjectFor(source: ScanSource, config: Record<string, unknown>, project: Project): string | undefined {
  if (source === 'sonarqube') {
    const settings = storedSonarSettings.parse(config);
    const mapped = settings.projects.filter((p) => scanhubProjectFor(settings, p.sonarProject) === project.name);
    return mapped.length === 1 ? mapped[0]!.sonarProject : undefined;
  }
  if (source === 'nexus-iq') {
    const settings = storedIqSettings.parse(config);
    const mapped = Object.entries(settings.applications.map).filter(([, name]) => name === project.name);
    return mapped.length === 1 ? mapped[0]![0] : undefined;
  }
  return undefined;
}

function plan(body: ScanRequest, integration: { id: string; config: Record<string, unknown> }, project: Project, scanId: string): Planned {
  const common = { integrationId: integration.id, trigger: 'on-demand', scanId, projectId: project.id };
  if (body.source === 'xray') {
    const m = /^([A-Za-z0-9][\w.-]*)\/([^\s:@]+):([\w][\w.-]{0,127})$/.exec(body.target);
    if (!m) throw new AppError('VALIDATION_FAILED', `An Xray target is <repository>/<image>:<tag>, e.g. docker-local/team/app:1.4 (got "${body.target}").`);
    const image = { repository: m[1]!, image: m[2]!, tag: m[3]!, path: `${m[2]}/${m[3]}/manifest.json` };
    return { queue: XRAY_SCAN_QUEUE, payload: { ...common, image, receivedAt: new Date().toISOString() } };
  }
  const sourceProject = body.sourceProject ?? sourceProjectFor(body.source, integration.config, project);
  if (!sourceProject) {
    const what = body.source === 'sonarqube' ? 'SonarQube project key' : 'IQ application public id';
    throw new AppError('VALIDATION_FAILED', `No ${what} is mapped to ${project.name} in this integration: name it with "sourceProject".`);
  }
  if (body.source === 'sonarqube') {
    const pr = /^pull-request\/(\S+)$/.exec(body.target);
    return { queue: SONARQUBE_PULL_QUEUE, payload: { ...common, sonarProject: sourceProject, ...(pr ? { pullRequest: pr[1] } : { branch: body.target }) } };
  }
  if (!(IQ_STAGES as readonly string[]).includes(body.target)) {
    throw new AppError('VALIDATION_FAILED', `A Nexus IQ target is a stage: ${IQ_STAGES.join(', ')} (got "${body.target}").`);
  }
  return { queue: NEXUSIQ_PULL_QUEUE, payload: { ...common, applicationPublicId: sourceProject, stage: body.target, evaluate: true } };
}

export function scanRoutes({ db, lookups }: AppDeps): Router {
  const router = Router();
  router.post('/projects/:project/scans', async (req, res) => {
    const id = identity(res);
    const project = await getProject(db, req.params.project, lookups?.projects);
    authorize(id, 'submission.create', project.id);
    const body = scanRequestBody.parse(req.body);
    const integration = await pickIntegration(db, body.source, project, body.integration);
    const scan = await db.transaction(async (tx) => {
      const scanId = await createScan(tx, { projectId: project.id, source: body.source, target: body.target, integrationId: integration.id, requestedBy: id.name });
      const { queue, payload } = plan(body, integration, project, scanId);
      await enqueue(tx, queue, payload, { dedupeKey: `scan:${scanId}`, maxAttempts: 5 });
      await audit(tx, { actor: id.name, action: 'scan.request', targetType: 'project', targetId: project.id, after: { scanId, source: body.source, target: body.target, integration: integration.id } });
      return loadScan(tx, scanId);
    });
    res.status(202).location(`/api/v1/scans/${scan!.id}`).json(scan);
  });
  router.get('/scans/:id', async (req, res) => {
    const scanId = z.uuid().safeParse(req.params.id);
    const scan = scanId.success ? await loadScan(db, scanId.data) : undefined;
    if (!scan) throw new AppError('NOT_FOUND', 'No scan has this id.');
    authorize(identity(res), 'read', scan.projectId);
    const { projectId: _projectId, ...view } = scan;
    res.json(view);
  });
  return router;
}
