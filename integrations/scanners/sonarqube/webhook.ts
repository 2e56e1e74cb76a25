// SonarQube's analysis webhook (contract A.7): the signature check and the payload the bridge needs.
// SonarQube signs only when the webhook has a secret: X-Sonar-Webhook-HMAC-SHA256 = lowercase hex
// HMAC-SHA256(secret, exact body bytes). The payload carries no issues: it tells the bridge which
// project/branch to pull.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { IntegrationError } from '../../../src/plugins/integration-error.js';

export const SIGNATURE_HEADER = 'x-sonar-webhook-hmac-sha256';

export type WebhookVerdict = { ok: true } | { ok: false; code: 'SONARQUBE_WEBHOOK_UNSIGNED' | 'SONARQUBE_WEBHOOK_BAD_SIGNATURE'; message: string };

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  const value = Array.isArray(entry?.[1]) ? entry[1][0] : entry?.[1];
  return typeof value === 'string' ? value.trim() : undefined;
}

/** Checks the HMAC of the raw body in constant time. Never echoes the secret or the expected value. */
export function verifySonarWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>, secret: string): WebhookVerdict {
  const given = header(headers, SIGNATURE_HEADER);
  if (!given) {
    return { ok: false, code: 'SONARQUBE_WEBHOOK_UNSIGNED', message: 'The SonarQube webhook has no X-Sonar-Webhook-HMAC-SHA256 header: set the same secret on the webhook in SonarQube (Project Settings → Webhooks) as in ScanHub.' };
  }
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const actual = /^[0-9a-f]{64}$/i.test(given) ? Buffer.from(given, 'hex') : Buffer.alloc(0);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return { ok: false, code: 'SONARQUBE_WEBHOOK_BAD_SIGNATURE', message: 'The SonarQube webhook signature does not match: the secrets in SonarQube and ScanHub differ, or the body was changed on the way.' };
  }
  return { ok: true };
}

const payloadSchema = z.looseObject({
  taskId: z.string().min(1),
  status: z.string().min(1),
  analysedAt: z.string().min(1),
  serverUrl: z.string().optional(),
  project: z.looseObject({ key: z.string().min(1), name: z.string().optional(), url: z.string().optional() }),
  branch: z.looseObject({ name: z.string().min(1), type: z.string().optional(), isMain: z.boolean().optional() }).optional(),
  qualityGate: z.looseObject({ status: z.string().optional(), name: z.string().optional() }).optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
});

export interface SonarWebhookEvent {
  projectKey: string;
  projectName?: string | undefined;
  /** Set for branch analyses; absent for pull requests. */
  branch?: string | undefined;
  isMainBranch?: boolean | undefined;
  pullRequest?: string | undefined;
  analysedAt: string;
  taskId: string;
  /** Background task status: SUCCESS or FAILED. */
  status: string;
  qualityGateStatus?: string | undefined;
  serverUrl?: string | undefined;
  /** `sonar.analysis.*` scanner properties (e.g. a correlation id set by the CI job). */
  properties: Record<string, string>;
}

/** The webhook body as the bridge needs it; throws SONARQUBE_WEBHOOK_INVALID naming the bad field. */
export function parseSonarWebhook(json: unknown): SonarWebhookEvent {
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'the body';
    throw new IntegrationError('SONARQUBE_WEBHOOK_INVALID', `The SonarQube webhook is not an analysis notification: ${where}: ${issue?.message ?? 'invalid'}.`, { status: 400 });
  }
  const d = parsed.data;
  const isPullRequest = d.branch?.type?.toUpperCase() === 'PULL_REQUEST';
  const properties = Object.fromEntries(Object.entries(d.properties ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return {
    projectKey: d.project.key,
    projectName: d.project.name,
    branch: d.branch && !isPullRequest ? d.branch.name : undefined,
    isMainBranch: d.branch?.isMain,
    pullRequest: isPullRequest ? d.branch?.name : undefined,
    analysedAt: d.analysedAt,
    taskId: d.taskId,
    status: d.status,
    qualityGateStatus: d.qualityGate?.status,
    serverUrl: d.serverUrl,
    properties,
  };
}
