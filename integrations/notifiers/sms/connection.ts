// SMS channel: a Twilio-compatible Messages API (base URL configurable for compatible providers).
import { z } from 'zod';
import { defineConnection } from '../../../src/plugins/connection.js';
import { httpUrl, phone, secret } from '../../../src/plugins/connection-fields.js';

export const smsConnection = defineConnection({
  kind: 'sms',
  family: 'channel',
  name: 'SMS (Twilio-compatible)',
  configSchema: z.strictObject({
    baseUrl: httpUrl.default('https://api.twilio.com'),
    accountSid: z.string().regex(/^[A-Za-z0-9]{10,64}$/),
    authToken: secret,
    from: phone,
    to: z.array(phone).min(1).max(20),
  }),
  secretFields: ['authToken'],
  urlFields: ['baseUrl'],
});
