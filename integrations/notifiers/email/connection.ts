// Email channel settings: an SMTP relay (STARTTLS, implicit TLS or plain on a trusted network).
import { z } from 'zod';
import { defineConnection } from '../../../src/plugins/connection.js';
import { email, secret } from '../../../src/plugins/connection-fields.js';

export const emailConnection = defineConnection({
  kind: 'email',
  family: 'channel',
  name: 'Email (SMTP)',
  configSchema: z.strictObject({
    host: z.string().trim().min(1).max(253),
    port: z.number().int().min(1).max(65535).default(587),
    security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
    user: z.string().max(320).optional(),
    /** Nodemailer-style aliases: `secure: true` is implicit TLS, `false` STARTTLS; `username` is `user`. */
    secure: z.boolean().optional(),
    username: z.string().max(320).optional(),
    password: secret.optional(),
    from: email,
    to: z.array(email).min(1).max(100),
  }),
  secretFields: ['password'],
  urlFields: [],
});

type EmailSettings = z.output<typeof emailConnection.configSchema>;

/** Settings with the aliases folded in: `secure` decides `security` when given, `username` fills `user`. */
export function normaliseEmailSettings(config: EmailSettings): EmailSettings {
  const security = config.secure === undefined ? config.security : config.secure ? 'tls' : 'starttls';
  return { ...config, security, user: config.user ?? config.username };
}
