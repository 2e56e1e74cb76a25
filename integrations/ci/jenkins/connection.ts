// A Jenkins controller ScanHub triggers jobs on.
import { z } from 'zod';
import { defineConnection } from '../../../src/plugins/connection.js';
import { httpUrl, secret } from '../../../src/plugins/connection-fields.js';

export const jenkinsConnection = defineConnection({
  kind: 'jenkins',
  family: 'integration',
  name: 'Jenkins',
  configSchema: z.strictObject({
    url: httpUrl.describe('Jenkins base URL, e.g. https://ci.example.com'),
    user: z.string().min(1).max(200),
    apiToken: secret.describe('The user\'s Jenkins API token'),
  }),
  secretFields: ['apiToken'],
  urlFields: ['url'],
});
