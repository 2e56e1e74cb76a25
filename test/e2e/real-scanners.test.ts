// The real Semgrep and Bandit, run on the sample app, and what they print read back: guards the
// parsers against the tools' current output and checks the shipped demo reports are still current.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../integrations/index.js';
import { parseReport } from '../../src/ingest/parse-report.js';
import { ReportInput } from '../../src/plugins/report-input.js';
import { projectRoot } from '../helpers/corpus.js';

// Semgrep's own version check goes to the network at every start: offline it hangs, so it is off.
process.env.SEMGREP_ENABLE_VERSION_CHECK = '0';
process.env.SEMGREP_SEND_METRICS = 'off';
const have = (cmd: string) => spawnSync(cmd, ['--version'], { encoding: 'utf8', timeout: 60_000 }).status === 0;
const available = have('semgrep') && have('bandit');
if (!available && process.env.CI === 'true') throw new Error('CI=true but semgrep/bandit are not installed (.ci/run installs them).');

// Outside CI without the scanners installed (pip install semgrep bandit) this suite cannot run.
const describeScanners = available ? describe : describe.skip;

describeScanners('real scanners on test/apps (shop-python, shop-node and its Dockerfile)', () => {
  const out = mkdtempSync(join(tmpdir(), 'scanhub-scan-'));
  const ran = () => execFileSync('bash', [join(projectRoot, 'scripts/scan-sample-apps.sh'), out], { encoding: 'utf8', timeout: 240_000 });

  it('ingests what Semgrep and Bandit really print', () => {
    ran();
    const semgrep = parseReport(scanners, new ReportInput(readFileSync(join(out, 'semgrep.json')), 'semgrep.json'));
    expect(semgrep.tool).toBe('semgrep');
    expect(semgrep.warnings).toEqual([]);
    const byRule = new Map(semgrep.findings.map((f) => [f.ruleId, f]));
    const sql = byRule.get('python-sql-string-format');
    expect(sql?.location).toMatchObject({ path: 'shop/db.py', startLine: 11 });
    expect(sql?.severity).toBe('high');
    expect(sql?.cwes).toEqual([89]);
    expect(byRule.get('python-requests-verify-false')?.severity).toBe('medium');
    expect(byRule.get('python-flask-debug')?.severity).toBe('low');

    const bandit = parseReport(scanners, new ReportInput(readFileSync(join(out, 'bandit.json')), 'bandit.json'));
    expect(bandit.tool).toBe('bandit');
    const b608 = bandit.findings.find((f) => f.ruleId === 'B608');
    expect(b608?.location?.path).toBe('shop/db.py');
    expect(b608?.cwes).toEqual([89]);
    expect(bandit.findings.find((f) => f.ruleId === 'B602')?.severity).toBe('high');

    // The demo ships output of the same run: same rules, same places.
    const shipped = (file: string) => parseReport(scanners, new ReportInput(readFileSync(join(projectRoot, 'test/apps/demo-reports', file)), file));
    const key = (r: ReturnType<typeof shipped>) => r.findings.map((f) => `${f.ruleId}@${f.location?.path}:${f.location?.startLine}`).sort();
    expect(key(shipped('semgrep.json'))).toEqual(key(semgrep));
    expect(key(shipped('bandit.json'))).toEqual(key(bandit));

    // The Node service and its Dockerfile: every planted flaw, where it is.
    const node = parseReport(scanners, new ReportInput(readFileSync(join(out, 'semgrep-node.json')), 'semgrep-node.json'));
    const where = new Map(node.findings.map((f) => [f.ruleId, `${f.location?.path}:${f.location?.startLine}`]));
    expect(where.get('js-child-process-exec-concat')).toBe('src/server.js:11');
    expect(where.get('js-eval-request')).toBe('src/server.js:16');
    expect(where.get('js-weak-hash-md5')).toBe('src/server.js:22');
    expect(where.get('js-express-send-concat')).toBe('src/server.js:27');
    expect(where.get('dockerfile-latest-tag')).toBe('Dockerfile:2');
    expect(where.get('dockerfile-add-remote')).toBe('Dockerfile:3');
    expect(node.findings.find((f) => f.ruleId === 'js-eval-request')?.cwes).toEqual([95]);
  }, 300_000);
});
