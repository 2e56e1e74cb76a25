// Nexus IQ webhooks in (contract B.7): the X-Nexus-Webhook-Signature check (lowercase hex
// HMAC-SHA1 of the RAW body with the configured secret key, compared in constant time) and the
// application-evaluation / violation-alert payloads read into what the bridge needs to pull.
// IQ neither retries nor checks delivery, so the route should answer fast and queue the pull.
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import { safeEqual } from '../../../src/security/secrets.js';

export const IQ_SIGNATURE_HEADER = 'x-nexus-webhook-signature';
export const IQ_ALGORITHM_HEADER = 'x-nexus-webhook-signature-algorithm';
export const IQ_EVENT_HEADER = 'x-nexus-webhook-id';
export const IQ_DELIVERY_HEADER = 'x-nexus-webhook-delivery';

/** True when `signature` is the HMAC-SHA1 of the exact body bytes under `secret` ("currently only HmacSHA1"). */
export function verifyIqSignature(secret: string, rawBody: Buffer | string, signature: string | undefined, algorithm?: string): boolean {
  if (!secret || !signature) return false;
  if (algorithm !== undefined && algorithm.trim().toLowerCase() !== 'hmacsha1') return false;
  const expected = createHmac('sha1', secret).update(rawBody).digest('hex');
  return safeEqual(signature.trim().toLowerCase(), expected);
}

const applicationEvaluationSchema = z.looseObject({
  policyEvaluationId: z.string().nullish(),
  stage: z.string().min(1),
  ownerId: z.string().min(1),
  evaluationDate: z.string().min(1),
  reportId: z.string().nullish(),
  outcome: z.string().nullish(),
  affectedComponentCount: z.number().nullish(),
  criticalComponentCount: z.number().nullish(),
  severeComponentCount: z.number().nullish(),
  moderateComponentCount: z.number().nullish(),
});

const evaluationPayloadSchema = z.looseObject({
  timestamp: z.string().nullish(),
  initiator: z.string().nullish(),
  applicationEvaluation: applicationEvaluationSchema,
  application: z.looseObject({ id: z.string().nullish(), publicId: z.string().min(1), name: z.string().nullish() }).nullish(),
});

const alertPayloadSchema = evaluationPayloadSchema.extend({
  policyAlerts: z.array(
    z.looseObject({
      policyId: z.string().nullish(),
      policyName: z.string().nullish(),
      threatLevel: z.number().nullish(),
      policyViolationId: z.string().nullish(),
      componentFacts: z.array(z.looseObject({ hash: z.string().nullish(), displayName: z.string().nullish(), pathNames: z.array(z.string()).nullish() })).nullish(),
    }),
  ),
});

export interface IqEvaluationEvent {
  event: 'iq:applicationEvaluation' | 'iq:policyAlert';
  /** X-Nexus-Webhook-Delivery: de-duplicate on it. */
  deliveryId: string | undefined;
  /** The application's internal id (`ownerId`): the bridge resolves the public id when the payload lacks it. */
  applicationId: string;
  /** Present in violation alerts; application-evaluation payloads carry only the internal id. */
  applicationPublicId: string | undefined;
  stage: string;
  /** The report (scan) id on newer servers: raw and policy data can be fetched directly. */
  scanId: string | undefined;
  evaluationDate: string;
  policyEvaluationId: string | undefined;
  outcome: string | undefined;
  counts: { affected?: number; critical?: number; severe?: number; moderate?: number };
  /** Violation alerts: one entry per alert. */
  alerts: { policyName: string | undefined; threatLevel: number | undefined; policyViolationId: string | undefined; components: string[] }[];
}

export type IqWebhookResult = { kind: 'evaluation'; event: IqEvaluationEvent } | { kind: 'ignored'; eventType: string };

type Headers = Record<string, string | string[] | undefined>;
const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * Verifies and reads one delivery. Without a configured secret every delivery is refused: IQ
 * webhooks have no permission model, so an unsigned one could come from anyone.
 */
export function readIqWebhook(input: { secret: string | undefined; headers: Headers; rawBody: Buffer }): IqWebhookResult {
  if (!input.secret) {
    throw new IntegrationError('NEXUSIQ_WEBHOOK_SECRET_MISSING', 'This Nexus IQ integration has no webhookSecret: set one in ScanHub and the same Secret Key on the IQ webhook (System Preferences → Webhooks).', { status: 401 });
  }
  if (!verifyIqSignature(input.secret, input.rawBody, header(input.headers, IQ_SIGNATURE_HEADER), header(input.headers, IQ_ALGORITHM_HEADER))) {
    throw new IntegrationError('NEXUSIQ_WEBHOOK_SIGNATURE', 'The X-Nexus-Webhook-Signature does not match the body: the Secret Key on the IQ webhook must equal this integration\'s webhookSecret.', { status: 401 });
  }
  const eventType = header(input.headers, IQ_EVENT_HEADER) ?? '';
  if (eventType !== 'iq:applicationEvaluation' && eventType !== 'iq:policyAlert') return { kind: 'ignored', eventType };
  let body: unknown;
  try {
    body = JSON.parse(input.rawBody.toString('utf8'));
  } catch {
    throw new IntegrationError('NEXUSIQ_WEBHOOK_PAYLOAD', 'The Nexus IQ webhook body is not valid JSON.', { status: 400 });
  }
  const parsed = (eventType === 'iq:policyAlert' ? alertPayloadSchema : evaluationPayloadSchema).safeParse(body);
  if (!parsed.success) {
    throw new IntegrationError('NEXUSIQ_WEBHOOK_PAYLOAD', `The ${eventType} payload lacks applicationEvaluation {stage, ownerId, evaluationDate}.`, { status: 400 });
  }
  const p = parsed.data;
  const e = p.applicationEvaluation;
  const alerts = 'policyAlerts' in p ? (p as z.infer<typeof alertPayloadSchema>).policyAlerts : [];
  return {
    kind: 'evaluation',
    event: {
      event: eventType,
      deliveryId: header(input.headers, IQ_DELIVERY_HEADER),
      applicationId: e.ownerId,
      applicationPublicId: p.application?.publicId,
      stage: e.stage,
      scanId: e.reportId ?? undefined,
      evaluationDate: e.evaluationDate,
      policyEvaluationId: e.policyEvaluationId ?? undefined,
      outcome: e.outcome ?? undefined,
      counts: {
        ...(e.affectedComponentCount != null ? { affected: e.affectedComponentCount } : {}),
        ...(e.criticalComponentCount != null ? { critical: e.criticalComponentCount } : {}),
        ...(e.severeComponentCount != null ? { severe: e.severeComponentCount } : {}),
        ...(e.moderateComponentCount != null ? { moderate: e.moderateComponentCount } : {}),
      },
      alerts: alerts.map((a) => ({
        policyName: a.policyName ?? undefined,
        threatLevel: a.threatLevel ?? undefined,
        policyViolationId: a.policyViolationId ?? undefined,
        components: (a.componentFacts ?? []).map((c) => c.displayName ?? c.hash ?? '').filter(Boolean),
      })),
    },
  };
}
