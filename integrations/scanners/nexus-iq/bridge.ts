// The Nexus IQ bridge's job: one application evaluation (raw + policy data of its report) becomes a
// submission of the mapped ScanHub project. Triggered by IQ's signed webhooks, the schedule (latest
// report per stage), or an on-demand scan, which first asks IQ to re-evaluate the stage's last scan
// against current policies and vulnerability data (promoteScan) and polls it to completion.
import type { z } from 'zod';
import type { ScannerPlugin } from '../../../src/plugins/scanner.js';
import type { Job, JobHandler, JobHandlerContext } from '../../../src/jobs/queue.js';
import { ingestSubmission } from '../../../src/ingest/submit.js';
import type { Logger } from '../../../src/logger.js';
import type { Outbound } from '../../../src/security/outbound.js';
import type { SecretBox } from '../../../src/security/secrets.js';
import type { Database } from '../../../src/store/db.js';
import { loadIntegrationSecrets } from '../../../src/store/repositories/integrations.js';
import { ensureProject, runBridge } from '../../../src/bridges/run.js';
import { trackScan } from '../../../src/bridges/scans.js';
import { createNexusIqClient, type NexusIqClientOptions } from './client.js';
import { nexusIqConnection, projectForApplication } from './connection.js';

export const NEXUSIQ_PULL_QUEUE = 'nexus-iq.pull';

type Settings = z.output<typeof nexusIqConnection.configSchema>;

export interface IqPullPayload {
  integrationId: string;
  /** Public id; webhooks of application evaluations carry only the internal id. */
  applicationPublicId?: string | undefined;
  applicationId?: string | undefined;
  stage: string;
  /** IQ's report (scan) id, when the trigger named one. */
  reportId?: string | undefined;
  /** Ask IQ for a fresh evaluation first (on-demand scans). */
  evaluate?: boolean | undefined;
  trigger: 'webhook' | 'schedule' | 'on-demand';
  scanId?: string | undefined;
  projectId?: string | undefined;
}

export interface IqBridgeDeps {
  db: Database;
  scanners: readonly ScannerPlugin[];
  secrets: SecretBox | undefined;
  outbound: Outbound;
  log: Logger;
  /** Tests shorten waits and retries. */
  client?: Partial<Pick<NexusIqClientOptions, 'retry' | 'sleep' | 'timeoutMs' | 'limits'>> & { pollIntervalMs?: number; deadlineMs?: number };
}

export function createNexusIqPullHandler(deps: IqBridgeDeps): JobHandler {
  return trackScan(deps.db, async (job: Job, _ctx: JobHandlerContext, progress) => {
    const payload = job.payload as unknown as IqPullPayload;
    const settings = await loadIntegrationSecrets<Settings>(deps.db, deps.secrets, nexusIqConnection, payload.integrationId);
    const actor = `nexus-iq:${payload.integrationId}`;
    const client = createNexusIqClient({ url: settings.url, user: settings.user, token: settings.token, outbound: deps.outbound, log: deps.log, ...deps.client });
    try {
      const app = payload.applicationPublicId ? await client.applicationByPublicId(payload.applicationPublicId) : await client.applicationById(String(payload.applicationId));
      const projectId = payload.projectId ?? (await ensureProject(deps.db, projectForApplication(settings, app.publicId, payload.stage), actor));
      const ref = payload.stage;
      const source = { kind: 'nexus-iq', integrationId: payload.integrationId, application: app.publicId, stage: payload.stage, trigger: payload.trigger, ...(payload.scanId ? { scanId: payload.scanId } : {}) };
      const failureKey = `nexus-iq:${payload.integrationId}:${app.publicId}:${payload.stage}:${payload.reportId ?? payload.scanId ?? `job-${job.id}`}`;
      return await runBridge({ db: deps.db, log: deps.log, job, projectId, ref, tool: 'nexus-iq', key: failureKey, source }, async () => {
        let reportId = payload.reportId;
        if (payload.evaluate) {
          await progress(`asking Nexus IQ to re-evaluate ${app.publicId} at ${payload.stage}`);
          const ticket = await client.requestEvaluation(app.id, { kind: 'promote', sourceStageId: payload.stage, targetStageId: payload.stage });
          await progress('waiting for the Nexus IQ evaluation');
          const done = await client.waitForEvaluation(ticket, { pollIntervalMs: deps.client?.pollIntervalMs ?? 5_000, deadline: new Date(Date.now() + (deps.client?.deadlineMs ?? 15 * 60_000)) });
          reportId = done.scanId ?? reportId;
        }
        await progress('fetching the Nexus IQ report');
        const doc = await client.pull({ applicationPublicId: app.publicId, stage: payload.stage, ...(reportId ? { scanId: reportId } : {}) });
        // One submission per IQ report, whichever trigger (webhook, schedule, on-demand) reached it first.
        const key = `nexus-iq:${payload.integrationId}:${app.publicId}:${payload.stage}:${doc.scanhub.scanId}`;
        await progress('assessing');
        const result = await ingestSubmission(
          { db: deps.db, scanners: deps.scanners },
          { projectId, ref, reports: [{ filename: 'nexus-iq-evaluation.json', content: Buffer.from(JSON.stringify(doc)), tool: 'nexus-iq' }], idempotencyKey: key, actor, source: { ...source, reportId: doc.scanhub.scanId } },
        );
        return { submissionId: result.id, outcome: result.verdict?.outcome ?? 'error', replayed: result.replayed };
      });
    } finally {
      await client.close();
    }
  });
}
