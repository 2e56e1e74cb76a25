// The JFrog bridge's jobs: a pushed image → Xray scan → summary + violations → a submission in the
// mapped project (assessed by its policy, events and alerts as for any pipeline) — or, when Xray
// fails or the deadline passes, a submission with verdict "error" that says why: never a silent drop.
// Resumable: a job taken over after a restart asks Xray again (scanArtifact is idempotent there) and
// submits under an idempotency key per image digest, so a scan completes exactly once.
import { createHash } from 'node:crypto';
import type { ScannerPlugin } from '../../../src/plugins/scanner.js';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import { enqueue, type Job, type JobHandler, type JobHandlerContext } from '../../../src/jobs/queue.js';
import { ingestSubmission } from '../../../src/ingest/submit.js';
import type { Logger } from '../../../src/logger.js';
import type { Outbound } from '../../../src/security/outbound.js';
import type { SecretBox } from '../../../src/security/secrets.js';
import type { Database } from '../../../src/store/db.js';
import { recordEvent } from '../../../src/store/events.js';
import { audit } from '../../../src/store/audit.js';
import { loadIntegrationSecrets } from '../../../src/store/repositories/integrations.js';
import { findProject } from '../../../src/store/repositories/projects.js';
import { ensureProject, runBridge } from '../../../src/bridges/run.js';
import { trackScan } from '../../../src/bridges/scans.js';
import type { ImageRef } from '../../../src/plugins/source.js';
import { XrayClient, type XrayClientOptions } from './client.js';
import { jfrogConnection } from './connection.js';
import type { z } from 'zod';

type Settings = z.output<typeof jfrogConnection.configSchema>;

export interface BridgeDeps {
  db: Database;
  scanners: readonly ScannerPlugin[];
  secrets: SecretBox | undefined;
  outbound: Outbound;
  log: Logger;
  now?: () => Date;
  /** Tests shorten waits and retries; production uses the integration's settings. */
  client?: Partial<Pick<XrayClientOptions, 'limits' | 'retry' | 'sleep' | 'timeoutMs'>> & { pollIntervalMs?: number };
}

interface ScanPayload {
  integrationId: string;
  /** A push names its digest; an on-demand scan of a tag has none. */
  image: Omit<ImageRef, 'digest'> & { digest?: string | undefined };
  receivedAt: string;
  /** On-demand scans: the scan row to keep up to date and the project that asked. */
  scanId?: string;
  projectId?: string;
}

const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._\-/]*$/;

/** The ScanHub project an image belongs to, from the integration's mapping rule ({repo}, {image}). */
export function mapProject(rule: string, image: Pick<ImageRef, 'repository' | 'image'>): string {
  const name = rule.replaceAll('{repo}', image.repository).replaceAll('{image}', image.image).replace(/\/{2,}/g, '/').replace(/\/$/, '');
  if (!PROJECT_NAME.test(name) || name.length > 200) throw new IntegrationError('JFROG_BAD_MAPPING', `The project mapping "${rule}" gives "${name}", which is not a valid project name.`);
  return name;
}

function clientFor(deps: BridgeDeps, settings: Settings): XrayClient {
  return new XrayClient({
    baseUrl: settings.baseUrl,
    accessToken: settings.accessToken,
    outbound: deps.outbound,
    ...(settings.projectKey ? { projectKey: settings.projectKey } : {}),
    log: deps.log,
    ...deps.client,
  });
}

export function createXrayScanHandler(deps: BridgeDeps): JobHandler {
  return trackScan(deps.db, async (job: Job, _ctx: JobHandlerContext, progress) => {
    const payload = job.payload as unknown as ScanPayload;
    const settings = await loadIntegrationSecrets<Settings>(deps.db, deps.secrets, jfrogConnection, payload.integrationId);
    const { image } = payload;
    const actor = `jfrog:${payload.integrationId}`;
    const projectId = payload.projectId ?? (await ensureProject(deps.db, mapProject(settings.projectMapping, image), actor));
    // A push names its digest; an on-demand scan of a tag is one submission per request.
    const key = image.digest ? `xray:${payload.integrationId}:${image.digest}:${image.tag}` : `xray:${payload.integrationId}:scan:${payload.scanId}`;
    const source = { kind: 'artifactory', integrationId: payload.integrationId, repository: image.repository, image: image.image, tag: image.tag, ...(image.digest ? { digest: `sha256:${image.digest}` } : {}), ...(payload.scanId ? { scanId: payload.scanId } : {}) };
    const deadline = new Date(Date.parse(payload.receivedAt) + settings.deadlineSeconds * 1000);
    const client = clientFor(deps, settings);
    try {
      return await runBridge({ db: deps.db, log: deps.log, job, projectId, ref: image.tag, tool: 'xray', key, source }, async () => {
        await progress('asking Xray to scan');
        await client.scanArtifact(`docker://${image.image}:${image.tag}`);
        await progress('waiting for the Xray scan');
        const status = await client.waitForScan({ repo: image.repository, path: image.path }, { pollIntervalMs: deps.client?.pollIntervalMs ?? settings.pollIntervalSeconds * 1000, deadline });
        if (status.status === 'FAILED' || status.status === 'NOT_SUPPORTED') {
          throw new IntegrationError('JFROG_SCAN_FAILED', `Xray reports the scan of ${image.image}:${image.tag} as ${status.rawStatus}.`);
        }
        await progress('fetching the Xray summary and violations');
        const summary = await client.artifactSummary({ paths: [`default/${image.repository}/${image.image}/${image.tag}/`] });
        const reports = [{ filename: 'xray-summary.json', content: Buffer.from(JSON.stringify(summary.body)), tool: 'xray' }];
        try {
          const violations = await client.violations({ repo: image.repository, path: image.path });
          if (violations.violations.length) reports.push({ filename: 'xray-violations.json', content: Buffer.from(JSON.stringify(violations.body)), tool: 'xray' });
        } catch (error) {
          // Filtering violations by artifact needs Xray ≥ 3.88.10; the summary still carries the issues.
          if (!(error instanceof IntegrationError) || error.retryable) throw error;
          deps.log.warn({ code: error.code, image: `${image.image}:${image.tag}` }, 'Xray violations unavailable for this artifact');
        }
        await progress('assessing');
        const result = await ingestSubmission({ db: deps.db, scanners: deps.scanners, now: deps.now }, { projectId, ref: image.tag, reports, idempotencyKey: key, actor, source });
        const outcome = result.verdict?.outcome ?? 'error';
        if (settings.sourceRescan?.on.includes(outcome as 'pass') && image.digest) {
          // The image's source project rebuilds and rescans with the same inputs (one trigger per digest).
          await enqueue(deps.db, 'ci.trigger', {
            project: settings.sourceRescan.gitlabProject,
            ref: settings.sourceRescan.ref,
            variables: { SCANHUB_IMAGE: `${image.image}:${image.tag}`, SCANHUB_IMAGE_DIGEST: `sha256:${image.digest}`, SCANHUB_VERDICT: outcome },
          }, { dedupeKey: `rescan:${key}` });
        }
        return { submissionId: result.id, outcome, replayed: result.replayed };
      });
    } finally {
      await client.close();
    }
  });
}

/** A deleted image: its findings on that tag are gone (fixed), and the removal is recorded. */
export function createImageRemovedHandler(deps: Pick<BridgeDeps, 'db' | 'secrets'>): JobHandler {
  return async (job: Job) => {
    const payload = job.payload as unknown as ScanPayload;
    const settings = await loadIntegrationSecrets<Settings>(deps.db, deps.secrets, jfrogConnection, payload.integrationId);
    const project = await findProject(deps.db, mapProject(settings.projectMapping, payload.image));
    if (!project) return { removed: 0 };
    return deps.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ finding_id: string }>(
        `UPDATE ref_findings SET state = 'fixed', updated_at = now() WHERE project_id = $1 AND ref = $2 AND state = 'open' RETURNING finding_id`,
        [project.id, payload.image.tag],
      );
      await tx.query(`UPDATE refs SET updated_at = now() WHERE project_id = $1 AND ref = $2`, [project.id, payload.image.tag]);
      await recordEvent(tx, 'image.removed', project.id, { ref: payload.image.tag, image: payload.image, findings: rows.length });
      await audit(tx, { actor: `jfrog:${payload.integrationId}`, action: 'image.removed', targetType: 'project', targetId: project.id, after: { image: `${payload.image.image}:${payload.image.tag}`, digest: payload.image.digest, findingsClosed: rows.length } });
      return { removed: rows.length };
    });
  };
}

/** Xray's own violation webhook: the issues become a submission of the watched image. */
export function createXrayWebhookHandler(deps: Pick<BridgeDeps, 'db' | 'scanners' | 'secrets' | 'now'>): JobHandler {
  return async (job: Job) => {
    const payload = job.payload as { integrationId: string; body: { watch_name?: string; issues?: { impacted_artifacts?: { path?: string; display_name?: string }[] }[] } };
    const settings = await loadIntegrationSecrets<Settings>(deps.db, deps.secrets, jfrogConnection, payload.integrationId);
    // impacted_artifacts[].path is "default/<repo>/<image…>/<tag>/".
    const path = payload.body.issues?.flatMap((i) => i.impacted_artifacts ?? []).find((a) => a.path)?.path ?? '';
    const parts = path.split('/').filter(Boolean);
    const located = parts.length >= 4 ? { repository: parts[1]!, image: parts.slice(2, -1).join('/'), tag: parts[parts.length - 1]! } : undefined;
    const projectName = located ? mapProject(settings.projectMapping, located) : `xray/${(payload.body.watch_name ?? 'watch').replace(/[^A-Za-z0-9._-]/g, '-')}`;
    const projectId = await ensureProject(deps.db, projectName, `jfrog:${payload.integrationId}`);
    const raw = Buffer.from(JSON.stringify(payload.body));
    const result = await ingestSubmission(
      { db: deps.db, scanners: deps.scanners, now: deps.now },
      {
        projectId,
        ref: located?.tag ?? 'xray-watch',
        reports: [{ filename: 'xray-webhook.json', content: raw, tool: 'xray' }],
        idempotencyKey: `xray-webhook:${createHash('sha256').update(raw).digest('hex')}`,
        actor: `jfrog:${payload.integrationId}`,
        source: { kind: 'xray-webhook', integrationId: payload.integrationId, watch: payload.body.watch_name ?? null, ...(located ?? {}) },
      },
    );
    return { submissionId: result.id };
  };
}
