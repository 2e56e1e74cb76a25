// The SonarQube bridge's job: pull one project's branch (or pull request) in full — issues, hotspots,
// their rules — and submit it to the mapped ScanHub project, so new / fixed / reopened, policies,
// exceptions and alerts work as for any pipeline. Triggered by SonarQube's analysis webhook, the
// schedule, or an on-demand scan; one submission per analysis, whichever trigger came first.
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
import { createSonarQubeClient, type SonarQubeClientOptions } from './client.js';
import { scanhubProjectFor, sonarqubeConnection } from './connection.js';

export const SONARQUBE_PULL_QUEUE = 'sonarqube.pull';

type Settings = z.output<typeof sonarqubeConnection.configSchema>;

export interface SonarPullPayload {
  integrationId: string;
  sonarProject: string;
  branch?: string | undefined;
  pullRequest?: string | undefined;
  trigger: 'webhook' | 'schedule' | 'on-demand';
  /** The webhook's background task: one submission per analysis even before its date is known. */
  taskId?: string | undefined;
  scanId?: string | undefined;
  projectId?: string | undefined;
}

export interface SonarBridgeDeps {
  db: Database;
  scanners: readonly ScannerPlugin[];
  secrets: SecretBox | undefined;
  outbound: Outbound;
  log: Logger;
  /** Tests shorten retries; production uses the defaults. */
  client?: Partial<Pick<SonarQubeClientOptions, 'retry' | 'sleep' | 'timeoutMs' | 'limits'>>;
}

/** The ref findings are tracked under: the branch, or `pull-request/<id>`; the main branch when neither is named. */
export function sonarRef(target: { branch?: string | undefined; pullRequest?: string | undefined }, mainBranch: string | undefined): string {
  if (target.pullRequest) return `pull-request/${target.pullRequest}`;
  return target.branch ?? mainBranch ?? 'main';
}

export function createSonarPullHandler(deps: SonarBridgeDeps): JobHandler {
  return trackScan(deps.db, async (job: Job, _ctx: JobHandlerContext, progress) => {
    const payload = job.payload as unknown as SonarPullPayload;
    const settings = await loadIntegrationSecrets<Settings>(deps.db, deps.secrets, sonarqubeConnection, payload.integrationId);
    const actor = `sonarqube:${payload.integrationId}`;
    const projectId = payload.projectId ?? (await ensureProject(deps.db, scanhubProjectFor(settings, payload.sonarProject), actor));
    const client = createSonarQubeClient({
      url: settings.url,
      token: settings.token,
      outbound: deps.outbound,
      ...(settings.organization ? { organization: settings.organization } : {}),
      issueScope: settings.issueScope,
      limits: { requestsPerSecond: settings.requestsPerSecond },
      log: deps.log,
      ...deps.client,
    });
    const ref = sonarRef(payload, undefined);
    const source = { kind: 'sonarqube', integrationId: payload.integrationId, sonarProject: payload.sonarProject, trigger: payload.trigger, ...(payload.branch ? { branch: payload.branch } : {}), ...(payload.pullRequest ? { pullRequest: payload.pullRequest } : {}), ...(payload.scanId ? { scanId: payload.scanId } : {}) };
    // Until the analysis is known, a failure is keyed by what triggered it.
    const failureKey = `sonarqube:${payload.integrationId}:${payload.sonarProject}:${ref}:${payload.taskId ?? payload.scanId ?? `job-${job.id}`}`;
    try {
      return await runBridge({ db: deps.db, log: deps.log, job, projectId, ref, tool: 'sonarqube', key: failureKey, source }, async () => {
        await progress(`pulling ${payload.sonarProject} ${ref} from SonarQube`);
        const doc = await client.pull({ projectKey: payload.sonarProject, branch: payload.branch, pullRequest: payload.pullRequest });
        const analysisRef = sonarRef(payload, doc.scanhub.branch);
        // The analysis date identifies what SonarQube analysed: a webhook and a scheduled pull of the same analysis submit once.
        const key = `sonarqube:${payload.integrationId}:${payload.sonarProject}:${analysisRef}:${doc.scanhub.analysisDate ?? failureKey}`;
        await progress(`assessing ${doc.issues.length} issues and ${doc.hotspots.length} hotspots`);
        const result = await ingestSubmission(
          { db: deps.db, scanners: deps.scanners },
          {
            projectId,
            ref: analysisRef,
            reports: [{ filename: 'sonarqube-pull.json', content: Buffer.from(JSON.stringify(doc)), tool: 'sonarqube' }],
            idempotencyKey: key,
            actor,
            source: { ...source, ...(doc.scanhub.analysisDate ? { analysisDate: doc.scanhub.analysisDate } : {}) },
          },
        );
        return { submissionId: result.id, outcome: result.verdict?.outcome ?? 'error', replayed: result.replayed };
      });
    } finally {
      await client.close();
    }
  });
}
