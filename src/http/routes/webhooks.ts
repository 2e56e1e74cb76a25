// Inbound webhooks: push sources (/webhooks/artifactory), Xray, GitLab, SonarQube and Nexus IQ. They carry
// no API token: each is authenticated against the secrets of the configured JFrog integrations, in
// constant time over the raw bytes, before the body is even parsed. Work is queued durably and the
// answer comes at once (202), so the sender never waits on a scan.
import express, { Router, type Request } from 'express';
import picomatch from 'picomatch';
import { z } from 'zod';
import { artifactorySource } from '../../../integrations/sources/artifactory/index.js';
import { jfrogConnection } from '../../../integrations/scanners/xray/connection.js';
import { gitlabConnection } from '../../../integrations/ci/gitlab/connection.js';
import { sonarqubeConnection } from '../../../integrations/scanners/sonarqube/connection.js';
import { parseSonarWebhook, verifySonarWebhook } from '../../../integrations/scanners/sonarqube/webhook.js';
import { SONARQUBE_PULL_QUEUE } from '../../../integrations/scanners/sonarqube/bridge.js';
import { nexusIqConnection } from '../../../integrations/scanners/nexus-iq/connection.js';
import { IQ_ALGORITHM_HEADER, IQ_SIGNATURE_HEADER, readIqWebhook, verifyIqSignature } from '../../../integrations/scanners/nexus-iq/webhook.js';
import { NEXUSIQ_PULL_QUEUE } from '../../../integrations/scanners/nexus-iq/bridge.js';
import { IntegrationError } from '../../plugins/integration-error.js';
import { recordFailedScan } from '../../ingest/failed-scan.js';
import { audit } from '../../store/audit.js';
import type { Database, Queryable } from '../../store/db.js';
import { findProject } from '../../store/repositories/projects.js';
import { AppError } from '../../errors.js';
import { enqueue } from '../../jobs/queue.js';
import { WindowLimiter } from '../../security/rate-limit.js';
import { safeEqual } from '../../security/secrets.js';
import { recordEvent } from '../../store/events.js';
import { loadIntegrationSecrets } from '../../store/repositories/integrations.js';
import type { AppDeps } from '../deps.js';

export type JfrogSettings = z.output<typeof jfrogConnection.configSchema>;

/** The integration kinds that receive webhooks; each carries a webhookSecret. */
const WEBHOOK_SPECS = { jfrog: jfrogConnection, gitlab: gitlabConnection, sonarqube: sonarqubeConnection, 'nexus-iq': nexusIqConnection } as const;
type WebhookKind = keyof typeof WEBHOOK_SPECS;
type SonarSettings = z.output<typeof sonarqubeConnection.configSchema>;
type IqSettings = z.output<typeof nexusIqConnection.configSchema>;

interface Candidate {
  id: string;
  settings: JfrogSettings | z.output<typeof gitlabConnection.configSchema> | SonarSettings | IqSettings;
}

export const XRAY_SCAN_QUEUE = 'xray.scan';
export const XRAY_REMOVED_QUEUE = 'xray.image-removed';
export const XRAY_WEBHOOK_QUEUE = 'xray.webhook';

export function webhookRoutes(deps: AppDeps): Router {
  const { db } = deps;
  const router = Router();
  const raw = express.raw({ type: () => true, limit: '1mb' });
  const failures = new WindowLimiter(30, 60_000);

  async function candidates(kind: WebhookKind, integrationId: string | undefined): Promise<Candidate[]> {
    if (integrationId !== undefined && !z.uuid().safeParse(integrationId).success) throw new AppError('WEBHOOK_UNAUTHENTICATED');
    const spec = WEBHOOK_SPECS[kind];
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM integrations WHERE kind = $1 AND enabled ${integrationId ? 'AND id = $2' : ''} ORDER BY created_at`,
      integrationId ? [kind, integrationId] : [kind],
    );
    const out: Candidate[] = [];
    for (const row of rows) out.push({ id: row.id, settings: await loadIntegrationSecrets<Candidate['settings']>(db, deps.secrets, spec, row.id) });
    return out;
  }

  /** The integration whose secret the request proves, or 401 (counted against the sender's address). */
  async function authenticated(req: Request, prove: (secret: string) => boolean, kind: WebhookKind = 'jfrog'): Promise<Candidate> {
    const client = req.socket.remoteAddress ?? 'unknown';
    const wait = failures.retryAfter(client);
    if (wait > 0) throw new AppError('RATE_LIMITED', `Too many unauthenticated webhooks from this address; retry in ${wait} s.`);
    for (const candidate of await candidates(kind, typeof req.params.integration === 'string' ? req.params.integration : undefined)) {
      const secret = candidate.settings.webhookSecret;
      if (secret && prove(secret)) return candidate;
    }
    failures.record(client);
    throw new AppError('WEBHOOK_UNAUTHENTICATED');
  }

  function parseJson(req: Request): unknown {
    try {
      return JSON.parse((req.body as Buffer).toString('utf8'));
    } catch {
      throw new AppError('BAD_REQUEST', 'The webhook body is not valid JSON.');
    }
  }

  const watched = (settings: JfrogSettings, repository: string, image: string) =>
    picomatch.isMatch(repository, settings.watch.repositories, { dot: true }) && picomatch.isMatch(image, settings.watch.images, { dot: true });

  router.post(['/webhooks/artifactory', '/webhooks/artifactory/:integration'], raw, async (req, res) => {
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const { id, settings: found } = await authenticated(req, (secret) => artifactorySource.authenticate(req.headers, rawBody, secret));
    const settings = found as JfrogSettings;
    let event;
    try {
      event = artifactorySource.classify(parseJson(req));
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError('VALIDATION_FAILED', `The Artifactory event is not valid: ${error instanceof z.ZodError ? error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (error as Error).message}`);
    }
    if (event.action === 'ignored') {
      res.status(202).json({ status: 'ignored', reason: event.reason });
      return;
    }
    if (event.action === 'test') {
      res.status(200).json({ status: 'ok', test: true, message: 'ScanHub received the test event.' });
      return;
    }
    if (!watched(settings, event.image.repository, event.image.image)) {
      res.status(202).json({ status: 'ignored', reason: `${event.image.repository}/${event.image.image} is not watched by this integration` });
      return;
    }
    const payload = { integrationId: id, image: event.image, detail: event.detail, receivedAt: new Date().toISOString() };
    if (event.action === 'promoted') {
      await recordEvent(db, 'image.promoted', null, payload);
      res.status(202).json({ status: 'recorded' });
      return;
    }
    const queue = event.action === 'scan' ? XRAY_SCAN_QUEUE : XRAY_REMOVED_QUEUE;
    const dedupeKey = `${id}:${event.image.digest}:${event.image.tag}`;
    // A delivery Artifactory retries, or a replay, within the hour is the same push: no second scan.
    const recent = await db.query<{ id: string }>(
      `SELECT id FROM jobs WHERE queue = $1 AND dedupe_key = $2 AND state = 'done' AND finished_at > now() - interval '1 hour' ORDER BY id DESC LIMIT 1`,
      [queue, dedupeKey],
    );
    if (recent.rows[0]) {
      res.status(202).json({ status: 'duplicate', job: String(recent.rows[0].id), duplicate: true });
      return;
    }
    // One live job per integration + digest: a push repeated while its scan runs is one scan.
    const job = await enqueue(db, queue, payload, { dedupeKey, maxAttempts: 5 });
    deps.log.info({ integration: id, action: event.action, image: `${event.image.image}:${event.image.tag}`, job: job.id, duplicate: job.duplicate }, 'artifactory webhook');
    res.status(202).json({ status: 'queued', job: job.id, duplicate: job.duplicate });
  });

  // Xray's own violation webhooks: Basic auth whose password is the integration's webhook secret,
  // or the secret as a Bearer token / X-ScanHub-Secret header (Xray sends custom headers).
  router.post(['/webhooks/xray', '/webhooks/xray/:integration'], raw, async (req, res) => {
    const given = presentedSecret(req);
    const { id } = await authenticated(req, (secret) => given !== undefined && safeEqual(given, secret));
    const body = parseJson(req);
    if (typeof body !== 'object' || body === null || !Array.isArray((body as { issues?: unknown }).issues)) {
      throw new AppError('VALIDATION_FAILED', 'An Xray webhook body has "issues": a list of violations.');
    }
    const job = await enqueue(db, XRAY_WEBHOOK_QUEUE, { integrationId: id, body, receivedAt: new Date().toISOString() }, { maxAttempts: 5 });
    res.status(202).json({ status: 'queued', job: job.id });
  });
  // GitLab project/group webhooks: X-Gitlab-Token is the integration's webhookSecret (constant time).
  router.post(['/webhooks/gitlab', '/webhooks/gitlab/:integration'], raw, async (req, res) => {
    const token = req.get('x-gitlab-token');
    const { id } = await authenticated(req, (secret) => token !== undefined && safeEqual(token, secret), 'gitlab');
    const body = parseJson(req) as GitlabHook;
    const outcome = await handleGitlabHook(db, id, body);
    deps.log.info({ integration: id, kind: body.object_kind, outcome: outcome.status }, 'gitlab webhook');
    res.status(202).json(outcome);
  });

  /** A tool's own payload check failed after the signature matched: the sender gets the reason. */
  function invalidPayload(error: unknown): never {
    if (error instanceof IntegrationError) throw new AppError('VALIDATION_FAILED', `${error.code}: ${error.message}`);
    throw error;
  }

  // SonarQube's analysis webhook: X-Sonar-Webhook-HMAC-SHA256 over the raw body with the integration's webhookSecret.
  router.post(['/webhooks/sonarqube', '/webhooks/sonarqube/:integration'], raw, async (req, res) => {
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const { id, settings: found } = await authenticated(req, (secret) => verifySonarWebhook(rawBody, req.headers, secret).ok, 'sonarqube');
    const settings = found as SonarSettings;
    let event;
    try {
      event = parseSonarWebhook(parseJson(req));
    } catch (error) {
      invalidPayload(error);
    }
    if (event.status !== 'SUCCESS') {
      res.status(202).json({ status: 'ignored', reason: `the analysis ended ${event.status} in SonarQube` });
      return;
    }
    const listed = settings.projects.find((p) => p.sonarProject === event.projectKey);
    if (event.pullRequest && !listed?.pullRequests) {
      res.status(202).json({ status: 'ignored', reason: `pull requests of ${event.projectKey} are not pulled (set pullRequests: true on the project)` });
      return;
    }
    if (event.branch && listed?.branches && !listed.branches.includes(event.branch)) {
      res.status(202).json({ status: 'ignored', reason: `branch ${event.branch} of ${event.projectKey} is not pulled` });
      return;
    }
    const payload = { integrationId: id, sonarProject: event.projectKey, branch: event.branch, pullRequest: event.pullRequest, trigger: 'webhook', taskId: event.taskId };
    // SonarQube retries a delivery it thinks failed: one job per background task.
    const job = await enqueue(db, SONARQUBE_PULL_QUEUE, payload, { dedupeKey: `${id}:${event.taskId}`, maxAttempts: 5 });
    deps.log.info({ integration: id, project: event.projectKey, branch: event.branch, pullRequest: event.pullRequest, job: job.id }, 'sonarqube webhook');
    res.status(202).json({ status: 'queued', job: job.id, duplicate: job.duplicate });
  });

  // Nexus IQ's webhooks: X-Nexus-Webhook-Signature, an HMAC of the raw body with the integration's webhookSecret.
  router.post(['/webhooks/nexus-iq', '/webhooks/nexus-iq/:integration'], raw, async (req, res) => {
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const { id, settings: found } = await authenticated(req, (secret) => verifyIqSignature(secret, rawBody, req.get(IQ_SIGNATURE_HEADER), req.get(IQ_ALGORITHM_HEADER)), 'nexus-iq');
    const settings = found as IqSettings;
    let result;
    try {
      result = readIqWebhook({ secret: settings.webhookSecret, headers: req.headers, rawBody });
    } catch (error) {
      invalidPayload(error);
    }
    if (result.kind === 'ignored') {
      res.status(202).json({ status: 'ignored', reason: `event "${result.eventType}" is not handled` });
      return;
    }
    const event = result.event;
    if (!(settings.stages as string[]).includes(event.stage)) {
      res.status(202).json({ status: 'ignored', reason: `stage ${event.stage} is not pulled by this integration (stages: ${settings.stages.join(', ')})` });
      return;
    }
    const payload = { integrationId: id, applicationPublicId: event.applicationPublicId, applicationId: event.applicationId, stage: event.stage, reportId: event.scanId, trigger: 'webhook' };
    // IQ redelivers with the same delivery id; an evaluation and its policy alert name the same report.
    const dedupeKey = `${id}:${event.scanId ?? event.policyEvaluationId ?? event.deliveryId ?? event.evaluationDate}`;
    const job = await enqueue(db, NEXUSIQ_PULL_QUEUE, payload, { dedupeKey, maxAttempts: 5 });
    deps.log.info({ integration: id, application: event.applicationPublicId ?? event.applicationId, stage: event.stage, job: job.id }, 'nexus-iq webhook');
    res.status(202).json({ status: 'queued', job: job.id, duplicate: job.duplicate });
  });
  return router;
}

interface GitlabHook {
  object_kind?: string;
  object_attributes?: { id?: number; iid?: number; action?: string; state?: string; status?: string; ref?: string; sha?: string; source_branch?: string; url?: string };
  project?: { path_with_namespace?: string };
  builds?: { id?: number; name?: string; stage?: string; status?: string }[];
}

/** A job that runs a scanner or the ScanHub gate, by its name or stage. */
const SCAN_JOB = /scanhub|semgrep|bandit|trivy|grype|dependency|xray|sast|scan/i;

/** The ScanHub project a GitLab project reports to: the one its pipelines submitted to, else the same name. */
async function projectForGitlab(db: Queryable, path: string | undefined): Promise<string | undefined> {
  if (!path) return undefined;
  const { rows } = await db.query<{ project_id: string }>(
    `SELECT project_id FROM submissions WHERE source->>'ciProvider' = 'gitlab' AND source->>'ciProject' = $1 ORDER BY created_at DESC LIMIT 1`,
    [path],
  );
  return rows[0]?.project_id ?? (await findProject(db, path))?.id;
}

async function handleGitlabHook(db: Database, integrationId: string, body: GitlabHook): Promise<{ status: string; reason?: string; submissionId?: string }> {
  const attrs = body.object_attributes ?? {};
  const projectId = await projectForGitlab(db, body.project?.path_with_namespace);
  if (body.object_kind === 'merge_request') {
    if (attrs.action !== 'close' && attrs.action !== 'merge') return { status: 'ignored', reason: `merge request action "${attrs.action ?? ''}" needs nothing` };
    if (!projectId || !attrs.source_branch) return { status: 'ignored', reason: 'no ScanHub project for this GitLab project' };
    // The MR's branch view goes away; the findings stay in the project and on other refs.
    return db.transaction(async (tx) => {
      const { rows } = await tx.query(`DELETE FROM ref_findings WHERE project_id = $1 AND ref = $2 RETURNING finding_id`, [projectId, attrs.source_branch]);
      await tx.query(`DELETE FROM refs WHERE project_id = $1 AND ref = $2`, [projectId, attrs.source_branch]);
      await audit(tx, { actor: `gitlab:${integrationId}`, action: 'ref.closed', targetType: 'project', targetId: projectId, after: { ref: attrs.source_branch, mergeRequest: attrs.iid ?? null, action: attrs.action, findingsRemovedFromRef: rows.length } });
      return { status: 'closed', reason: `${rows.length} finding(s) left the view of ${attrs.source_branch}` };
    });
  }
  if (body.object_kind === 'pipeline') {
    if (attrs.status !== 'failed') return { status: 'ignored', reason: `pipeline ${attrs.status ?? ''}` };
    const failed = (body.builds ?? []).filter((b) => b.status === 'failed' && (SCAN_JOB.test(b.name ?? '') || SCAN_JOB.test(b.stage ?? '')));
    if (failed.length === 0) return { status: 'ignored', reason: 'no scan job failed' };
    if (!projectId || !attrs.ref) return { status: 'ignored', reason: 'no ScanHub project for this GitLab project' };
    const reported = await db.query(`SELECT 1 FROM submissions WHERE project_id = $1 AND source->>'pipelineId' = $2 AND status = 'completed'`, [projectId, String(attrs.id ?? '')]);
    if (reported.rows.length) return { status: 'ignored', reason: 'the pipeline submitted its reports' };
    const reason = `GitLab pipeline ${attrs.id ?? '?'} failed in ${failed.map((b) => b.name).join(', ')} before reporting to ScanHub`;
    const submissionId = await recordFailedScan(db, projectId, attrs.ref, reason, { kind: 'ci', ciProvider: 'gitlab', ciProject: body.project?.path_with_namespace, pipelineId: String(attrs.id ?? ''), pipelineUrl: attrs.url }, `gitlab-pipeline:${integrationId}:${attrs.id ?? attrs.sha}`, 'gitlab', attrs.sha);
    return { status: 'error-recorded', submissionId };
  }
  return { status: 'ignored', reason: `event "${body.object_kind ?? ''}" is not handled` };
}

function presentedSecret(req: Request): string | undefined {
  const auth = req.get('authorization');
  if (auth) {
    const basic = /^Basic\s+(\S+)$/i.exec(auth);
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return colon >= 0 ? decoded.slice(colon + 1) : undefined;
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(auth);
    if (bearer) return bearer[1];
  }
  return req.get('x-scanhub-secret') ?? undefined;
}
