// A GitLab instance ScanHub writes back to (MR notes, commit statuses, triggered pipelines).
import { z } from 'zod';
import { defineConnection } from '../../../src/plugins/connection.js';
import { httpUrl, secret } from '../../../src/plugins/connection-fields.js';

export const gitlabConnection = defineConnection({
  kind: 'gitlab',
  family: 'integration',
  name: 'GitLab',
  configSchema: z.strictObject({
    url: httpUrl.describe('GitLab base URL, e.g. https://gitlab.example.com'),
    token: secret.describe('Project or group access token with the api scope'),
    webhookSecret: secret.optional().describe('Secret GitLab sends in X-Gitlab-Token'),
    mergeRequestNotes: z.boolean().default(true),
    commitStatuses: z.boolean().default(true),
  }),
  secretFields: ['token', 'webhookSecret'],
  urlFields: ['url'],
});
