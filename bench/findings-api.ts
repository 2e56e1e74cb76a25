// The findings list API on a project with BENCH_API_FINDINGS (1,000,000) findings (issue #12): a real
// ScanHub process (the built CLI) on PostgreSQL, seeded in bulk SQL, then autocannon on loopback for
// BENCH_API_SECONDS per scenario — first pages under filters, a deep cursor page, a text search —
// each answered 200 with a page of findings. Prints requests/s and latency percentiles per scenario
// and writes artifacts/bench-findings-api.json. Target: >= 1,000 requests/s, p99 < 50 ms.
// Run: npm run build && TEST_DATABASE_URL=postgres://… npx tsx bench/findings-api.ts
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { submissionForm } from '../test/helpers/app.js';
import { projectRoot } from '../test/helpers/corpus.js';
import { postgresUrl } from '../test/helpers/db.js';
import { quietEnv, schemaUrl, startInstance } from '../test/helpers/instances.js';
import { seedFindings } from './seed.js';

const FINDINGS = Number(process.env.BENCH_API_FINDINGS ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 15);
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 16);
const TARGET = { requestsPerSecond: 1000, p99Ms: 50 };
const round2 = (n: number) => Math.round(n * 100) / 100;
const ADMIN = `shk_bench-${randomBytes(16).toString('hex')}`;
const PROJECT = 'bench/million';

if (!postgresUrl) {
  console.error('bench/findings-api.ts measures PostgreSQL: set TEST_DATABASE_URL (see README, "Development").');
  process.exit(2);
}

/** CPU seconds (user + system) of the processes whose pid passes `keep`, from /proc (Linux; 0 elsewhere). */
function cpuSeconds(keep: (pid: string, comm: string) => boolean): number {
  let ticks = 0;
  let dirs: string[] = [];
  try {
    dirs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return 0;
  }
  for (const pid of dirs) {
    try {
      if (!keep(pid, readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / 100; // USER_HZ: 100 on Linux
}

const schema = `b_${randomBytes(6).toString('hex')}`;
const admin = new pg.Client({ connectionString: postgresUrl });
await admin.connect();
await admin.query(`CREATE SCHEMA ${schema}`);
const url = schemaUrl(schema);
const instance = await startInstance(['--role', 'all'], { ...quietEnv(url, ADMIN), LOG_LEVEL: 'error' });
const headers = { authorization: `Bearer ${ADMIN}` };
const base = `${instance.url}/api/v1/projects/${encodeURIComponent(PROJECT)}`;

try {
  const t0 = performance.now();
  const created = await fetch(`${instance.url}/api/v1/projects`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ name: PROJECT }) });
  if (created.status !== 201) throw new Error(`create project: HTTP ${created.status}`);
  const report = readFileSync(join(projectRoot, 'test/apps/demo-reports/trivy-image.json'));
  const submitted = await fetch(`${base}/submissions`, { method: 'POST', headers, body: submissionForm({ ref: 'main' }, [{ name: 'trivy.json', content: report }]) });
  if (submitted.status !== 201) throw new Error(`seed submission: HTTP ${submitted.status} ${await submitted.text()}`);
  const { id: submissionId, project } = (await submitted.json()) as { id: string; project: { id: string } };
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await seedFindings({ query: (sql, params) => db.query(sql, params as unknown[]) as never }, project.id, submissionId, FINDINGS);
  await db.query('ANALYZE');
  await db.end();
  const seedSeconds = Math.round((performance.now() - t0) / 1000);
  console.log(`seeded ${FINDINGS} findings in ${seedSeconds} s`);

  // A cursor 20 pages (1,000 findings) deep, as a client paging through would send it.
  let cursor: string | null = null;
  for (let page = 0; page < 20; page++) {
    const res = await fetch(`${base}/findings?severity=high&limit=50${cursor ? `&cursor=${cursor}` : ''}`, { headers });
    cursor = ((await res.json()) as { nextCursor: string | null }).nextCursor;
  }
  const scenarios: Record<string, string> = {
    'severity=high, first page of 50': 'severity=high&limit=50',
    'severity>=high + tool + category, 50': 'severity=%3E%3Dhigh&tool=trivy&category=vulnerability&limit=50',
    'ref=main open, 50': 'ref=main&status=open&limit=50',
    'severity=high, page 21 by cursor': `severity=high&limit=50&cursor=${cursor}`,
    'text search q=libbench42, 50': 'q=libbench42&limit=50',
    'severity=medium, first page of 10': 'severity=medium&limit=10',
  };
  const results = [];
  for (const [name, query] of Object.entries(scenarios)) {
    const check = await fetch(`${base}/findings?${query}`, { headers });
    const items = ((await check.json()) as { items: unknown[] }).items.length;
    if (check.status !== 200 || items === 0) throw new Error(`${name}: HTTP ${check.status}, ${items} items`);
    await autocannon({ url: `${base}/findings?${query}`, connections: CONNECTIONS, duration: 2, headers }); // warm-up
    // Where the CPU goes: this ScanHub process, a PostgreSQL on this machine (if it is here), and the load generator.
    const scanhubCpu = () => cpuSeconds((pid) => pid === String(instance.pid));
    const postgresCpu = () => cpuSeconds((_pid, comm) => comm === 'postgres');
    const before = { scanhub: scanhubCpu(), postgres: postgresCpu(), load: process.cpuUsage() };
    const r = await autocannon({ url: `${base}/findings?${query}`, connections: CONNECTIONS, duration: SECONDS, headers });
    const requests = Math.max(1, r.requests.total);
    const loadUsage = process.cpuUsage(before.load);
    const cpuMsPerRequest = {
      scanhub: round2(((scanhubCpu() - before.scanhub) * 1000) / requests),
      postgres: round2(((postgresCpu() - before.postgres) * 1000) / requests),
      loadGenerator: round2((loadUsage.user + loadUsage.system) / 1000 / requests),
    };
    const figures = {
      scenario: name,
      query,
      itemsPerPage: items,
      requestsPerSecond: Math.round(r.requests.average),
      latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
      cpuMsPerRequest,
      non2xx: r.non2xx,
      errors: r.errors,
      meetsTarget: r.requests.average >= TARGET.requestsPerSecond && r.latency.p99 < TARGET.p99Ms && r.non2xx === 0 && r.errors === 0,
    };
    results.push(figures);
    console.log(`${name}: ${figures.requestsPerSecond} req/s, p50 ${figures.latencyMs.p50} ms, p99 ${figures.latencyMs.p99} ms, CPU ms/request: ScanHub ${cpuMsPerRequest.scanhub}, PostgreSQL ${cpuMsPerRequest.postgres}, autocannon ${cpuMsPerRequest.loadGenerator}${r.non2xx || r.errors ? `, ${r.non2xx} non-2xx, ${r.errors} errors` : ''}`);
  }
  const out = {
    generatedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    findings: FINDINGS,
    connections: CONNECTIONS,
    secondsPerScenario: SECONDS,
    seedSeconds,
    target: TARGET,
    note: 'One ScanHub process (role all) and PostgreSQL on the same machine; autocannon on the same cores. cpuMsPerRequest: CPU time per answered request of the ScanHub process, of every local process named postgres, and of this process (autocannon); their sum against the cores bounds requests/s.',
    results,
  };
  mkdirSync(join(projectRoot, 'artifacts'), { recursive: true });
  writeFileSync(join(projectRoot, 'artifacts/bench-findings-api.json'), JSON.stringify(out, null, 2) + '\n');
  console.log('wrote artifacts/bench-findings-api.json');
} finally {
  await instance.kill().catch(() => undefined);
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await admin.end();
}
