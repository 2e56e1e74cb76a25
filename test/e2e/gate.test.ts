// `scanhub gate` offline: each exit code proven (0 pass/warn, 1 fail, 2 usage/input, 3 could not assess).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/corpus.js';

const bin = join(projectRoot, 'dist/src/cli/bin.js');
const reports = join(projectRoot, 'test/apps/demo-reports');
const dir = mkdtempSync(join(tmpdir(), 'scanhub-gate-'));
const policy = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const gate = (args: string[]) => spawnSync(process.execPath, [bin, 'gate', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 60_000 });

const failCritical = policy('fail.yml', 'version: 1\nrules:\n  - id: fixable-critical\n    when: { severity: critical, fixAvailable: true }\n    action: fail\n    reason: Fix criticals.\n');
const warnNewHigh = policy('warn.yml', 'version: 1\nrules:\n  - id: new-high\n    when: { severity: ">=high", new: true }\n    action: warn\n');
const needsXray = policy('xray.yml', 'version: 1\nrequire:\n  tools: [xray]\nrules: []\n');
const typo = policy('typo.yml', 'version: 1\nrules:\n  - id: r\n    when: { severity: high, pakage: x }\n    action: fail\n');

describe('scanhub gate', () => {
  it('exits 1 on fail and prints the rule with the findings that tripped it', () => {
    const r = gate(['--policy', failCritical, join(reports, 'trivy-image.json')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAIL: /);
    expect(r.stdout).toContain('fixable-critical');
    expect(r.stdout).toContain('CVE-2020-14343');
    expect(r.stdout).toContain('pyyaml@5.3');
  });

  it('exits 0 on pass, and on warn unless --warn-exit-code says otherwise', () => {
    expect(gate(['--policy', failCritical, join(reports, 'semgrep.json')]).status).toBe(0);
    const trivy = join(reports, 'trivy-image.json');
    expect(gate(['--policy', warnNewHigh, trivy]).status).toBe(0);
    expect(gate(['--policy', warnNewHigh, '--warn-exit-code', '4', trivy]).status).toBe(4);
    // Against itself as the baseline nothing is new: pass.
    const same = gate(['--policy', warnNewHigh, '--json', '--warn-exit-code', '4', '--baseline', trivy, '--', trivy]);
    expect(same.status).toBe(0);
    expect((JSON.parse(same.stdout) as { outcome: string }).outcome).toBe('pass');
  });

  it('exits 2 for a policy with a typo (line and column), a malformed report, or bad usage', () => {
    const t = gate(['--policy', typo, join(reports, 'semgrep.json')]);
    expect(t.status).toBe(2);
    expect(t.stderr).toContain('line 4, column 29');
    expect(t.stderr).toContain('unknown key "pakage"');
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"results": [');
    expect(gate(['--policy', failCritical, broken]).status).toBe(2);
    expect(gate([join(reports, 'semgrep.json')]).status).toBe(2);
    expect(gate(['--policy', join(dir, 'missing.yml'), join(reports, 'semgrep.json')]).status).toBe(2);
  });

  it('exits 3 when it cannot assess: a required tool did not report', () => {
    const r = gate(['--policy', needsXray, join(reports, 'trivy-image.json')]);
    expect(r.status).toBe(3);
    expect(r.stdout).toContain('Required tool did not report: xray');
  });
});
