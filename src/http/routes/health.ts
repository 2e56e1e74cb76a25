// Probes: /healthz = the process answers; /readyz = it can do work now (database reachable, schema
// current, not shutting down); /metrics = Prometheus text (src/observability/metrics.ts).
import { Router } from 'express';
import { migrationsCurrent } from '../../store/migrate.js';
import { metricsHandler } from '../../observability/metrics.js';
import { safeEqual } from '../../security/secrets.js';
import type { AppDeps } from '../deps.js';

export function healthRoutes({ db, lifecycle, config }: AppDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const draining = lifecycle?.draining ?? false;
    let database = false;
    try {
      await db.query('SELECT 1');
      database = true;
    } catch {
      database = false;
    }
    const migrations = database && (await migrationsCurrent(db).catch(() => false));
    const ready = database && migrations && !draining;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : draining ? 'draining' : 'not ready', checks: { database, migrations, draining } });
  });
  router.get('/metrics', metricsHandler(db, config.metricsToken, safeEqual));
  return router;
}
