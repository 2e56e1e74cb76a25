// A JFrog Platform instance: Artifactory push webhooks in, Xray REST out (issue: JFrog bridge).
import { z } from 'zod';
import { defineConnection } from '../../../src/plugins/connection.js';
import { httpUrl, seconds, secret } from '../../../src/plugins/connection-fields.js';

export const jfrogConnection = defineConnection({
  kind: 'jfrog',
  family: 'integration',
  name: 'JFrog Artifactory + Xray',
  configSchema: z.strictObject({
    baseUrl: httpUrl.describe('Platform URL, e.g. https://acme.jfrog.io'),
    accessToken: secret.describe('Access token with Xray read and scan permissions'),
    webhookSecret: secret.optional().describe('The Artifactory webhook handler secret (plain or payload signing)'),
    projectKey: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/).optional(),
    watch: z
      .strictObject({
        repositories: z.array(z.string().min(1).max(200)).max(100).default(['**']),
        images: z.array(z.string().min(1).max(300)).max(100).default(['**']),
      })
      .default({ repositories: ['**'], images: ['**'] }),
    /** Which ScanHub project an image's findings go to: {repo} and {image} are substituted. */
    projectMapping: z.string().min(1).max(200).default('{repo}/{image}'),
    pollIntervalSeconds: seconds(1, 600, 10),
    /** When a pushed image's verdict is one of `on`, trigger the source project's GitLab pipeline (variables SCANHUB_IMAGE, SCANHUB_IMAGE_DIGEST, SCANHUB_VERDICT). */
    sourceRescan: z
      .strictObject({
        gitlabProject: z.string().min(1).max(255),
        ref: z.string().min(1).max(255).default('main'),
        on: z.array(z.enum(['pass', 'warn', 'fail', 'error'])).min(1).default(['fail', 'error']),
      })
      .optional(),
    deadlineSeconds: seconds(30, 86_400, 900),
  }),
  secretFields: ['accessToken', 'webhookSecret'],
  urlFields: ['baseUrl'],
});
