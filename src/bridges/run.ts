// What every bridge job (Xray, SonarQube, Nexus IQ) does around the tool-specific pull: submit under
// an idempotency key, so a job taken over after a restart or a second trigger of the same analysis
// completes once; and when the pull fails for good, record a submission with verdict "error" and the
// reason — a scan that was asked for never disappears silently.
import { IntegrationError } from '../plugins/integration-error.js';
import { recordFailedScan } from '../ingest/failed-scan.js';
import type { Job } from '../jobs/queue.js';
import type { Logger } from '../logger.js';
import type { Database, Queryable } from '../store/db.js';
import { createProject, findProject } from '../store/repositories/projects.js';
import type { BridgeOutcome } from './scans.js';

/** The project by name, created by the bridge on first use (another job may create it at the same moment). */
export async function ensureProject(q: Queryable, name: string, actor: string): Promise<string> {
  const existing = await findProject(q, name);
  if (existing) return existing.id;
  try {
    return (await createProject(q, name, actor)).id;
  } catch {
    const again = await findProject(q, name);
    if (!again) throw new Error(`cannot create project ${name}`);
    return again.id;
  }
}

export interface BridgeRun {
  db: Database;
  log: Logger;
  job: Job;
  projectId: string;
  ref: string;
  tool: string;
  /** Submission idempotency key: one per analysis / evaluation / image digest. */
  key: string;
  source: Record<string, unknown>;
}

/**
 * Runs `work` (pull + ingest). A retryable failure with attempts left is thrown for the queue to
 * retry; any other failure becomes an "error" submission carrying the reason.
 */
export async function runBridge(run: BridgeRun, work: () => Promise<BridgeOutcome>): Promise<BridgeOutcome> {
  try {
    return await work();
  } catch (error) {
    const retryable = error instanceof IntegrationError ? error.retryable : true;
    if (retryable && run.job.attempts < run.job.maxAttempts) throw error;
    const reason = error instanceof IntegrationError ? `${error.code}: ${error.message}` : (error as Error).message;
    const submissionId = await recordFailedScan(run.db, run.projectId, run.ref, reason, run.source, run.key, run.tool);
    run.log.warn({ tool: run.tool, ref: run.ref, reason }, 'bridge pull ended without findings: verdict error recorded');
    return { submissionId, outcome: 'error', reason };
  }
}
