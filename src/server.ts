// Composition root for `scanhub serve`: config → db → migrate → bootstrap → http, closed on signals.
import type { Server } from 'node:http';
import { scanners } from '../integrations/index.js';
import type { Config } from './config/schema.js';
import { createApp } from './http/app.js';
import type { Logger } from './logger.js';
import { openDatabase, type Database } from './store/db.js';
import { migrate } from './store/migrate.js';
import { ensureBootstrapAdmin } from './security/tokens.js';
import { seedDemo } from './demo.js';
import { startScheduler } from './jobs/scheduler.js';

export interface RunningServer {
  server: Server;
  db: Database;
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    const applied = await migrate(db);
    if (applied.length) log.info({ applied }, 'migrations applied');
    const generated = await ensureBootstrapAdmin(db, config.adminToken);
    if (generated) {
      // Shown once, on the console only (never logged): the database keeps just its hash.
      process.stderr.write(
        `\nScanHub generated an admin API token. It is shown only this once — store it now:\n\n  ${generated}\n\n` +
          `Sign in at http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}/login with it, or use it as SCANHUB_TOKEN.\n\n`,
      );
    }
    const demo = config.demo ?? db.kind === 'pglite';
    if (demo) {
      const seeded = await seedDemo(db, scanners);
      if (seeded) log.info({ project: seeded }, 'demo project seeded');
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  const app = createApp({ db, scanners, config, log });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  }).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  log.info({ url, database: db.kind }, 'ScanHub listening');
  const scheduler = startScheduler(db, log);
  let closing: Promise<void> | undefined;
  return {
    server,
    db,
    url,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections?.();
        await scheduler.stop();
        await db.close();
      })();
      return closing;
    },
  };
}
