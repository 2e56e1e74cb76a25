// The server side of the GitLab adapter: after a pipeline's submission is assessed, its verdict goes
// back to GitLab as the `scanhub` commit status and one MR note edited in place. Runs as a job, so a
// GitLab outage delays the note and status; it never blocks or changes the verdict.
import { connections } from '../../index.js';
import type { Job, JobHandler } from '../../../src/jobs/queue.js';
import type { Logger } from '../../../src/logger.js';
import type { Outbound } from '../../../src/security/outbound.js';
import type { SecretBox } from '../../../src/security/secrets.js';
import type { Database } from '../../../src/store/db.js';
import { loadIntegrationSecrets } from '../../../src/store/repositories/integrations.js';
import { loadSubmission } from '../../../src/ingest/submit.js';
import { getProject } from '../../../src/store/repositories/projects.js';
import { publishVerdictToGitLab, topFindingsFromVerdict, type GitlabSettings } from './publish.js';
import { createGitlabClient } from './client.js';

export const CI_PUBLISH_QUEUE = 'ci.publish';
export const CI_TRIGGER_QUEUE = 'ci.trigger';

export interface CiPublishDeps {
  db: Database;
  secrets: SecretBox | undefined;
  outbound: Outbound;
  log: Logger;
  /** SCANHUB_GITLAB_URL / SCANHUB_GITLAB_TOKEN: operator-set, trusted by the outbound guard. */
  envSettings?: GitlabSettings | undefined;
  publicUrl?: string | undefined;
}

async function gitlabSettings(deps: CiPublishDeps): Promise<{ settings: GitlabSettings; userSet: boolean } | undefined> {
  const spec = connections.find((c) => c.kind === 'gitlab')!;
  const { rows } = await deps.db.query<{ id: string }>(`SELECT id FROM integrations WHERE kind = 'gitlab' AND enabled ORDER BY created_at LIMIT 1`);
  if (rows[0]) return { settings: await loadIntegrationSecrets<GitlabSettings>(deps.db, deps.secrets, spec, rows[0].id), userSet: true };
  return deps.envSettings ? { settings: deps.envSettings, userSet: false } : undefined;
}

export function createCiPublishHandler(deps: CiPublishDeps): JobHandler {
  return async (job: Job) => {
    const submission = await loadSubmission(deps.db, String(job.payload.submissionId));
    const { rows } = await deps.db.query<{ source: Record<string, string> | null }>(`SELECT source FROM submissions WHERE id = $1`, [String(job.payload.submissionId)]);
    const source = rows[0]?.source;
    if (!submission?.verdict || !source || source.ciProvider !== 'gitlab' || !source.ciProject || !submission.commit) return { skipped: 'not a GitLab pipeline submission' };
    const target = await gitlabSettings(deps);
    if (!target) return { skipped: 'no GitLab integration configured' };
    const project = await getProject(deps.db, submission.projectId);
    const result = await publishVerdictToGitLab(
      target.settings,
      {
        project: source.ciProject,
        scanhubProject: project.name,
        mrIid: source.mergeRequest,
        commitSha: submission.commit,
        ref: submission.ref,
        pipelineId: source.pipelineId,
        pipelineUrl: source.pipelineUrl,
        verdict: submission.verdict,
        counts: submission.counts,
        topFindings: topFindingsFromVerdict(submission.verdict),
        reportUrl: deps.publicUrl ? `${deps.publicUrl.replace(/\/$/, '')}/api/v1/submissions/${submission.id}/report` : undefined,
      },
      { outbound: deps.outbound, userSet: target.userSet },
    );
    deps.log.info({ submission: submission.id, notes: result.notes.length, status: result.status?.state }, 'verdict published to GitLab');
    return result;
  };
}

/** Triggers a GitLab pipeline with variables (a pushed image asking its source project for a rescan). */
export function createCiTriggerHandler(deps: CiPublishDeps): JobHandler {
  return async (job: Job) => {
    const target = await gitlabSettings(deps);
    if (!target) return { skipped: 'no GitLab integration configured' };
    const p = job.payload as { project: string; ref: string; variables: Record<string, string> };
    const client = createGitlabClient({ url: target.settings.url, token: target.settings.token, outbound: deps.outbound, userSet: target.userSet });
    const pipeline = await client.triggerPipeline({ project: p.project, ref: p.ref, variables: p.variables });
    deps.log.info({ project: p.project, pipeline: pipeline.id }, 'GitLab pipeline triggered');
    return pipeline;
  };
}
