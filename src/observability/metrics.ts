// Prometheus metrics (prom-client). Two kinds:
// - this process's own: HTTP latency, submissions and findings ingested, jobs run — counters and
//   histograms that each instance reports for itself (sum them across instances);
// - the shared state in PostgreSQL, read at scrape time: queue depth and age, notification outcomes,
//   vulnerability-data age — the same for every instance (take max, not sum, across instances).
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queryable } from '../store/db.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'scanhub_' });

export const httpDuration = new Histogram({
  name: 'scanhub_http_request_duration_seconds',
  help: 'HTTP request latency by method, route pattern and status class.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const submissionsIngested = new Counter({
  name: 'scanhub_submissions_total',
  help: 'Submissions ingested by this instance, by verdict outcome.',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const findingsIngested = new Counter({
  name: 'scanhub_findings_ingested_total',
  help: 'Findings (occurrences) ingested by this instance, by tool.',
  labelNames: ['tool'] as const,
  registers: [registry],
});

export const ingestDuration = new Histogram({
  name: 'scanhub_ingest_duration_seconds',
  help: 'Time from a submission arriving to its verdict (parse, merge, store, assess).',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers: [registry],
});

export const jobsRun = new Counter({
  name: 'scanhub_jobs_total',
  help: 'Jobs this instance ran, by queue and outcome (done, retry, dead).',
  labelNames: ['queue', 'outcome'] as const,
  registers: [registry],
});

export const rowsPruned = new Counter({
  name: 'scanhub_rows_pruned_total',
  help: 'Rows removed by retention (finished jobs, failed uploads, recorded events, pruned submissions\' occurrences), by table.',
  labelNames: ['table'] as const,
  registers: [registry],
});

// Shared state, filled from the database at each scrape.
const queueDepth = new Gauge({ name: 'scanhub_queue_jobs', help: 'Jobs in the durable queue by queue and state (cluster-wide).', labelNames: ['queue', 'state'] as const, registers: [registry] });
const queueAge = new Gauge({ name: 'scanhub_queue_oldest_due_seconds', help: 'Age of the oldest due, unfinished job by queue (cluster-wide).', labelNames: ['queue'] as const, registers: [registry] });
const notifications = new Gauge({ name: 'scanhub_notifications', help: 'Notifications by state over the last 24 hours (cluster-wide).', labelNames: ['state'] as const, registers: [registry] });
const dataAge = new Gauge({ name: 'scanhub_vulnerability_data_age_seconds', help: 'Age of each vulnerability data source by its own publication date (cluster-wide).', labelNames: ['source'] as const, registers: [registry] });

async function readSharedState(db: Queryable): Promise<void> {
  const [depth, age, notes, data] = await Promise.all([
    db.query<{ queue: string; state: string; n: number }>(
      `SELECT queue, state, count(*)::int AS n FROM jobs
        WHERE state IN ('queued', 'running') OR (state = 'dead' AND finished_at > now() - interval '24 hours') GROUP BY queue, state`,
    ),
    db.query<{ queue: string; age: number }>(`SELECT queue, EXTRACT(EPOCH FROM now() - min(run_at))::float8 AS age FROM jobs WHERE state IN ('queued', 'running') AND run_at <= now() GROUP BY queue`),
    db.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM notifications WHERE created_at > now() - interval '24 hours' GROUP BY state`),
    db.query<{ source: string; age: number | null }>(`SELECT source, EXTRACT(EPOCH FROM now() - COALESCE(published_at, fetched_at))::float8 AS age FROM data_sources`),
  ]);
  queueDepth.reset();
  for (const r of depth.rows) queueDepth.set({ queue: r.queue, state: r.state }, r.n);
  queueAge.reset();
  for (const r of age.rows) queueAge.set({ queue: r.queue }, Math.max(0, r.age));
  notifications.reset();
  for (const r of notes.rows) notifications.set({ state: r.state }, r.n);
  dataAge.reset();
  for (const r of data.rows) if (r.age !== null) dataAge.set({ source: r.source }, r.age);
}

/** GET /metrics: Prometheus text; with SCANHUB_METRICS_TOKEN set, only for `Authorization: Bearer <it>`. */
export function metricsHandler(db: Queryable, token: string | undefined, safeEqual: (a: string, b: string) => boolean): RequestHandler {
  return async (req, res) => {
    if (token) {
      const given = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
      if (!given || !safeEqual(given, token)) {
        res.status(401).setHeader('WWW-Authenticate', 'Bearer realm="scanhub-metrics"').type('text/plain').send('metrics need the bearer token set in SCANHUB_METRICS_TOKEN\n');
        return;
      }
    }
    try {
      await readSharedState(db);
    } catch {
      // A database that is down shows in /readyz; this instance's own metrics still answer.
    }
    res.type(registry.contentType).send(await registry.metrics());
  };
}

/** Records each request's latency under its route pattern (never the raw path: bounded label values). */
export const observeRequests: RequestHandler = (req, res, next) => {
  const end = httpDuration.startTimer();
  res.on('finish', () => {
    const pattern = req.route?.path;
    const route = typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : 'unmatched';
    end({ method: req.method, route, status: `${Math.floor(res.statusCode / 100)}xx` });
  });
  next();
};
