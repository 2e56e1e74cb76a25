// What the server does with a Jenkins connection: trigger a parameterised job (e.g. rescan an image
// after a push) and, when asked, wait for its result. Jenkins has nothing to publish back: the
// verdict reaches the Jenkins build page through `scanhub ci` (its exit code, JUnit, SARIF, HTML).
import type { Outbound } from '../../../src/security/outbound.js';
import { createJenkinsClient, type JenkinsBuild, type JenkinsClient } from './client.js';

/** The stored Jenkins connection (integrations/ci/jenkins/connection.ts). */
export interface JenkinsSettings {
  url: string;
  user: string;
  apiToken: string;
}

export interface JenkinsTriggerContext {
  outbound: Outbound;
  /** false only for operator-set URLs; default true (guarded). */
  userSet?: boolean;
  pollIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  client?: JenkinsClient;
}

export interface JenkinsTriggerInput {
  /** Job name; folders as "folder/job". */
  job: string;
  parameters?: Record<string, string>;
  /** 'queued' returns once Jenkins queued it; 'started' once it has a build number; 'finished' with the result. Default 'queued'. */
  wait?: 'queued' | 'started' | 'finished';
  timeoutMs?: number;
}

export type JenkinsTriggerResult =
  | { state: 'queued'; queueId: number }
  | { state: 'started'; queueId: number; number: number; url: string }
  | ({ state: 'finished'; queueId: number } & JenkinsBuild);

export async function triggerJenkinsJob(settings: JenkinsSettings, input: JenkinsTriggerInput, ctx: JenkinsTriggerContext): Promise<JenkinsTriggerResult> {
  const client =
    ctx.client ??
    createJenkinsClient({
      url: settings.url,
      user: settings.user,
      apiToken: settings.apiToken,
      outbound: ctx.outbound,
      userSet: ctx.userSet ?? true,
      ...(ctx.pollIntervalMs !== undefined ? { pollIntervalMs: ctx.pollIntervalMs } : {}),
      ...(ctx.sleep ? { sleep: ctx.sleep } : {}),
    });
  const wait = input.wait ?? 'queued';
  if (wait === 'finished') {
    const { queueId, ...build } = await client.runJob(input.job, input.parameters ?? {}, input.timeoutMs);
    return { state: 'finished', queueId, ...build };
  }
  const { queueId } = await client.triggerBuild(input.job, input.parameters ?? {});
  if (wait === 'queued') return { state: 'queued', queueId };
  const started = await client.waitForStart(queueId, input.timeoutMs);
  return { state: 'started', queueId, ...started };
}
