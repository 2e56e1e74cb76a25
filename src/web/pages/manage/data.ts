// /data: each vulnerability source (KEV, EPSS, OSV) and scanner DB with its age, last update, next
// scheduled run and last error, and "Update now" (manage.js → POST /api/v1/data/update with progress;
// without JavaScript, a form post that waits). Same functions as the /data API routes.
import { Router, type Request, type Response } from 'express';
import { dataOptionsFromConfig, type DataConfigFields } from '../../../data/options.js';
import { nextScheduledUpdate, updateVulnerabilityData, vulnerabilityDataStatus } from '../../../http/routes/data.js';
import { authorize } from '../../../http/middleware/auth.js';
import type { AppDeps } from '../../../http/deps.js';
import { assertForm, renderPage } from '../../page.js';
import { field, identityOf, iso, requestIdOf, smallForm } from './shared.js';

export function dataPages(deps: AppDeps): Router {
  const { db } = deps;
  const router = Router();
  const dataOptions = dataOptionsFromConfig(deps.config as AppDeps['config'] & DataConfigFields);
  const now = () => deps.now?.() ?? new Date();

  async function show(_req: Request, res: Response, results?: unknown) {
    authorize(identityOf(res), 'read');
    const status = await vulnerabilityDataStatus(db, now(), dataOptions);
    const schedule = await nextScheduledUpdate(db, dataOptions);
    renderPage(res, 'manage/data', { title: 'Vulnerability data', nav: 'data' }, {
      sources: status.items.map((s) => ({ ...s, fetched: iso(s.fetchedAt), checked: iso(s.checkedAt), attempted: iso(s.lastAttemptAt), failed: s.lastOutcome === 'failed' })),
      scanners: status.scanners.map((s) => ({ ...s, checked: iso(s.checkedAt) })),
      lastRun: iso(schedule.lastRunAt),
      nextRun: iso(schedule.nextRunAt),
      running: schedule.running,
      staleAfterDays: Math.round(dataOptions.staleAfterMs / 86_400_000),
      intervalHours: Math.round(dataOptions.updateIntervalMs / 3_600_000),
      results: results ?? null,
    });
  }

  router.get('/data', (req, res) => show(req, res));
  router.post('/data/update', smallForm, async (req, res) => {
    const id = identityOf(res);
    assertForm(req, res);
    authorize(id, 'data.update');
    const source = field(req.body, 'source');
    const body = source === 'xray' ? { tool: 'xray' } : { source: source ?? 'all' };
    const outcome = await updateVulnerabilityData(deps, dataOptions, id, body, requestIdOf(res));
    await show(req, res, outcome.results);
  });
  return router;
}
