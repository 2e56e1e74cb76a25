// Configuration from the environment, declared once: the README's table is generated from this,
// and every secret is marked so that logs and errors never show it.
import { z } from 'zod';

export interface ConfigField {
  env: string;
  description: string;
  secret?: boolean;
  example?: string;
}

const bytes = z
  .string()
  .regex(/^\d+(k|m|g)?b?$/i, 'a size such as 50mb or 1048576')
  .transform((v) => {
    const m = /^(\d+)(k|m|g)?/i.exec(v)!;
    const unit = (m[2] ?? '').toLowerCase();
    return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1);
  });

export const configFields = {
  role: { env: 'SCANHUB_ROLE', description: 'What this instance does: `api` (HTTP API and pages), `worker` (jobs and schedules; serves only /healthz, /readyz, /metrics) or `all`. Several instances share one PostgreSQL; the embedded PGlite needs `all`.', example: 'worker' },
  metricsToken: { env: 'SCANHUB_METRICS_TOKEN', description: 'When set, GET /metrics needs `Authorization: Bearer <it>` (Prometheus `authorization` / bearer_token).', secret: true },
  jobLeaseSeconds: { env: 'SCANHUB_JOB_LEASE', description: 'Seconds a worker holds a job without renewing it; a worker that died is replaced after this long.', example: '120' },
  jobRetentionDays: { env: 'SCANHUB_JOB_RETENTION', description: 'Days finished jobs (done or dead), failed uploads and recorded events are kept before workers prune them; at least 7 (a scheduled pull remembers its slot through its job).', example: '14' },
  submissionRetentionDays: {
    env: 'SCANHUB_SUBMISSION_RETENTION',
    description:
      'Days a submission keeps its findings once it is no longer the latest of its ref; older ones keep their verdict, counts and commit, and their reports answer 410. 0 (default): keep everything. At least 30 (a digest reads the new findings of its period).',
    example: '180',
  },
  shutdownGraceSeconds: { env: 'SCANHUB_SHUTDOWN_GRACE', description: 'Seconds a stopping instance (SIGTERM) gives in-flight requests and jobs before it releases what is left to other workers.', example: '25' },
  port: { env: 'PORT', description: 'HTTP port `scanhub serve` listens on.', example: '8080' },
  host: { env: 'HOST', description: 'Address to bind. Default 127.0.0.1; set 0.0.0.0 in a container.', example: '127.0.0.1' },
  databaseUrl: {
    env: 'DATABASE_URL',
    description: 'PostgreSQL connection URL (production). Unset: embedded PGlite in SCANHUB_DATA_DIR.',
    secret: true,
    example: 'postgres://scanhub:…@localhost:5432/scanhub',
  },
  dataDir: { env: 'SCANHUB_DATA_DIR', description: 'Directory of the embedded PGlite database.', example: './data' },
  tlsCert: { env: 'SCANHUB_TLS_CERT', description: 'PEM certificate (chain) file: with SCANHUB_TLS_KEY, serve HTTPS with HSTS.', example: '/etc/scanhub/tls.crt' },
  tlsKey: { env: 'SCANHUB_TLS_KEY', description: 'PEM private key file for SCANHUB_TLS_CERT.', secret: true, example: '/etc/scanhub/tls.key' },
  adminToken: {
    env: 'SCANHUB_ADMIN_TOKEN',
    description: 'Bootstrap admin API token. Unset on first start: one is generated and printed once.',
    secret: true,
  },
  secretKey: {
    env: 'SCANHUB_SECRET_KEY',
    description: 'Key (32 bytes, base64 or 64 hex) that encrypts stored credentials with AES-256-GCM. `scanhub secrets generate-key` makes one.',
    secret: true,
  },
  secretKeyFile: { env: 'SCANHUB_SECRET_KEY_FILE', description: 'File holding the secret key instead of SCANHUB_SECRET_KEY. Embedded first run generates `<data dir>/secret.key` (0600).', example: '/run/secrets/scanhub.key' },
  secretKeysOld: {
    env: 'SCANHUB_SECRET_KEYS_OLD',
    description: 'Comma-separated previous keys, still accepted for decryption while `scanhub secrets rotate` re-encrypts.',
    secret: true,
  },
  outboundAllow: {
    env: 'SCANHUB_OUTBOUND_ALLOW',
    description: 'Hosts or CIDRs that user-set URLs (channels, JFrog, GitLab, Jenkins, mirrors) may reach although private or loopback.',
    example: '127.0.0.1/8,10.0.0.0/8,jenkins.internal',
  },
  caBundle: { env: 'SCANHUB_CA_BUNDLE', description: 'PEM file of extra CA certificates trusted for outbound TLS (verification is always on).', example: '/etc/ssl/corp-ca.pem' },
  apiRateLimit: { env: 'SCANHUB_API_RATE_LIMIT', description: 'API requests a minute allowed per token (per instance); 0 turns the limit off.', example: '600' },
  chromium: { env: 'SCANHUB_CHROMIUM', description: 'Path of the Chromium binary that prints PDF reports (default: /usr/bin/chromium if present).', example: '/usr/bin/chromium' },
  publicUrl: { env: 'SCANHUB_PUBLIC_URL', description: 'The URL people reach ScanHub at, for links in reports, notifications and MR notes.', example: 'https://scanhub.example.com' },
  jfrogUrl: { env: 'SCANHUB_JFROG_URL', description: 'Bootstraps a JFrog integration named "default" on start (with SCANHUB_JFROG_TOKEN); operator-set, so trusted by the outbound guard.', example: 'https://acme.jfrog.io' },
  jfrogToken: { env: 'SCANHUB_JFROG_TOKEN', description: 'Access token of the bootstrapped JFrog integration.', secret: true },
  jfrogWebhookSecret: { env: 'SCANHUB_JFROG_WEBHOOK_SECRET', description: 'Webhook secret of the bootstrapped JFrog integration (X-JFrog-Event-Auth).', secret: true },
  sonarqubeUrl: { env: 'SCANHUB_SONARQUBE_URL', description: 'Bootstraps a SonarQube integration named "default" on start (with SCANHUB_SONARQUBE_TOKEN); operator-set, so trusted by the outbound guard.', example: 'https://sonar.example.com' },
  sonarqubeToken: { env: 'SCANHUB_SONARQUBE_TOKEN', description: 'User token (Browse on the pulled projects) of the bootstrapped SonarQube integration.', secret: true },
  sonarqubeWebhookSecret: { env: 'SCANHUB_SONARQUBE_WEBHOOK_SECRET', description: 'Secret of the SonarQube analysis webhook (X-Sonar-Webhook-HMAC-SHA256) of the bootstrapped integration.', secret: true },
  nexusIqUrl: { env: 'SCANHUB_NEXUSIQ_URL', description: 'Bootstraps a Nexus IQ integration named "default" on start (with SCANHUB_NEXUSIQ_USER and SCANHUB_NEXUSIQ_TOKEN); operator-set, so trusted.', example: 'https://iq.example.com:8070' },
  nexusIqUser: { env: 'SCANHUB_NEXUSIQ_USER', description: 'User name or user-token code of the bootstrapped Nexus IQ integration.', example: 'scanhub' },
  nexusIqToken: { env: 'SCANHUB_NEXUSIQ_TOKEN', description: 'Password or user-token passcode of the bootstrapped Nexus IQ integration.', secret: true },
  nexusIqWebhookSecret: { env: 'SCANHUB_NEXUSIQ_WEBHOOK_SECRET', description: 'Secret Key of the IQ webhook (X-Nexus-Webhook-Signature) of the bootstrapped integration.', secret: true },
  gitlabUrl: { env: 'SCANHUB_GITLAB_URL', description: 'GitLab that pipeline verdicts are written back to when no GitLab integration is configured (operator-set, trusted).', example: 'https://gitlab.example.com' },
  gitlabToken: { env: 'SCANHUB_GITLAB_TOKEN', description: 'Project or group access token (api scope) for SCANHUB_GITLAB_URL.', secret: true },
  kevUrl: { env: 'SCANHUB_KEV_URL', description: 'CISA KEV catalogue URL (a mirror); default the public feed.', example: 'https://mirror.example.com/kev.json' },
  epssUrl: { env: 'SCANHUB_EPSS_URL', description: 'FIRST EPSS daily CSV (gzip) URL (a mirror); default the public feed.' },
  osvUrl: { env: 'SCANHUB_OSV_URL', description: 'OSV record URLs, comma-separated (JSON per advisory or a zip per ecosystem); default the public ecosystem zips.' },
  dataFetchTimeoutMs: { env: 'SCANHUB_DATA_FETCH_TIMEOUT', description: 'Seconds a vulnerability-data download may take.', example: '120' },
  dataMaxDownload: { env: 'SCANHUB_DATA_MAX_DOWNLOAD', description: 'Largest vulnerability-data download accepted.', example: '512mb' },
  dataStaleAfterMs: { env: 'SCANHUB_DATA_STALE_HOURS', description: 'Hours after which a data source counts as stale (data.stale events, verdict freshness).', example: '72' },
  dataUpdateIntervalMs: { env: 'SCANHUB_DATA_UPDATE_HOURS', description: 'Hours between scheduled data updates (one worker at a time across instances).', example: '24' },
  dataAutoUpdate: { env: 'SCANHUB_DATA_AUTO_UPDATE', description: 'Run the scheduled vulnerability-data update (default: on with PostgreSQL, off with embedded PGlite; `scanhub db update` always works).', example: 'true' },
  dataPublicKey: { env: 'SCANHUB_DATA_PUBLIC_KEY', description: 'Ed25519 public key (base64 DER, PEM or a file) that offline bundles must be signed with (`scanhub db import`).' },
  dataSigningKey: { env: 'SCANHUB_DATA_SIGNING_KEY', description: 'Ed25519 private key (base64 DER, PEM or a file) that signs bundles (`scanhub db bundle`).', secret: true },
  maxUploadSize: { env: 'SCANHUB_MAX_UPLOAD', description: 'Largest report file accepted (per file).', example: '50mb' },
  streamIngestAbove: {
    env: 'SCANHUB_STREAM_INGEST_ABOVE',
    description: 'A worker reads submissions whose reports total more than this item by item, holding one batch at a time (the JSON of Trivy, Grype, Semgrep, Bandit, SARIF, Xray summaries, Dependency-Check, OSV-Scanner and CycloneDX; other formats are read whole). Raise SCANHUB_MAX_UPLOAD to accept such reports.',
    example: '64mb',
  },
  asyncIngestAbove: { env: 'SCANHUB_ASYNC_INGEST_ABOVE', description: 'Submissions whose reports total more than this are answered 202 at once and ingested by a worker (as with `Prefer: respond-async`); GET the submission for its verdict.', example: '16mb' },
  maxReports: { env: 'SCANHUB_MAX_REPORTS', description: 'Most report files in one submission.', example: '20' },
  logLevel: { env: 'LOG_LEVEL', description: 'pino log level: fatal, error, warn, info, debug, trace, silent.', example: 'info' },
  demo: { env: 'SCANHUB_DEMO', description: 'Seed the demo project on first start (default: on with PGlite, off with PostgreSQL).', example: 'true' },
  url: { env: 'SCANHUB_URL', description: 'CLI: base URL of the ScanHub server for `submit`.', example: 'http://127.0.0.1:8080' },
  token: { env: 'SCANHUB_TOKEN', description: 'CLI: API token used by `submit`.', secret: true },
} as const satisfies Record<string, ConfigField>;

/**
 * Shortest retention of finished jobs. A scheduled pull fires once per slot of its interval (up to 7
 * days, src/bridges/schedule.ts) because its finished job is remembered (enqueueOnce): the job must
 * outlive the slot it was queued in, or the slot would fire again.
 */
export const MIN_RETENTION_DAYS = 7;

/** Shortest retention of submission detail: a digest (at most monthly) reads the new findings of its period. */
export const MIN_SUBMISSION_RETENTION_DAYS = 30;

const bool = z
  .string()
  .regex(/^(true|false|1|0|yes|no)$/i, 'true or false')
  .transform((v) => /^(true|1|yes)$/i.test(v));

export const configSchema = z.object({
  role: z.enum(['api', 'worker', 'all']).default('all'),
  metricsToken: z.string().min(16, 'at least 16 characters').optional(),
  jobLeaseSeconds: z.coerce.number().int().min(3).max(3600).default(120),
  jobRetentionDays: z.coerce.number().int().min(MIN_RETENTION_DAYS, `at least ${MIN_RETENTION_DAYS} days (a scheduled pull remembers its slot through its job)`).max(3650).default(14),
  submissionRetentionDays: z.coerce
    .number()
    .int()
    .max(36_500)
    .refine((d) => d === 0 || d >= MIN_SUBMISSION_RETENTION_DAYS, `0 (keep everything) or at least ${MIN_SUBMISSION_RETENTION_DAYS} days (a digest reads the new findings of its period)`)
    .default(0),
  shutdownGraceSeconds: z.coerce.number().int().min(0).max(3600).default(25),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
  dataDir: z.string().min(1).default('./data'),
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  adminToken: z.string().min(16, 'at least 16 characters').optional(),
  secretKey: z.string().min(1).optional(),
  secretKeyFile: z.string().min(1).optional(),
  secretKeysOld: z.string().optional(),
  outboundAllow: z.string().optional(),
  caBundle: z.string().min(1).optional(),
  apiRateLimit: z.coerce.number().int().min(0).max(1_000_000).default(600),
  chromium: z.string().min(1).optional(),
  publicUrl: z.string().url().refine((v) => /^https?:\/\//.test(v), 'an http(s) URL').optional(),
  jfrogUrl: z.string().url().optional(),
  jfrogToken: z.string().min(1).optional(),
  jfrogWebhookSecret: z.string().min(8, 'at least 8 characters').optional(),
  sonarqubeUrl: z.string().url().optional(),
  sonarqubeToken: z.string().min(1).optional(),
  sonarqubeWebhookSecret: z.string().min(8, 'at least 8 characters').optional(),
  nexusIqUrl: z.string().url().optional(),
  nexusIqUser: z.string().min(1).optional(),
  nexusIqToken: z.string().min(1).optional(),
  nexusIqWebhookSecret: z.string().min(8, 'at least 8 characters').optional(),
  gitlabUrl: z.string().url().optional(),
  gitlabToken: z.string().min(1).optional(),
  kevUrl: z.string().url().optional(),
  epssUrl: z.string().url().optional(),
  osvUrl: z.string().min(1).optional(),
  dataFetchTimeoutMs: z.coerce.number().int().min(1).max(3600).transform((s) => s * 1000).optional(),
  dataMaxDownload: bytes.optional(),
  dataStaleAfterMs: z.coerce.number().int().min(1).max(8760).transform((h) => h * 3_600_000).optional(),
  dataUpdateIntervalMs: z.coerce.number().int().min(1).max(8760).transform((h) => h * 3_600_000).optional(),
  dataAutoUpdate: bool.optional(),
  dataPublicKey: z.string().min(1).optional(),
  dataSigningKey: z.string().min(1).optional(),
  maxUploadSize: bytes.default(50 * 1024 * 1024),
  asyncIngestAbove: bytes.default(16 * 1024 * 1024),
  streamIngestAbove: bytes.default(64 * 1024 * 1024),
  maxReports: z.coerce.number().int().min(1).max(200).default(20),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  demo: bool.optional(),
  url: z.string().url().optional(),
  token: z.string().optional(),
});

export type Config = z.output<typeof configSchema>;

export type ConfigKey = keyof typeof configFields;

export const secretConfigKeys = (Object.keys(configFields) as ConfigKey[]).filter((k) => 'secret' in configFields[k] && configFields[k].secret);
