// The built CLI (dist/, made by `npm ci` / pretest) run as a user runs it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/corpus.js';

const bin = join(projectRoot, 'dist/src/cli/bin.js');
const scanhub = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 60_000 });

describe('scanhub parse', () => {
  it('prints the findings model of a real Semgrep report, detected', () => {
    const r = scanhub(['parse', join(projectRoot, 'test/apps/demo-reports/semgrep.json')]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { tool: string; format: string; findings: { fingerprint: string; ruleId: string }[]; warnings: unknown[] };
    expect(out.tool).toBe('semgrep');
    expect(out.findings.length).toBe(7);
    expect(out.findings.every((f) => /^[0-9a-f]{64}$/.test(f.fingerprint))).toBe(true);
    expect(out.findings.map((f) => f.ruleId)).toContain('python-sql-string-format');
  });

  it('exits 2 with one line on stderr for an unknown or malformed file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scanhub-cli-'));
    writeFileSync(join(dir, 'unknown.json'), '{"hello": "world"}');
    writeFileSync(join(dir, 'broken.json'), '{"SchemaVersion": 2, "Results": [');
    for (const f of ['unknown.json', 'broken.json', 'missing.json']) {
      const r = scanhub(['parse', join(dir, f)]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^scanhub: /);
    }
    expect(scanhub(['parse', join(dir, 'unknown.json')]).stderr).toContain('Supported:');
  });

  it('refuses a file of another tool with --tool, saying what it looks like', () => {
    const r = scanhub(['parse', '--tool', 'trivy', join(projectRoot, 'test/apps/demo-reports/semgrep.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('looks like Semgrep');
  });

  it('exits 2 for usage errors', () => {
    expect(scanhub(['parse']).status).toBe(2);
    expect(scanhub(['no-such-command']).status).toBe(2);
    expect(scanhub(['submit', '--project', 'a/b', '--ref', 'main', 'x.json']).status).toBe(2); // no SCANHUB_URL
  });
});

describe('scanhub secrets and token', () => {
  it('rotates stored credentials to a new key with the built CLI, then reports nothing left under the old key', async () => {
    const { openDatabase } = await import('../../src/store/db.js');
    const { migrate } = await import('../../src/store/migrate.js');
    const { connections } = await import('../../integrations/index.js');
    const { createIntegration } = await import('../../src/store/repositories/integrations.js');
    const { parseSecretKey, SecretBox, generateSecretKey } = await import('../../src/security/secrets.js');
    const dataDir = mkdtempSync(join(tmpdir(), 'scanhub-rotate-'));
    const [oldKey, newKey] = [generateSecretKey(), scanhub(['secrets', 'generate-key']).stdout.trim()];
    expect(parseSecretKey(newKey).key).toHaveLength(32);
    const db = await openDatabase({ dataDir });
    await migrate(db);
    await createIntegration(db, new SecretBox(parseSecretKey(oldKey)), connections.find((c) => c.kind === 'jenkins')!, { name: 'ci', config: { url: 'https://ci.example.com', user: 'u', apiToken: 'jenkins-api-token' } }, 'test');
    await db.close();

    const env = { SCANHUB_DATA_DIR: dataDir, SCANHUB_SECRET_KEY: newKey };
    const missingOld = scanhub(['secrets', 'rotate'], env);
    expect(missingOld.status, missingOld.stderr).toBe(3);
    expect(missingOld.stderr).toContain('SCANHUB_SECRET_KEYS_OLD');
    const status = scanhub(['secrets', 'status'], { ...env, SCANHUB_SECRET_KEYS_OLD: oldKey });
    expect(status.stdout).toContain(`${parseSecretKey(oldKey).id}: 1 sealed (old, readable`);
    const rotated = scanhub(['secrets', 'rotate'], { ...env, SCANHUB_SECRET_KEYS_OLD: oldKey });
    expect(rotated.status, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain(`re-encrypted 1 stored value(s) under key ${parseSecretKey(newKey).id}`);
    expect(scanhub(['secrets', 'status'], env).stdout).toContain(`${parseSecretKey(newKey).id}: 1 sealed (current)`);
  }, 180_000);

  it('creates a scoped, expiring token printed once, lists it by prefix and revokes it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'scanhub-token-'));
    const env = { SCANHUB_DATA_DIR: dataDir };
    const created = scanhub(['token', 'create', '--name', 'jenkins team-a', '--role', 'ci', '--expires', '30d'], env);
    expect(created.status, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^shk_[\w-]{43}$/);
    const list = scanhub(['token', 'list'], env).stdout;
    expect(list).toContain(token.slice(0, 12));
    expect(list).not.toContain(token);
    const id = list.split('\n').find((l) => l.includes('jenkins team-a'))!.split(/\s+/)[0]!;
    expect(scanhub(['token', 'revoke', id], env).status).toBe(0);
    expect(scanhub(['token', 'list'], env).stdout).toMatch(/revoked\s+jenkins team-a/);
    expect(scanhub(['token', 'create', '--name', 'x', '--expires', '2001-01-01'], env).stderr).toContain('in the past');
  }, 180_000);
});
