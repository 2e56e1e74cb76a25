import { Router } from 'express';
import { migrationsCurrent } from '../../store/migrate.js';
import type { AppDeps } from '../deps.js';

export function healthRoutes({ db }: AppDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    let database = false;
    try {
      await db.query('SELECT 1');
      database = true;
    } catch {
      database = false;
    }
    const migrations = database && (await migrationsCurrent(db));
    const ready = database && migrations;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: { database, migrations } });
  });
  return router;
}
