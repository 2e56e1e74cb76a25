// ScanHub's own vulnerability data over the API: trigger an update (admin, security) and read each
// source's version, dates, rows, checksum, age and last outcome (anyone who may read).
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { scannerDatabaseAges, syncXrayDatabases } from '../../data/scanner-db.js';
import { reassessAfterUpdate } from '../../data/reassess.js';
import { AppError } from '../../errors.js';
import { dataFreshness } from '../../data/enrich.js';
import { dataOptionsFromConfig, DATA_SOURCES, type DataConfigFields, type DataOptions } from '../../data/options.js';
import { runManualUpdate, UpdateRunningError } from '../../data/update.js';
import type { Role } from '../../security/tokens.js';
import { audit } from '../../store/audit.js';
import type { Queryable } from '../../store/db.js';
import { authorize, identity } from '../middleware/auth.js';
import { PERMISSIONS, type Action } from '../permissions.js';
import type { AppDeps } from '../deps.js';

export const dataUpdateBody = z.strictObject({
  source: z.enum([...DATA_SOURCES, 'all']).optional().describe('kev, epss, osv or all (the default)'),
  force: z.boolean().optional().describe('Accept a set much smaller than the installed one'),
  tool: z.enum(['xray']).optional().describe("Instead: start the scanner's own DB sync (xray, on every JFrog integration) and record its status"),
});

const freshnessItem = z.object({
  source: z.enum(DATA_SOURCES),
  version: z.string().nullable(),
  publishedAt: z.string().nullable(),
  fetchedAt: z.string().nullable(),
  checkedAt: z.string().nullable(),
  rows: z.number().int(),
  checksum: z.string().nullable(),
  origin: z.string().nullable(),
  ageDays: z.number().nullable(),
  stale: z.boolean(),
  lastOutcome: z.enum(['updated', 'unchanged', 'failed']).nullable(),
  lastReason: z.string().nullable(),
  lastAttemptAt: z.string().nullable(),
});

/** GET /data/status (and /data/sources) response. */
export const dataStatusResponse = z.object({ items: z.array(freshnessItem) });

/** POST /data/update response. */
export const dataUpdateResponse = z.object({
  results: z.array(
    z.object({
      source: z.enum(DATA_SOURCES),
      outcome: z.enum(['updated', 'unchanged', 'failed']),
      version: z.string().optional(),
      rows: z.number().int().optional(),
      checksum: z.string().optional(),
      reason: z.string().optional(),
      kevAdded: z.array(z.string()).optional(),
    }),
  ),
});

/** 'data.update' until permissions.ts has it: admin and security. */
export function authorizeDataUpdate(res: { locals: Record<string, unknown> }): ReturnType<typeof identity> {
  const id = identity(res);
  const table = PERMISSIONS as Partial<Record<string, readonly Role[]>>;
  if (table['data.update']) authorize(id, 'data.update' as string as Action);
  else if (!['admin', 'security'].includes(id.role)) throw new AppError('FORBIDDEN', `The role "${id.role}" may not do data.update.`);
  return id;
}

type DataDeps = Pick<AppDeps, 'db' | 'config' | 'log' | 'now' | 'secrets' | 'outbound'>;

/** Runs an update of ScanHub's sources (or the Xray DB sync) for an admin or security identity; audited. */
export async function updateVulnerabilityData(deps: DataDeps, dataOptions: DataOptions, id: ReturnType<typeof identity>, input: unknown, requestId?: string) {
  const { db } = deps;
  const now = () => deps.now?.() ?? new Date();
  const body = dataUpdateBody.parse(input ?? {});
  if (body.tool === 'xray') {
    const results = await syncXrayDatabases(db, { secrets: deps.secrets, outbound: deps.outbound }, { trigger: true, now: now() });
    await audit(db, { actor: `token:${id.name}`, action: 'data.update', targetType: 'scanner-db', targetId: 'xray', after: { results } });
    return { results };
  }
  const sources = !body.source || body.source === 'all' ? DATA_SOURCES : [body.source];
  let results;
  try {
    results = await runManualUpdate(db, dataOptions, { sources, trigger: 'api', force: body.force, now: now(), outbound: deps.outbound });
  } catch (error) {
    if (error instanceof UpdateRunningError) throw new AppError('CONFLICT', error.message);
    throw error;
  }
  await audit(db, {
    actor: `token:${id.name}`,
    action: 'data.update',
    targetType: 'data-source',
    targetId: body.source ?? 'all',
    after: results.map((r) => ({ source: r.source, outcome: r.outcome, version: r.version ?? null, rows: r.rows ?? null, reason: r.reason ?? null })),
    requestId,
  });
  for (const r of results.filter((x) => x.outcome === 'failed')) deps.log.warn({ source: r.source, reason: r.reason }, 'vulnerability data update failed');
  const reassessed = await reassessAfterUpdate(db, results, now());
  return { results, reassessed };
}

/** ScanHub's own sources, then each scanner database ScanHub drives (Xray per JFrog instance). */
export async function vulnerabilityDataStatus(db: Queryable, now: Date, dataOptions: DataOptions) {
  return { items: await dataFreshness(db, now, dataOptions.staleAfterMs), scanners: await scannerDatabaseAges(db, now, dataOptions.staleAfterMs) };
}

/**
 * When the scheduler next updates every source: the last scheduled run plus the interval (the
 * scheduler moves last_run_at back after a failed run, so a retry shows here too). Null: never ran.
 */
export async function nextScheduledUpdate(db: Queryable, dataOptions: DataOptions): Promise<{ lastRunAt: string | null; nextRunAt: string | null; running: boolean }> {
  const { rows } = await db.query<{ last_run_at: Date | null; locked_until: Date | string | null }>(`SELECT last_run_at, locked_until FROM data_update_lock WHERE name = 'update'`);
  const last = rows[0]?.last_run_at ? new Date(rows[0].last_run_at) : null;
  const lockedUntil = rows[0]?.locked_until instanceof Date ? rows[0].locked_until : null;
  return {
    lastRunAt: last?.toISOString() ?? null,
    nextRunAt: last ? new Date(last.getTime() + dataOptions.updateIntervalMs).toISOString() : null,
    running: lockedUntil !== null && lockedUntil.getTime() > Date.now(),
  };
}

export function dataRoutes(deps: DataDeps, options?: DataOptions): Router {
  const { db } = deps;
  const dataOptions = options ?? dataOptionsFromConfig(deps.config as AppDeps['config'] & DataConfigFields);
  const now = () => deps.now?.() ?? new Date();
  const router = Router();

  router.post('/data/update', async (req, res) => {
    const id = authorizeDataUpdate(res);
    res.json(await updateVulnerabilityData(deps, dataOptions, id, req.body, res.locals.requestId as string | undefined));
  });

  const status: RequestHandler = async (_req, res) => {
    authorize(identity(res), 'read');
    res.json(await vulnerabilityDataStatus(db, now(), dataOptions));
  };
  router.get('/data/status', status);
  router.get('/data/sources', status);
  return router;
}
