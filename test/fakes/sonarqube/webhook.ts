// The SonarQube side of an analysis webhook (contract A.7), for tests of ScanHub's receiver: the
// payload shaped like SonarQube's (docs and Zulip's recorded deliveries) and a sender that signs it
// as SonarQube does — X-Sonar-Webhook-HMAC-SHA256: lowercase hex HMAC-SHA256(secret, raw body).
import { createHmac } from 'node:crypto';

export interface SonarWebhookOptions {
  projectKey: string;
  projectName?: string;
  serverUrl?: string;
  branch?: { name: string; type?: 'BRANCH' | 'PULL_REQUEST'; isMain?: boolean };
  taskId?: string;
  status?: 'SUCCESS' | 'FAILED';
  analysedAt?: string;
  qualityGate?: 'OK' | 'ERROR';
  properties?: Record<string, string>;
}

export function sonarWebhookBody(o: SonarWebhookOptions): Record<string, unknown> {
  const serverUrl = o.serverUrl ?? 'http://localhost:9000';
  const dashboard = `${serverUrl}/dashboard?id=${encodeURIComponent(o.projectKey)}`;
  return {
    serverUrl,
    taskId: o.taskId ?? 'AXgTFfXRZCzhMRNj54bo',
    status: o.status ?? 'SUCCESS',
    analysedAt: o.analysedAt ?? '2021-03-08T18:25:04+0000',
    changedAt: o.analysedAt ?? '2021-03-08T18:25:04+0000',
    project: { key: o.projectKey, name: o.projectName ?? o.projectKey, url: dashboard },
    ...(o.branch ? { branch: { name: o.branch.name, type: o.branch.type ?? 'BRANCH', isMain: o.branch.isMain ?? false, url: dashboard } } : {}),
    ...(o.qualityGate
      ? { qualityGate: { name: 'Sonar way', status: o.qualityGate, conditions: [{ metric: 'new_security_rating', operator: 'GREATER_THAN', value: '1', status: o.qualityGate === 'OK' ? 'OK' : 'ERROR', errorThreshold: '1' }] } }
      : {}),
    properties: o.properties ?? {},
  };
}

export function signSonarBody(raw: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(raw).digest('hex');
}

/** POSTs the delivery to `url` like SonarQube; the signature header only when a secret is given. */
export async function sendSonarWebhook(url: string, body: Record<string, unknown> | string, options: { secret?: string } = {}): Promise<{ status: number; text: string; raw: string }> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const projectKey = typeof body === 'string' ? undefined : (body.project as { key?: string } | undefined)?.key;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      ...(projectKey ? { 'X-SonarQube-Project': projectKey } : {}),
      ...(options.secret ? { 'X-Sonar-Webhook-HMAC-SHA256': signSonarBody(raw, options.secret) } : {}),
    },
    body: raw,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, text: await response.text(), raw };
}
