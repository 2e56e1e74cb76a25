// Composition root for `scanhub serve`: config → db → migrate → bootstrap → http, closed on signals.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { hostname } from 'node:os';
import { connections, notifiers, scanners } from '../integrations/index.js';
import { createOutbound } from './security/outbound.js';
import { notificationSettings } from './notify/settings.js';
import { startWorker } from './jobs/queue.js';
import { retentionTask } from './jobs/retention.js';
import { createDeliveryHandler } from './notify/deliver.js';
import { createEscalationHandler } from './notify/escalate-digest.js';
import { DELIVER_QUEUE, ESCALATE_QUEUE } from './notify/plan.js';
import { createImageRemovedHandler, createXrayScanHandler, createXrayWebhookHandler } from '../integrations/scanners/xray/bridge.js';
import { CI_PUBLISH_QUEUE, CI_TRIGGER_QUEUE, createCiPublishHandler, createCiTriggerHandler } from '../integrations/ci/gitlab/publish-job.js';
import { XRAY_REMOVED_QUEUE, XRAY_SCAN_QUEUE, XRAY_WEBHOOK_QUEUE } from './http/routes/webhooks.js';
import { loadSecretBox } from './security/keyring.js';
import { sealedByKey } from './store/repositories/integrations.js';
import type { Config } from './config/schema.js';
import { ConfigError } from './config/load.js';
import { createApp, createProbeApp } from './http/app.js';
import type { Logger } from './logger.js';
import { openDatabase, type Database } from './store/db.js';
import { Lookups } from './store/lookup-cache.js';
import { migrate } from './store/migrate.js';
import { ensureBootstrapAdmin } from './security/tokens.js';
import { seedDemo } from './demo.js';
import { dataOptionsFromConfig, runScheduledUpdate } from './data/index.js';
import { reassessAfterUpdate } from './data/reassess.js';
import { bootstrapIntegrations, operatorUrls } from './integrations-bootstrap.js';
import { createSonarPullHandler, SONARQUBE_PULL_QUEUE } from '../integrations/scanners/sonarqube/bridge.js';
import { createNexusIqPullHandler, NEXUSIQ_PULL_QUEUE } from '../integrations/scanners/nexus-iq/bridge.js';
import { enqueueScheduledPulls } from './bridges/schedule.js';
import { startScheduler, type Task } from './jobs/scheduler.js';
import { createIngestHandler, INGEST_QUEUE } from './ingest/async.js';

/** Certificate and key from SCANHUB_TLS_CERT / SCANHUB_TLS_KEY; both or neither. */
function tlsOptions(config: Config): { cert: Buffer; key: Buffer; minVersion: 'TLSv1.2' } | undefined {
  if (!config.tlsCert && !config.tlsKey) return undefined;
  if (!config.tlsCert || !config.tlsKey) throw new ConfigError('Set both SCANHUB_TLS_CERT and SCANHUB_TLS_KEY to serve HTTPS.');
  try {
    return { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey), minVersion: 'TLSv1.2' };
  } catch (error) {
    throw new ConfigError(`Cannot read the TLS certificate or key: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`);
  }
}

export interface RunningServer {
  server: Server;
  db: Database;
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const secrets = loadSecretBox(config, log);
  // Hosts the operator named in the environment are trusted by the outbound guard.
  const operatorHosts = operatorUrls(config).map((u) => new URL(u).hostname);
  const outbound = createOutbound({ ...config, outboundAllow: [config.outboundAllow, ...operatorHosts].filter(Boolean).join(',') });
  notificationSettings.publicUrl = config.publicUrl;
  if (!secrets) log.warn('no SCANHUB_SECRET_KEY: ScanHub will refuse to store credentials (integrations, channels)');
  const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  // The embedded database lives in this process: nothing else could do its jobs or serve its API.
  if (db.kind === 'pglite' && config.role !== 'all') {
    await db.close();
    throw new ConfigError(`SCANHUB_ROLE=${config.role} needs a shared PostgreSQL (DATABASE_URL): with the embedded database one instance does everything (role all).`);
  }
  const serveApi = config.role !== 'worker';
  const runJobs = config.role !== 'api';
  try {
    // Every instance migrates under an advisory lock: the first applies, the others find nothing to do.
    const applied = await migrate(db);
    if (applied.length) log.info({ applied }, 'migrations applied');
    if (serveApi) {
      const generated = await ensureBootstrapAdmin(db, config.adminToken);
      if (generated) {
        // Shown once, on the console only (never logged): the database keeps just its hash.
        process.stderr.write(
          `\nScanHub generated an admin API token. It is shown only this once — store it now:\n\n  ${generated}\n\n` +
            `Sign in at ${config.tlsCert ? 'https' : 'http'}://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}/login with it, or use it as SCANHUB_TOKEN.\n\n`,
        );
      }
    }
    const unreadable = Object.entries(await sealedByKey(db)).filter(([keyId]) => !secrets?.canDecrypt(keyId));
    if (unreadable.length) {
      log.error({ keys: Object.fromEntries(unreadable) }, 'stored credentials are sealed under keys this instance does not have: set SCANHUB_SECRET_KEYS_OLD or finish `scanhub secrets rotate`');
    }
    await bootstrapIntegrations(db, config, secrets);
    const demo = config.demo ?? db.kind === 'pglite';
    if (demo && serveApi) {
      const seeded = await seedDemo(db, scanners);
      if (seeded) log.info({ project: seeded }, 'demo project seeded');
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  const lifecycle = { draining: false };
  // Only the API reads tokens and projects per request; the cache listens from its own connection.
  const lookups = serveApi ? await new Lookups().start(db) : undefined;
  const deps = { db, scanners, connections, notifiers, outbound, secrets, config, log, lifecycle, lookups };
  const app = serveApi ? createApp(deps) : createProbeApp(deps);
  const server = await new Promise<Server>((resolve, reject) => {
    const tls = tlsOptions(config);
    const s: Server = tls ? createHttpsServer(tls, app) : createHttpServer(app);
    s.once('error', reject);
    s.listen(config.port, config.host, () => resolve(s));
  }).catch(async (error: unknown) => {
    await lookups?.close();
    await db.close();
    throw error;
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `${config.tlsCert ? 'https' : 'http'}://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  log.info({ url, database: db.kind, role: config.role }, 'ScanHub listening');
  const background = runJobs ? startBackground(db, config, log, { secrets, outbound }) : undefined;
  let closing: Promise<void> | undefined;
  return {
    server,
    db,
    url,
    close() {
      closing ??= (async () => {
        // Not ready first, so load balancers stop sending; then no new connections, in-flight requests finish.
        lifecycle.draining = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections?.();
        const forced = setTimeout(() => server.closeAllConnections?.(), config.shutdownGraceSeconds * 1000);
        await background?.stop(config.shutdownGraceSeconds * 1000);
        await closed;
        clearTimeout(forced);
        await lookups?.close();
        await db.close();
        log.info({ role: config.role }, 'stopped');
      })();
      return closing;
    },
  };
}

/** The worker side of an instance: the job worker and the scheduler (roles worker and all). */
function startBackground(db: Database, config: Config, log: Logger, { secrets, outbound }: { secrets: ReturnType<typeof loadSecretBox>; outbound: ReturnType<typeof createOutbound> }) {
  const dataOptions = dataOptionsFromConfig(config);
  const autoUpdate = config.dataAutoUpdate ?? db.kind === 'postgres';
  const vulnerabilityData: Task = {
    name: 'vulnerability-data',
    everyMs: 15 * 60_000,
    run: async (at) => {
      const run = await runScheduledUpdate(db, dataOptions, at, { outbound });
      if (!run.ran) return 0;
      for (const r of run.results) if (r.outcome === 'failed') log.warn({ source: r.source, reason: r.reason }, 'vulnerability data update failed; the previous data stays in use');
      const reassessed = await reassessAfterUpdate(db, run.results, at);
      if (reassessed.changed.length) log.info({ changed: reassessed.changed.length }, 'verdicts re-assessed after a data update');
      return run.results.filter((r) => r.outcome === 'updated').length;
    },
  };
  const scheduler = startScheduler(db, log, {
    extra: [
      { name: 'bridge-pulls', everyMs: 60_000, run: (at) => enqueueScheduledPulls(db, at) },
      retentionTask(db, { jobDays: config.jobRetentionDays, submissionDays: config.submissionRetentionDays }),
      ...(autoUpdate ? [vulnerabilityData] : []),
    ],
  });
  const ciDeps = { db, secrets, outbound, log, envSettings: config.gitlabUrl && config.gitlabToken ? { url: config.gitlabUrl, token: config.gitlabToken, mergeRequestNotes: true, commitStatuses: true } : undefined, publicUrl: config.publicUrl };
  const worker = startWorker(
    db,
    {
      [INGEST_QUEUE]: createIngestHandler({ db, scanners, streamAbove: config.streamIngestAbove }),
      [DELIVER_QUEUE]: createDeliveryHandler({ db, notifiers, connections, secrets, outbound, log, chromium: config.chromium }),
      [ESCALATE_QUEUE]: createEscalationHandler(db),
      [XRAY_SCAN_QUEUE]: createXrayScanHandler({ db, scanners, secrets, outbound, log }),
      [XRAY_REMOVED_QUEUE]: createImageRemovedHandler({ db, secrets }),
      [XRAY_WEBHOOK_QUEUE]: createXrayWebhookHandler({ db, scanners, secrets }),
      [SONARQUBE_PULL_QUEUE]: createSonarPullHandler({ db, scanners, secrets, outbound, log }),
      [NEXUSIQ_PULL_QUEUE]: createNexusIqPullHandler({ db, scanners, secrets, outbound, log }),
      [CI_PUBLISH_QUEUE]: createCiPublishHandler(ciDeps),
      [CI_TRIGGER_QUEUE]: createCiTriggerHandler(ciDeps),
    },
    { id: `${hostname()}:${process.pid}`, log, leaseMs: config.jobLeaseSeconds * 1000 },
  );
  return {
    async stop(graceMs: number) {
      await scheduler.stop();
      await worker.stop({ graceMs });
    },
  };
}
