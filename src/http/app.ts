// createApp(deps): the whole HTTP surface, without listen(), so tests start it on a random port.
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { AppError } from '../errors.js';
import type { AppDeps } from './deps.js';
import { authenticate, SAFE_METHODS } from './middleware/auth.js';
import { WindowLimiter } from '../security/rate-limit.js';
import { errorHandler, notFound } from './middleware/errors.js';
import { findingRoutes } from './routes/findings.js';
import { healthRoutes } from './routes/health.js';
import { webRoutes } from '../web/routes.js';
import { projectRoutes } from './routes/projects.js';
import { submissionRoutes } from './routes/submissions.js';
import { policyRoutes } from './routes/policies.js';
import { exceptionRoutes } from './routes/exceptions.js';
import { scanConfigRoutes } from './routes/scan-config.js';
import { adminRoutes } from './routes/admin.js';
import { integrationRoutes } from './routes/integrations.js';
import { webhookRoutes } from './routes/webhooks.js';
import { reportRoutes } from './routes/reports.js';
import { ackPageRoutes, alertRoutes } from './routes/alerts.js';
import { dataRoutes } from './routes/data.js';
import { scanRoutes } from './routes/scans.js';
import helmet from 'helmet';
import { observeRequests } from '../observability/metrics.js';
import { buildOpenApi } from './openapi.js';
import { API_ROUTES } from './permissions.js';
import { scanhubVersion } from '../paths.js';

const INGEST_PATH = /^\/(?:api\/v1\/projects\/[^/]+\/submissions|webhooks\/)/;

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');

  app.use(observeRequests);
  // A request that may change tokens or projects turns this instance's caches off until it is answered,
  // then empties them (see Lookups.hold). Report uploads and webhooks change neither.
  const lookups = deps.lookups;
  if (lookups) {
    app.use((req, res, next) => {
      if (SAFE_METHODS.has(req.method) || INGEST_PATH.test(req.path)) return next();
      const release = lookups.hold();
      res.once('finish', release);
      res.once('close', release);
      next();
    });
  }
  app.use((req, res, next) => {
    const incoming = req.get('x-request-id');
    res.locals.requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', res.locals.requestId as string);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      deps.log.info(
        { requestId: res.locals.requestId, method: req.method, path: req.path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 },
        'request',
      );
    });
    next();
  });

  // Security headers on every response; pages load only their own stylesheet and script, and post only to us.
  app.use(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], styleSrc: ["'self'", "'unsafe-inline'"], scriptSrc: ["'self'"], connectSrc: ["'self'"], imgSrc: ["'self'", 'data:'], formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"] } },
      // same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on our own form posts.
      referrerPolicy: { policy: 'same-origin' },
      // HSTS only when ScanHub itself terminates TLS; behind a proxy, the proxy sets it.
      strictTransportSecurity: deps.config.tlsCert ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    }),
  );
  // PostgreSQL text cannot hold NUL; such input is refused at the door rather than failing deep inside.
  app.use((req, _res, next) => next(/%00|\0/i.test(req.url) ? new AppError('BAD_REQUEST', 'NUL characters are not allowed in URLs.') : undefined));
  app.use(healthRoutes(deps));
  app.use(webhookRoutes(deps));
  app.use(ackPageRoutes(deps));

  const openapi = JSON.stringify(buildOpenApi(scanhubVersion));
  app.get('/api/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });

  const api = express.Router();
  api.use(
    express.json({
      limit: '1mb',
      reviver: (_key, value: unknown) => {
        if (typeof value === 'string' && value.includes('\u0000')) throw new SyntaxError('NUL characters are not allowed in strings');
        return value;
      },
    }),
  );
  api.use(
    authenticate(deps.db, {
      lookups: deps.lookups,
      limiter: deps.authLimiter ?? new WindowLimiter(30, 60_000),
      perToken: deps.config.apiRateLimit > 0 ? new WindowLimiter(deps.config.apiRateLimit, 60_000) : undefined,
    }),
  );
  // A literal path (e.g. /exceptions/import) wins over a parameter route (/exceptions/:id) for the 405 answer.
  const known = API_ROUTES.map((r) => ({ method: r.method, literal: !r.path.includes(':'), pattern: new RegExp('^' + r.path.replace(/:\w+/g, '[^/]+') + '/?$') }));
  api.use(methodNotAllowed(known.filter((k) => k.literal)));
  api.use(projectRoutes(deps));
  api.use(submissionRoutes(deps));
  api.use(findingRoutes(deps));
  api.use(policyRoutes(deps));
  api.use(exceptionRoutes(deps));
  api.use(scanConfigRoutes(deps));
  api.use(adminRoutes(deps));
  api.use(integrationRoutes(deps));
  api.use(reportRoutes(deps));
  api.use(alertRoutes(deps));
  api.use(dataRoutes(deps));
  api.use(scanRoutes(deps));
  api.get('/scanners', (_req, res) => {
    res.json({ items: deps.scanners.map((s) => ({ id: s.id, name: s.name, formats: s.formats })) });
  });
  api.use(methodNotAllowed(known));
  app.use('/api/v1', api);
  app.use('/api', (_req, _res, next) => next(new AppError('NOT_FOUND', 'Unknown API path. The API lives under /api/v1.')));
  app.use(webRoutes(deps));

  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}

/** A known path asked with a method it does not have: 405 with an Allow header listing those it has. */
function methodNotAllowed(known: { method: string; pattern: RegExp }[]): express.RequestHandler {
  return (req, res, next) => {
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const matching = known.filter((k) => k.pattern.test(req.path));
    if (matching.length === 0 || matching.some((k) => k.method === method)) return next();
    const allowed = [...new Set(matching.map((k) => k.method))];
    res.setHeader('Allow', allowed.join(', '));
    next(new AppError('METHOD_NOT_ALLOWED', `${req.method} is not supported here; use ${allowed.join(' or ')}.`));
  };
}

/** A worker instance's HTTP surface: probes and metrics only (SCANHUB_ROLE=worker). */
export function createProbeApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(observeRequests);
  app.use(healthRoutes(deps));
  app.use((req, _res, next) => next(new AppError('NOT_FOUND', `No route ${req.method} ${req.path}: this instance is a worker (SCANHUB_ROLE=worker) and serves only /healthz, /readyz and /metrics.`)));
  app.use(errorHandler(deps.log));
  return app;
}
