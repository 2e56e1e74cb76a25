// Microsoft Teams channel: an incoming-webhook URL, which is itself the credential.
import { z } from 'zod';
import { defineConnection } from '../../../src/plugins/connection.js';
import { httpUrl } from '../../../src/plugins/connection-fields.js';

export const teamsConnection = defineConnection({
  kind: 'teams',
  family: 'channel',
  name: 'Microsoft Teams',
  configSchema: z.strictObject({
    webhookUrl: httpUrl.describe('Incoming webhook URL (kept encrypted: anyone holding it can post)'),
  }),
  secretFields: ['webhookUrl'],
  urlFields: ['webhookUrl'],
});
