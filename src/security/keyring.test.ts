import { mkdtempSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../logger.js';
import { GENERATED_KEY_FILE, loadSecretBox } from './keyring.js';
import { generateSecretKey, parseSecretKey } from './secrets.js';

const log = createLogger('silent');

describe('loadSecretBox', () => {
  it('generates a key file (0600) on the embedded first run and reuses it afterwards', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'scanhub-key-'));
    const first = loadSecretBox(loadConfig({ SCANHUB_DATA_DIR: dataDir }), log)!;
    const path = join(dataDir, GENERATED_KEY_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const second = loadSecretBox(loadConfig({ SCANHUB_DATA_DIR: dataDir }), log)!;
    expect(second.currentKeyId).toBe(first.currentKeyId);
    expect(second.decrypt(first.encrypt('smtp-password', 'x'), 'x')).toBe('smtp-password');
    expect(parseSecretKey(readFileSync(path, 'utf8')).id).toBe(first.currentKeyId);
  });

  it('with PostgreSQL and no key has no box (storing secrets is refused), and never writes a key file', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'scanhub-key-'));
    expect(loadSecretBox(loadConfig({ DATABASE_URL: 'postgres://x@localhost/db', SCANHUB_DATA_DIR: dataDir }), log)).toBeUndefined();
    expect(() => statSync(join(dataDir, GENERATED_KEY_FILE))).toThrow();
  });

  it('takes SCANHUB_SECRET_KEY, or a key file, and keeps old keys readable', () => {
    const current = generateSecretKey();
    const old = generateSecretKey();
    const oldBox = loadSecretBox(loadConfig({ SCANHUB_SECRET_KEY: old, DATABASE_URL: 'postgres://x@localhost/db' }), log)!;
    const sealed = oldBox.encrypt('token', 'ctx');
    const box = loadSecretBox(loadConfig({ SCANHUB_SECRET_KEY: current, SCANHUB_SECRET_KEYS_OLD: `${old}`, DATABASE_URL: 'postgres://x@localhost/db' }), log)!;
    expect(box.currentKeyId).toBe(parseSecretKey(current).id);
    expect(box.decrypt(sealed, 'ctx')).toBe('token');
    expect(box.isStale(sealed)).toBe(true);

    const file = join(mkdtempSync(join(tmpdir(), 'scanhub-key-')), 'k');
    writeFileSync(file, current + '\n', { mode: 0o600 });
    expect(loadSecretBox(loadConfig({ SCANHUB_SECRET_KEY_FILE: file, DATABASE_URL: 'postgres://x@localhost/db' }), log)!.currentKeyId).toBe(box.currentKeyId);
  });

  it('refuses a key that is not 32 bytes, naming the variable and not the value', () => {
    expect(() => loadSecretBox(loadConfig({ SCANHUB_SECRET_KEY: 'too-short-key-value' }), log)).toThrow(/^SCANHUB_SECRET_KEY: .*32 bytes/);
    try {
      loadSecretBox(loadConfig({ SCANHUB_SECRET_KEY: 'too-short-key-value' }), log);
    } catch (error) {
      expect((error as Error).message).not.toContain('too-short-key-value');
    }
  });
});
