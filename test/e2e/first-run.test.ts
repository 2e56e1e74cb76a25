// The newcomer's journey: `npm start` (the built `scanhub serve`) on embedded PGlite in a fresh data
// directory answers /healthz, prints an admin token once, shows the demo project, accepts a
// `scanhub submit`, and shuts down cleanly on SIGTERM.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/corpus.js';
import { bin, freePort, waitFor } from '../helpers/instances.js';

describe('first run on embedded PGlite', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('serves, seeds the demo, prints a token once, and stops cleanly', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'scanhub-data-'));
    const port = await freePort();
    const env = { PATH: process.env.PATH, PORT: String(port), SCANHUB_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    child = spawn(process.execPath, [bin, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/healthz`);
    const token = /\n\s+(shk_[\w-]+)\n/.exec(stderr)?.[1];
    expect(token, stderr).toBeDefined();

    expect((await fetch(`${base}/`, { redirect: 'manual' })).status).toBe(303);
    const login = await fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ token: token! }), redirect: 'manual' });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = await (await fetch(`${base}/`, { headers: { cookie } })).text();
    expect(page).toContain('demo/shop');
    expect(page).toContain('CVE-2020-14343');
    expect(page).toContain('python-sql-string-format');
    expect(page).toMatch(/class="verdict verdict-fail"[^>]*>FAIL</); // the built-in policy fails fixable criticals (PyYAML)

    const submit = spawnSync(
      process.execPath,
      [bin, 'submit', '--project', 'demo/shop', '--ref', 'main', join(projectRoot, 'test/apps/demo-reports/semgrep.json')],
      { encoding: 'utf8', env: { PATH: process.env.PATH, SCANHUB_URL: base, SCANHUB_TOKEN: token }, timeout: 60_000 },
    );
    expect(submit.status, submit.stderr).toBe(0);
    expect((JSON.parse(submit.stdout) as { counts: { existing: number; new: number } }).counts).toMatchObject({ new: 0, existing: 7 });

    // The scan configuration a pipeline asks for, as JSON and as shell commands.
    const cliEnv = { PATH: process.env.PATH, SCANHUB_URL: base, SCANHUB_TOKEN: token };
    const shell = spawnSync(process.execPath, [bin, 'config', '--project', 'demo/shop', '--format', 'shell'], { encoding: 'utf8', env: cliEnv, timeout: 60_000 });
    expect(shell.status, shell.stderr).toBe(0);
    expect(shell.stdout).toContain('semgrep scan --metrics=off --json --output semgrep.json');
    expect(shell.stdout).toContain('scanhub submit --project demo/shop');
    const json = spawnSync(process.execPath, [bin, 'config', '--project', 'demo/shop'], { encoding: 'utf8', env: cliEnv, timeout: 60_000 });
    expect((JSON.parse(json.stdout) as { commands: Record<string, unknown> }).commands).toHaveProperty('trivy');
    const missing = spawnSync(process.execPath, [bin, 'config', '--project', 'no/such'], { encoding: 'utf8', env: cliEnv, timeout: 60_000 });
    expect(missing.status).toBe(2);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    // Second start on the same data: no new token, the demo is not seeded twice.
    const again = spawn(process.execPath, [bin, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = again;
    let stderr2 = '';
    again.stderr!.on('data', (d: Buffer) => (stderr2 += d.toString()));
    await waitFor(`${base}/healthz`);
    expect(stderr2).not.toContain('shk_');
    const projects = (await (await fetch(`${base}/api/v1/projects`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: unknown[] };
    expect(projects.items).toHaveLength(1);
    const exited2 = new Promise<number | null>((resolve) => again.once('exit', (code) => resolve(code)));
    again.kill('SIGTERM');
    expect(await exited2).toBe(0);
  }, 120_000);
});
