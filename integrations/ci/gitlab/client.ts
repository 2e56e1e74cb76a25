// Server-side GitLab client (@gitbeaker/rest 43) for what ScanHub writes back: the one MR note per
// project + topic (found by its hidden marker, edited in place), the `scanhub` commit status, a
// triggered pipeline with variables, and verify() for a connection form.
//
// Transport: gitbeaker accepts a `requesterFn` constructor option that overrides its preset
// requester, so every call runs through ScanHub's guarded axios client (requester.ts): the outbound
// URL guard before the request and at connect time, TLS verification with the operator's CA bundle.
// gitbeaker's own 10-step retry loop for 429/502 is therefore not in the path at all; this client
// retries itself, a bounded number of times, honouring Retry-After and giving up at once (with
// `retryAfterMs` on the error, for the job queue) when GitLab asks for a longer wait than allowed.
import { Commits, MergeRequestNotes, PersonalAccessTokens, Pipelines, ProjectMembers, Projects, Users } from '@gitbeaker/rest';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import type { Outbound } from '../../../src/security/outbound.js';
import { axiosRequesterFn } from './requester.js';

export type CommitState = 'pending' | 'running' | 'success' | 'failed' | 'canceled';

export interface GitlabRetryOptions {
  /** Tries in all, including the first (default 3). */
  attempts?: number;
  /** Back-off base when GitLab gives no Retry-After (default 500 ms, doubled each time). */
  baseDelayMs?: number;
  /** The longest wait this client sits through; a longer Retry-After is thrown to the caller (default 30 s). */
  maxWaitMs?: number;
}

export interface GitlabClientOptions {
  /** GitLab base URL, e.g. https://gitlab.example.com (the API is under /api/v4). */
  url: string;
  /** Project or group access token (or personal access token) with the api scope. */
  token: string;
  outbound: Outbound;
  /** The URL came through the API (guarded); false only for SCANHUB_GITLAB_URL set by the operator. Default true. */
  userSet?: boolean;
  timeoutMs?: number;
  retry?: GitlabRetryOptions;
  /** Test seam for the back-off sleeps. */
  sleep?: (ms: number) => Promise<void>;
}

export interface GitlabUser {
  id: number;
  username: string;
  bot?: boolean;
}

export interface GitlabVerification {
  user: GitlabUser;
  project: { id: number; pathWithNamespace: string; webUrl?: string };
  /** The token user's effective access level on the project (30 = Developer). */
  accessLevel: number;
  /** The token's scopes when GitLab says (personal/project/group access tokens). */
  scopes?: string[];
}

export interface UpsertNoteResult {
  noteId: number;
  action: 'created' | 'updated' | 'unchanged';
}

/** GitLab access levels (docs: "Roles and permissions"). */
export const ACCESS_LEVEL = { guest: 10, reporter: 20, developer: 30, maintainer: 40, owner: 50 } as const;

/** Commit statuses and pipeline triggers need Developer. */
export const REQUIRED_ACCESS_LEVEL = ACCESS_LEVEL.developer;

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type ResourceOptions = ConstructorParameters<typeof Users<false>>[0];

interface NoteRow {
  id: number;
  body: string;
  system?: boolean;
  author?: { id?: number };
}

export class GitlabClient {
  private readonly resources: {
    users: Users;
    projects: Projects;
    members: ProjectMembers;
    tokens: PersonalAccessTokens;
    notes: MergeRequestNotes;
    commits: Commits;
    pipelines: Pipelines;
  };
  private readonly retry: Required<GitlabRetryOptions>;
  private readonly sleep: (ms: number) => Promise<void>;
  private me: Promise<GitlabUser> | undefined;

  constructor(private readonly options: GitlabClientOptions) {
    const http = options.outbound.client({ userSet: options.userSet ?? true, timeoutMs: options.timeoutMs ?? 15_000 });
    const requesterFn = axiosRequesterFn(http, options.token) as unknown as NonNullable<ResourceOptions['requesterFn']>;
    const base = { host: options.url.replace(/\/+$/, ''), token: options.token, requesterFn, queryTimeout: options.timeoutMs ?? 15_000 } as ResourceOptions & { camelize?: false };
    this.resources = {
      users: new Users<false>(base),
      projects: new Projects<false>(base),
      members: new ProjectMembers<false>(base),
      tokens: new PersonalAccessTokens<false>(base),
      notes: new MergeRequestNotes<false>(base),
      commits: new Commits<false>(base),
      pipelines: new Pipelines<false>(base),
    };
    this.retry = { attempts: options.retry?.attempts ?? 3, baseDelayMs: options.retry?.baseDelayMs ?? 500, maxWaitMs: options.retry?.maxWaitMs ?? 30_000 };
    this.sleep = options.sleep ?? sleepReal;
  }

  /**
   * Runs `fn`, retrying retryable IntegrationErrors (429, 5xx, network) up to `attempts` tries.
   * `rateLimitOnly`: for non-idempotent calls, only a 429 (GitLab did not act) is retried.
   */
  async withRetry<T>(fn: () => Promise<T>, rateLimitOnly = false): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (!(error instanceof IntegrationError) || !error.retryable) throw error;
        if (rateLimitOnly && error.code !== 'GITLAB_RATE_LIMITED') throw error;
        if (attempt >= this.retry.attempts) throw error;
        const wait = error.options.retryAfterMs ?? this.retry.baseDelayMs * 2 ** (attempt - 1);
        if (wait > this.retry.maxWaitMs) throw error;
        await this.sleep(wait);
      }
    }
  }

  /** GET /user (cached): who the token acts as. */
  currentUser(): Promise<GitlabUser> {
    this.me ??= this.withRetry(async () => {
      const u = (await this.resources.users.showCurrentUser()) as unknown as { id: number; username: string; bot?: boolean };
      return { id: u.id, username: u.username, ...(u.bot !== undefined ? { bot: u.bot } : {}) };
    }).catch((error: unknown) => {
      this.me = undefined;
      throw error;
    });
    return this.me;
  }

  /**
   * Checks the token, the project and the permission, each with its own code:
   * GITLAB_TOKEN_INVALID, GITLAB_TOKEN_SCOPE, GITLAB_PROJECT_NOT_FOUND, GITLAB_PERMISSION_DENIED
   * (transport problems keep GITLAB_UNREACHABLE / GITLAB_TIMEOUT / OUTBOUND_URL_REFUSED).
   */
  async verify(project: string | number): Promise<GitlabVerification> {
    let user: GitlabUser;
    try {
      user = await this.currentUser();
    } catch (error) {
      if (error instanceof IntegrationError && (error.code === 'GITLAB_UNAUTHORIZED' || error.code === 'GITLAB_FORBIDDEN')) {
        throw new IntegrationError('GITLAB_TOKEN_INVALID', 'GitLab does not accept the token: it is wrong, expired or revoked. Create a project or group access token with the api scope and the Developer role.', { status: error.options.status ?? 401 });
      }
      throw error;
    }
    let scopes: string[] | undefined;
    try {
      const self = (await this.withRetry(() => this.resources.tokens.show())) as unknown as { scopes?: unknown };
      if (Array.isArray(self.scopes)) scopes = self.scopes.filter((s): s is string => typeof s === 'string');
    } catch (error) {
      // Older GitLab (< 15.5), OAuth tokens: no self-introspection. The project checks still run.
      if (!(error instanceof IntegrationError) || error.retryable) throw error;
    }
    if (scopes && !scopes.includes('api')) {
      throw new IntegrationError('GITLAB_TOKEN_SCOPE', `The token has the scopes ${scopes.join(', ') || '(none)'}, but writing notes and commit statuses needs the api scope.`, { status: 403 });
    }
    let info: { id: number; path_with_namespace: string; web_url?: string; permissions?: { project_access?: { access_level?: number } | null; group_access?: { access_level?: number } | null } };
    try {
      info = (await this.withRetry(() => this.resources.projects.show(project))) as unknown as typeof info;
    } catch (error) {
      if (error instanceof IntegrationError && (error.code === 'GITLAB_NOT_FOUND' || error.code === 'GITLAB_FORBIDDEN')) {
        throw new IntegrationError('GITLAB_PROJECT_NOT_FOUND', `GitLab has no project "${String(project)}" that this token can see. Check the path (group/project) and that the token's user is a member.`, { status: 404 });
      }
      throw error;
    }
    let accessLevel = Math.max(info.permissions?.project_access?.access_level ?? 0, info.permissions?.group_access?.access_level ?? 0);
    if (accessLevel === 0) {
      try {
        const member = (await this.withRetry(() => this.resources.members.show(info.id, user.id, { includeInherited: true }))) as unknown as { access_level?: number };
        accessLevel = member.access_level ?? 0;
      } catch (error) {
        if (!(error instanceof IntegrationError) || error.retryable) throw error;
      }
    }
    if (accessLevel < REQUIRED_ACCESS_LEVEL) {
      throw new IntegrationError(
        'GITLAB_PERMISSION_DENIED',
        `The token's user ${user.username} has access level ${accessLevel} on ${info.path_with_namespace}; commit statuses and pipelines need Developer (30) or higher.`,
        { status: 403 },
      );
    }
    return { user, project: { id: info.id, pathWithNamespace: info.path_with_namespace, ...(info.web_url ? { webUrl: info.web_url } : {}) }, accessLevel, ...(scopes ? { scopes } : {}) };
  }

  /** The note carrying `marker` written by the token's user (oldest first), if any. */
  findNote(project: string | number, mrIid: number | string, marker: string): Promise<NoteRow | undefined> {
    return this.withRetry(() => this.lookUpNote(project, mrIid, marker));
  }

  private async lookUpNote(project: string | number, mrIid: number | string, marker: string): Promise<NoteRow | undefined> {
    const me = await this.currentUser();
    const notes = (await this.resources.notes.all(project, Number(mrIid), { sort: 'asc', orderBy: 'created_at', perPage: 100, maxPages: 50 })) as unknown as NoteRow[];
    return notes.find((n) => !n.system && typeof n.body === 'string' && n.body.trimStart().startsWith(marker) && (n.author?.id === undefined || n.author.id === me.id));
  }

  /**
   * Creates the note, or edits the existing one with the same marker. The whole find-then-write is
   * retried, so a create whose answer was lost is found (not duplicated) on the next try.
   */
  async upsertMrNote(input: { project: string | number; mrIid: number | string; marker: string; body: string }): Promise<UpsertNoteResult> {
    if (!input.body.trimStart().startsWith(input.marker)) throw new Error('the note body must start with its marker');
    return this.withRetry(async () => {
      const existing = await this.lookUpNote(input.project, input.mrIid, input.marker);
      if (existing) {
        if (existing.body === input.body) return { noteId: existing.id, action: 'unchanged' as const };
        const edited = (await this.resources.notes.edit(input.project, Number(input.mrIid), existing.id, { body: input.body })) as unknown as { id: number };
        return { noteId: edited.id ?? existing.id, action: 'updated' as const };
      }
      const created = (await this.resources.notes.create(input.project, Number(input.mrIid), input.body)) as unknown as { id: number };
      return { noteId: created.id, action: 'created' as const };
    });
  }

  /**
   * POST /projects/:id/statuses/:sha with a stable name, so reruns update the same status. GitLab
   * answers 400 "Cannot transition status" when the state is already the one asked for: success.
   */
  async setCommitStatus(input: {
    project: string | number;
    sha: string;
    state: CommitState;
    name?: string;
    targetUrl?: string | undefined;
    description?: string | undefined;
    ref?: string | undefined;
    pipelineId?: number | string | undefined;
  }): Promise<{ id?: number; status: string; unchanged?: boolean }> {
    const options: Record<string, unknown> = { name: input.name ?? 'scanhub' };
    if (input.targetUrl && input.targetUrl.length <= 255) options.targetUrl = input.targetUrl;
    if (input.description) options.description = Array.from(input.description).slice(0, 255).join('');
    if (input.ref) options.ref = input.ref.slice(0, 255);
    if (input.pipelineId !== undefined && /^\d+$/.test(String(input.pipelineId))) options.pipelineId = Number(input.pipelineId);
    try {
      const status = (await this.withRetry(() => this.resources.commits.editStatus(input.project, input.sha, input.state, options))) as unknown as { id?: number; status: string };
      return { ...(status.id !== undefined ? { id: status.id } : {}), status: status.status ?? input.state };
    } catch (error) {
      if (error instanceof IntegrationError && error.code === 'GITLAB_REJECTED' && /cannot transition status/i.test(error.message)) return { status: input.state, unchanged: true };
      throw error;
    }
  }

  /** POST /projects/:id/pipeline with variables. Not idempotent: only a 429 is retried. */
  async triggerPipeline(input: { project: string | number; ref: string; variables?: Record<string, string> }): Promise<{ id: number; status: string; webUrl?: string }> {
    const variables = Object.entries(input.variables ?? {}).map(([key, value]) => ({ key, value, variable_type: 'env_var' as const }));
    const p = (await this.withRetry(() => this.resources.pipelines.create(input.project, input.ref, variables.length ? { variables } : {}), true)) as unknown as { id: number; status: string; web_url?: string };
    return { id: p.id, status: p.status, ...(p.web_url ? { webUrl: p.web_url } : {}) };
  }

  /** Open merge requests whose source includes `sha` (GET /projects/:id/repository/commits/:sha/merge_requests). */
  async openMergeRequestsForCommit(project: string | number, sha: string): Promise<{ iid: number; state: string; webUrl?: string }[]> {
    const mrs = (await this.withRetry(() => this.resources.commits.allMergeRequests(project, sha))) as unknown as { iid: number; state: string; web_url?: string }[];
    return mrs.filter((m) => m.state === 'opened').map((m) => ({ iid: m.iid, state: m.state, ...(m.web_url ? { webUrl: m.web_url } : {}) }));
  }
}

export function createGitlabClient(options: GitlabClientOptions): GitlabClient {
  return new GitlabClient(options);
}
