// PostgreSQL restarted under a running ScanHub: while the database is down the instance reports
// not ready (503 on /readyz) instead of failing or exiting; when it is back, the instance reconnects
// and finishes the queued submissions, each exactly once. Uses a PostgreSQL cluster of its own (initdb
// in a temp dir, loopback, a free port) so restarting it cannot disturb other tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { semgrepReport } from '../../bench/generate.js';
import { submissionForm } from '../helpers/app.js';
import { freePort, quietEnv, startInstance, type Instance } from '../helpers/instances.js';

const pgBin = existsSync('/usr/lib/postgresql')
  ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b)).map((v) => `/usr/lib/postgresql/${v}/bin`).filter((d) => existsSync(join(d, 'initdb'))).pop()
  : undefined;
if (!pgBin && process.env.CI === 'true') throw new Error('CI needs PostgreSQL server binaries (/usr/lib/postgresql/*/bin) for the restart test.');

const ADMIN = `shk_restart-${randomBytes(16).toString('hex')}`;
const SUBMISSIONS = 24;

/** Runs a PostgreSQL binary as the postgres user when we are root (initdb refuses root). */
function asPostgres(cmd: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  const result = root ? spawnSync('runuser', ['-u', 'postgres', '--', join(pgBin!, cmd), ...args], { encoding: 'utf8' }) : spawnSync(join(pgBin!, cmd), args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${result.stderr || result.stdout}`);
}

describe.skipIf(!pgBin)('PostgreSQL restarted during a run', () => {
  let dir: string;
  let port: number;
  let instance: Instance;
  const ctl = (...args: string[]) => asPostgres('pg_ctl', ['-D', join(dir, 'data'), ...args]);
  const start = () => ctl('-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', join(dir, 'server.log'), '-w', 'start');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scanhub-pg-restart-'));
    chmodSync(dir, 0o777);
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir]);
    port = await freePort();
    asPostgres('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    start();
    instance = await startInstance(['--role', 'all'], { ...quietEnv(`postgres://postgres@127.0.0.1:${port}/postgres`, ADMIN), SCANHUB_JOB_LEASE: '5' });
  }, 120_000);
  afterAll(async () => {
    await instance?.kill().catch(() => undefined);
    try {
      ctl('-m', 'immediate', 'stop');
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports not ready while the database is down, reconnects, and finishes every queued submission once', async (ctx) => {
    ctx.onTestFailed(() => console.error(instance.output().slice(-4000)));
    const call = (path: string, init: RequestInit = {}) => fetch(instance.url + path, { ...init, headers: { authorization: `Bearer ${ADMIN}`, ...(init.headers as Record<string, string>) } });
    expect((await call('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'restart/app' }) })).status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < SUBMISSIONS; i++) {
      const res = await call('/api/v1/projects/restart%2Fapp/submissions', { method: 'POST', headers: { prefer: 'respond-async' }, body: submissionForm({ ref: `r${i % 4}` }, [{ name: 'semgrep.json', content: semgrepReport(1500 + i) }]) });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }

    // The restart must land while work is still queued or in hand.
    const before = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    await before.connect();
    const waiting = (await before.query<{ n: number }>(`SELECT count(*)::int AS n FROM submission_uploads`)).rows[0]!.n;
    await before.end();
    expect(waiting).toBeGreaterThan(0);
    ctl('-m', 'fast', 'stop');
    let sawNotReady = false;
    for (let i = 0; i < 20 && !sawNotReady; i++) {
      const ready = await fetch(`${instance.url}/readyz`);
      sawNotReady = ready.status === 503 && ((await ready.json()) as { checks: { database: boolean } }).checks.database === false;
      if (!sawNotReady) await new Promise((r) => setTimeout(r, 100));
    }
    expect(sawNotReady).toBe(true);
    // The process is still there, answering, while it waits.
    expect((await fetch(`${instance.url}/healthz`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    start();

    const deadline = Date.now() + 120_000;
    let pending = ids.length;
    while (pending > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const states = await Promise.all(ids.map(async (id) => ((await (await call(`/api/v1/submissions/${id}`)).json()) as { status?: string }).status));
      pending = states.filter((s) => s !== 'completed').length;
    }
    expect(pending).toBe(0);
    expect((await fetch(`${instance.url}/readyz`)).status).toBe(200);

    const db = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    await db.connect();
    try {
      const rows = (await db.query<{ n: number; distinct_ids: number }>(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS distinct_ids FROM submissions WHERE id = ANY($1::uuid[])`, [ids])).rows;
      expect(rows).toEqual([{ n: SUBMISSIONS, distinct_ids: SUBMISSIONS }]);
      expect((await db.query(`SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'running', 'dead')`)).rows).toEqual([{ n: 0 }]);
    } finally {
      await db.end();
    }
  }, 240_000);
});
