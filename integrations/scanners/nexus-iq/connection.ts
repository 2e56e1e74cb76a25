// A Nexus IQ Server / Sonatype Lifecycle instance: REST pulls out, IQ webhooks in (issue #13).
import { z } from 'zod';
import { defineConnection } from '../../../src/plugins/connection.js';
import { httpUrl, secret } from '../../../src/plugins/connection-fields.js';

/** IQ stages a report can belong to (contract B.0). */
export const IQ_STAGES = ['develop', 'source', 'build', 'stage-release', 'release', 'operate', 'continuous-monitoring'] as const;

const publicId = z.string().min(1).max(200).regex(/^[^\s/]+$/, 'an IQ application public id (no spaces or slashes)');

export const nexusIqConnection = defineConnection({
  kind: 'nexus-iq',
  family: 'integration',
  name: 'Sonatype Nexus IQ / Lifecycle',
  configSchema: z.strictObject({
    url: httpUrl.describe('IQ Server URL, e.g. https://iq.example.com:8070'),
    user: z.string().min(1).max(200).describe('User name, or the user code of a user token'),
    token: secret.describe('Passcode of the user token (or the password); needs View IQ Elements'),
    webhookSecret: secret.optional().describe('The Secret Key of the IQ webhook (X-Nexus-Webhook-Signature, HMAC-SHA1)'),
    applications: z
      .strictObject({
        /** IQ application public id → ScanHub project; these are pulled on the schedule. */
        map: z.record(publicId, z.string().min(1).max(200)).default({}),
        /** Project of an application not in `map` (webhook deliveries): {publicId} and {stage} are substituted. */
        template: z.string().min(1).max(200).default('nexus-iq/{publicId}'),
      })
      .default({ map: {}, template: 'nexus-iq/{publicId}' }),
    stages: z.array(z.enum(IQ_STAGES)).min(1).max(IQ_STAGES.length).default(['build']),
    /** Minutes between scheduled pulls of the mapped applications; 0 turns the schedule off. */
    pullIntervalMinutes: z.number().int().min(0).max(10_080).default(0),
  }),
  secretFields: ['token', 'webhookSecret'],
  urlFields: ['url'],
});

export type NexusIqSettings = z.output<typeof nexusIqConnection.configSchema>;

/** The ScanHub project an IQ application's findings go to. */
export function projectForApplication(settings: Pick<NexusIqSettings, 'applications'>, applicationPublicId: string, stage: string): string {
  const mapped = settings.applications.map[applicationPublicId];
  if (mapped) return mapped;
  return settings.applications.template.replaceAll('{publicId}', applicationPublicId).replaceAll('{stage}', stage);
}
