// Where the secret key comes from: SCANHUB_SECRET_KEY, a key file, or — embedded only — a key
// generated on first run into the data directory (0600). Previous keys stay readable for rotation.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import type { Logger } from '../logger.js';
import { generateSecretKey, parseSecretKey, SecretBox, SecretBoxError, type SecretKey } from './secrets.js';

export const GENERATED_KEY_FILE = 'secret.key';

function parse(value: string, source: string): SecretKey {
  try {
    return parseSecretKey(value);
  } catch (error) {
    throw new ConfigError(`${source}: ${error instanceof SecretBoxError ? error.message : 'not a valid key'}`);
  }
}

function readKeyFile(path: string, source: string, log: Logger): SecretKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${source}: cannot read the key file (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    log.warn({ path }, 'the secret key file is readable by other users; chmod 600 it');
  }
  return parse(text, source);
}

/**
 * The SecretBox for this process, or undefined when no key is configured (a PostgreSQL install
 * without SCANHUB_SECRET_KEY): then ScanHub runs but refuses to store credentials.
 */
export function loadSecretBox(config: Config, log: Logger): SecretBox | undefined {
  const previous = (config.secretKeysOld ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean)
    .map((v, i) => parse(v, `SCANHUB_SECRET_KEYS_OLD[${i}]`));
  if (config.secretKey) return new SecretBox(parse(config.secretKey, 'SCANHUB_SECRET_KEY'), previous);
  if (config.secretKeyFile) return new SecretBox(readKeyFile(config.secretKeyFile, 'SCANHUB_SECRET_KEY_FILE', log), previous);
  if (config.databaseUrl) return undefined;
  const path = join(config.dataDir, GENERATED_KEY_FILE);
  if (!existsSync(path)) {
    mkdirSync(config.dataDir, { recursive: true });
    // 'wx': never overwrite a key another process wrote a moment ago.
    try {
      writeFileSync(path, generateSecretKey() + '\n', { mode: 0o600, flag: 'wx' });
      chmodSync(path, 0o600);
      log.warn({ path }, 'generated a secret key for stored credentials; back it up with the data directory, and set SCANHUB_SECRET_KEY in production');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return new SecretBox(readKeyFile(path, path, log), previous);
}
