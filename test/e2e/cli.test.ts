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
