// After a submission's verdict: the `scanhub` commit status (pending → success/failed) with a link
// to the report, and the one MR note per ScanHub project + topic, edited in place. The server calls
// publishPendingToGitLab when a pipeline's submission arrives and publishVerdictToGitLab once the
// verdict is known; both are idempotent, so a job queue may simply run them again on failure.
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import type { Outbound } from '../../../src/security/outbound.js';
import { createGitlabClient, type CommitState, type GitlabClient, type GitlabRetryOptions, type UpsertNoteResult } from './client.js';
import { MAX_TOP_FINDINGS, noteMarker, renderMrNote, type NoteFinding, type NoteRule, type VerdictOutcome } from './note.js';

/** The stored GitLab connection (integrations/ci/gitlab/connection.ts), or the environment's. */
export interface GitlabSettings {
  url: string;
  token: string;
  mergeRequestNotes?: boolean | undefined;
  commitStatuses?: boolean | undefined;
}

export interface GitlabPublishContext {
  outbound: Outbound;
  /** false only for settings from SCANHUB_GITLAB_URL (operator-set, not guarded). Default true. */
  userSet?: boolean;
  retry?: GitlabRetryOptions;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  /** Test seam / reuse: a ready client. */
  client?: GitlabClient;
}

export interface GitlabPublishInput {
  /** The GitLab project: numeric id or path (group/project). */
  project: string | number;
  /** The ScanHub project name, part of the note marker (default: `project`). */
  scanhubProject?: string | undefined;
  /** The pipeline topic, part of the note marker (default "security"). */
  topic?: string | undefined;
  /** The MR to note on; absent: every open MR containing `commitSha` (at most 5). */
  mrIid?: number | string | undefined;
  commitSha: string;
  ref?: string | undefined;
  pipelineId?: number | string | undefined;
  pipelineUrl?: string | undefined;
  verdict: { outcome: VerdictOutcome; summary: string; rules?: readonly NoteRule[] | undefined };
  counts?: { new: number; fixed: number; existing?: number | undefined; total?: number | undefined } | undefined;
  topFindings?: readonly NoteFinding[] | undefined;
  reportUrl?: string | undefined;
  /** Commit status name (default "scanhub"). */
  statusName?: string | undefined;
}

export interface GitlabPublishResult {
  status?: { state: CommitState; unchanged?: boolean };
  notes: ({ mrIid: number | string } & UpsertNoteResult)[];
  skipped: string[];
}

const MAX_MRS = 5;

/** The commit status a verdict maps to (notes §2.3): warn is success with "WARN:", error is failed. */
export function commitStateFor(outcome: VerdictOutcome, summary: string): { state: CommitState; description: string } {
  const text = summary.replace(/\s+/g, ' ').trim();
  switch (outcome) {
    case 'pass':
      return { state: 'success', description: `PASS: ${text}` };
    case 'warn':
      return { state: 'success', description: `WARN: ${text}` };
    case 'fail':
      return { state: 'failed', description: `FAIL: ${text}` };
    case 'error':
      return { state: 'failed', description: `error: ${text}` };
  }
}

/** What a verdict's rules list per finding (src/domain/policy/evaluate.ts VerdictFinding), structurally. */
export interface VerdictFindingLike {
  fingerprint: string;
  ruleId: string;
  vulnerabilityIds: readonly string[];
  title: string;
  severity: string;
  package?: { name: string; version?: string | undefined } | undefined;
  location?: { path?: string | undefined; startLine?: number | undefined; image?: string | undefined } | undefined;
}

const SEVERITY_RANK: Record<string, number> = { critical: 5, high: 4, medium: 3, low: 2, info: 1, unknown: 0 };

/**
 * The note's "top findings" from a verdict: findings of triggered rules (fail rules first), most
 * severe first, each once (by fingerprint), at most `limit`.
 */
export function topFindingsFromVerdict(verdict: { rules?: readonly { action: 'warn' | 'fail'; triggered: boolean; findings?: readonly VerdictFindingLike[] }[] }, limit = MAX_TOP_FINDINGS): NoteFinding[] {
  const seen = new Set<string>();
  const picked: { f: VerdictFindingLike; fail: boolean }[] = [];
  const rules = [...(verdict.rules ?? [])].sort((a, b) => Number(b.action === 'fail') - Number(a.action === 'fail'));
  for (const rule of rules) {
    if (!rule.triggered) continue;
    for (const f of rule.findings ?? []) {
      if (seen.has(f.fingerprint)) continue;
      seen.add(f.fingerprint);
      picked.push({ f, fail: rule.action === 'fail' });
    }
  }
  picked.sort((a, b) => Number(b.fail) - Number(a.fail) || (SEVERITY_RANK[b.f.severity.toLowerCase()] ?? 0) - (SEVERITY_RANK[a.f.severity.toLowerCase()] ?? 0));
  return picked.slice(0, limit).map(({ f }) => {
    const where = f.location?.path
      ? `${f.location.path}${f.location.startLine ? `:${f.location.startLine}` : ''}`
      : f.package
        ? `${f.package.name}${f.package.version ? `@${f.package.version}` : ''}${f.location?.image ? ` in ${f.location.image}` : ''}`
        : f.location?.image;
    return { severity: f.severity, title: f.title, ruleId: f.ruleId, vulnerabilityIds: f.vulnerabilityIds, ...(where ? { location: where } : {}) };
  });
}

/** SCANHUB_GITLAB_URL + SCANHUB_GITLAB_TOKEN, when both are set (operator-configured: userSet false). */
export function gitlabSettingsFromEnv(env: NodeJS.ProcessEnv): GitlabSettings | undefined {
  const url = env.SCANHUB_GITLAB_URL?.trim();
  const token = env.SCANHUB_GITLAB_TOKEN?.trim();
  if (!url || !token) return undefined;
  return { url, token, mergeRequestNotes: true, commitStatuses: true };
}

function clientFor(settings: GitlabSettings, ctx: GitlabPublishContext): GitlabClient {
  return (
    ctx.client ??
    createGitlabClient({
      url: settings.url,
      token: settings.token,
      outbound: ctx.outbound,
      userSet: ctx.userSet ?? true,
      ...(ctx.retry ? { retry: ctx.retry } : {}),
      ...(ctx.sleep ? { sleep: ctx.sleep } : {}),
    })
  );
}

/** Sets the `scanhub` status to pending while the verdict is computed. */
export async function publishPendingToGitLab(
  settings: GitlabSettings,
  input: { project: string | number; commitSha: string; ref?: string; pipelineId?: number | string; targetUrl?: string; statusName?: string },
  ctx: GitlabPublishContext,
): Promise<{ state: CommitState; unchanged?: boolean } | undefined> {
  if (settings.commitStatuses === false) return undefined;
  const client = clientFor(settings, ctx);
  const r = await client.setCommitStatus({
    project: input.project,
    sha: input.commitSha,
    state: 'pending',
    name: input.statusName ?? 'scanhub',
    targetUrl: input.targetUrl,
    description: 'ScanHub is assessing the scan results',
    ref: input.ref,
    pipelineId: input.pipelineId,
  });
  return { state: 'pending', ...(r.unchanged ? { unchanged: true } : {}) };
}

/**
 * Publishes a verdict: commit status, then the MR note(s). Both are attempted; if either fails the
 * first error is thrown afterwards (retryable when any failure was), so a retry redoes both safely.
 */
export async function publishVerdictToGitLab(settings: GitlabSettings, input: GitlabPublishInput, ctx: GitlabPublishContext): Promise<GitlabPublishResult> {
  const client = clientFor(settings, ctx);
  const result: GitlabPublishResult = { notes: [], skipped: [] };
  const errors: unknown[] = [];

  if (settings.commitStatuses === false) result.skipped.push('commit status: disabled in the connection');
  else {
    const { state, description } = commitStateFor(input.verdict.outcome, input.verdict.summary);
    try {
      const r = await client.setCommitStatus({
        project: input.project,
        sha: input.commitSha,
        state,
        name: input.statusName ?? 'scanhub',
        targetUrl: input.reportUrl,
        description,
        ref: input.ref,
        pipelineId: input.pipelineId,
      });
      result.status = { state, ...(r.unchanged ? { unchanged: true } : {}) };
    } catch (error) {
      errors.push(error);
    }
  }

  if (settings.mergeRequestNotes === false) result.skipped.push('merge request note: disabled in the connection');
  else {
    let iids: (number | string)[] = [];
    if (input.mrIid !== undefined && input.mrIid !== '') iids = [input.mrIid];
    else {
      try {
        iids = (await client.openMergeRequestsForCommit(input.project, input.commitSha)).slice(0, MAX_MRS).map((m) => m.iid);
        if (iids.length === 0) result.skipped.push('merge request note: no open merge request contains the commit');
      } catch (error) {
        errors.push(error);
      }
    }
    const scanhubProject = input.scanhubProject ?? String(input.project);
    const topic = input.topic ?? 'security';
    const body = renderMrNote({
      project: scanhubProject,
      topic,
      verdict: input.verdict,
      counts: input.counts,
      topFindings: input.topFindings,
      reportUrl: input.reportUrl,
      commitSha: input.commitSha,
      pipelineUrl: input.pipelineUrl,
      pipelineId: input.pipelineId,
      updatedAt: (ctx.now ?? (() => new Date()))(),
    });
    for (const mrIid of iids) {
      try {
        const r = await client.upsertMrNote({ project: input.project, mrIid, marker: noteMarker(scanhubProject, topic), body });
        result.notes.push({ mrIid, ...r });
      } catch (error) {
        errors.push(error);
      }
    }
  }

  if (errors.length > 0) {
    const first = errors[0];
    if (first instanceof IntegrationError && !first.retryable && errors.some((e) => e instanceof IntegrationError && e.retryable)) {
      throw new IntegrationError(first.code, first.message, { ...first.options, retryable: true });
    }
    throw first;
  }
  return result;
}
