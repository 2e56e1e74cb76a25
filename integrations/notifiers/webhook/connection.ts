// Generic webhook channel: JSON POST signed with HMAC-SHA256 of the raw body.
import { z } from 'zod';
import { defineConnection } from '../../../src/plugins/connection.js';
import { httpUrl, secret } from '../../../src/plugins/connection-fields.js';

export const webhookConnection = defineConnection({
  kind: 'webhook',
  family: 'channel',
  name: 'Webhook',
  configSchema: z.strictObject({
    url: httpUrl,
    signingSecret: secret.describe('Key of the X-ScanHub-Signature HMAC'),
  }),
  secretFields: ['signingSecret'],
  urlFields: ['url'],
});
