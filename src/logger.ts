// Structured logs (pino) with secrets redacted wherever they may appear.
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-jfrog-event-auth"]',
  'req.headers["x-gitlab-token"]',
  'headers.authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.apiKey',
  '*.adminToken',
  '*.databaseUrl',
  'config.databaseUrl',
  'config.adminToken',
  'config.token',
];

export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'scanhub' } },
    destination as pino.DestinationStream | undefined,
  );
}
