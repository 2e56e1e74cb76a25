import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configDocsTable, replaceConfigSection } from '../../src/config/docs.js';
import { loadConfig, ConfigError } from '../../src/config/load.js';
import { projectRoot } from '../helpers/corpus.js';

describe('README', () => {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  it('has the two-line quick start', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });
  it('documents the configuration exactly as the schema declares it (npm run docs:config)', () => {
    expect(replaceConfigSection(readme, configDocsTable())).toBe(readme);
  });
});

describe('configuration', () => {
  it('names the variable and never echoes a secret value in errors', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://user:hunter2@db/x', PORT: 'eighty' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('PORT');
    expect(message).not.toContain('hunter2');
  });
  it('parses sizes and defaults', () => {
    const c = loadConfig({ SCANHUB_MAX_UPLOAD: '2mb' });
    expect(c.maxUploadSize).toBe(2 * 1024 * 1024);
    expect(c.port).toBe(8080);
    expect(c.dataDir).toBe('./data');
  });
});
