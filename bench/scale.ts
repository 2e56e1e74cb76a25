// Ingest at scale (issue #12, "Performance"): for Trivy, Semgrep, SARIF and Xray reports of
// BENCH_FINDINGS (100,000) synthetic findings, the bytes, JSON.parse of those bytes (the parse limit),
// ScanHub's parse + normalise + identify, and the end-to-end ingest (first submission: all new;
// re-submission: all existing) on PostgreSQL and on embedded PGlite, with the peak RSS of the process
// that did it; PostgreSQL COPY of the same number of finding rows (the storage limit); the ratios;
// and the verdict time of a 5,000-finding submission on stored findings (as re-assessment computes it).
// Each (format, backend) case runs in a child process of its own so that its peak RSS is its own.
// Prints the figures and writes artifacts/bench-scale.json.
// Run: TEST_DATABASE_URL=postgres://… npx tsx bench/scale.ts   (BENCH_FINDINGS, BENCH_PGLITE_FINDINGS, BENCH_PGLITE=0 to skip PGlite)
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { scanners } from '../integrations/index.js';
import { parseReport } from '../src/ingest/parse-report.js';
import { ingestSubmission } from '../src/ingest/submit.js';
import { assessSubmission, submissionFindings } from '../src/assess/assess.js';
import { effectivePolicy } from '../src/assess/policies.js';
import { ReportInput } from '../src/plugins/report-input.js';
import type { Database } from '../src/store/db.js';
import { createProject } from '../src/store/repositories/projects.js';
import { openTestDatabase, postgresUrl, type Backend } from '../test/helpers/db.js';
import { projectRoot } from '../test/helpers/corpus.js';
import { sarifReport, semgrepReport, trivyReport, xraySummary } from './generate.js';

const FINDINGS = Number(process.env.BENCH_FINDINGS ?? 100_000);
/** Embedded PGlite is single-threaded WASM: at 100,000 findings one case alone takes minutes, so it runs smaller (marked in the JSON). */
const PGLITE_FINDINGS = Number(process.env.BENCH_PGLITE_FINDINGS ?? 20_000);
const VERDICT_FINDINGS = 5_000;
/** The V8 heap each case runs in: what a worker with a 1 GB memory budget would give it (deploy/kubernetes sets 1,024). */
const HEAP_MB = Number(process.env.BENCH_HEAP_MB ?? 768);
const TARGET = { findingsPerSecond: 20_000, peakRssMb: 1024, verdictMs: 100 };

const FORMATS = {
  trivy: { generate: trivyReport, filename: 'trivy.json' },
  semgrep: { generate: semgrepReport, filename: 'semgrep.json' },
  sarif: { generate: sarifReport, filename: 'results.sarif' },
  xray: { generate: xraySummary, filename: 'xray-summary.json' },
} as const;
type Format = keyof typeof FORMATS;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (n: number) => Math.round(n * 10) / 10;
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

function timeSync(fn: () => unknown, runs: number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

async function timeAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

interface ParseFigures {
  format: Format;
  tool: string;
  findings: number;
  bytes: number;
  jsonParseMs: number;
  parseNormaliseMs: number;
  parseRatio: number;
}

interface IngestFigures {
  format: Format;
  backend: Backend;
  findings: number;
  firstMs: number;
  firstFindingsPerSecond: number;
  resubmitMs: number;
  resubmitFindingsPerSecond: number;
  resubmitCounts: { new: number; existing: number; fixed: number };
  peakRssMb: number;
}

/** Parse figures of one format: the limit is JSON.parse of the same bytes (median of 3). */
function measureParse(format: Format): ParseFigures {
  const { generate, filename } = FORMATS[format];
  const bytes = Buffer.from(generate(FINDINGS));
  const jsonParseMs = timeSync(() => JSON.parse(bytes.toString('utf8')), 3);
  let findings = 0;
  let tool = '';
  const parseNormaliseMs = timeSync(() => {
    const report = parseReport(scanners, new ReportInput(bytes, filename));
    findings = report.findings.length;
    tool = report.tool;
  }, 3);
  return { format, tool, findings, bytes: bytes.length, jsonParseMs: round(jsonParseMs), parseNormaliseMs: round(parseNormaliseMs), parseRatio: round(parseNormaliseMs / jsonParseMs) };
}

async function newProject(db: Database, name: string): Promise<string> {
  const project = await db.transaction((tx) => createProject(tx, name, 'bench'));
  return project.id;
}

/** One format on one fresh database: the first submission (all new), then the same report again. */
async function measureIngest(format: Format, backend: Backend): Promise<IngestFigures> {
  const { generate, filename } = FORMATS[format];
  const db = await openTestDatabase(backend);
  try {
    const projectId = await newProject(db, `bench/${format}`);
    const report = { filename, content: Buffer.from(generate(backend === 'pglite' ? PGLITE_FINDINGS : FINDINGS)) };
    const submit = () => ingestSubmission({ db, scanners }, { projectId, ref: 'main', reports: [report], actor: 'bench' });
    const first = await timeAsync(submit);
    const again = await timeAsync(submit);
    const { counts } = again.value;
    return {
      format,
      backend,
      findings: first.value.counts.total,
      firstMs: Math.round(first.ms),
      firstFindingsPerSecond: Math.round(first.value.counts.total / (first.ms / 1000)),
      resubmitMs: Math.round(again.ms),
      resubmitFindingsPerSecond: Math.round(counts.total / (again.ms / 1000)),
      resubmitCounts: { new: counts.new, existing: counts.existing, fixed: counts.fixed },
      peakRssMb: peakRssMb(),
    };
  } finally {
    await db.close();
  }
}

/** pg's Query that answers COPY … FROM STDIN with the given chunks (what pg-copy-streams does, without the dependency). */
class CopyFromChunks extends (pg as unknown as { Query: new (...args: unknown[]) => object }).Query {
  constructor(text: string, private readonly chunks: Buffer[], callback: (error: Error | null) => void) {
    super(text, undefined, callback);
  }
  handleCopyInResponse(connection: { sendCopyFromChunk(b: Buffer): void; endCopyFrom(): void }): void {
    for (const chunk of this.chunks) connection.sendCopyFromChunk(chunk);
    connection.endCopyFrom();
  }
}

const copyText = (v: string) => v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

/**
 * The storage limit: COPY of the same number of rows as the report's findings, with the same column
 * values ScanHub stores (the finding JSON included), into a table like `findings` (same indexes).
 */
async function measureCopy(format: Format): Promise<{ rows: number; ms: number }> {
  const { generate, filename } = FORMATS[format];
  const report = parseReport(scanners, new ReportInput(Buffer.from(generate(FINDINGS)), filename));
  const db = await openTestDatabase('postgres');
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    const projectId = await newProject(db, `bench/copy-${format}`);
    const { rows } = await db.query<{ schema: string }>(`SELECT current_schema() AS schema`);
    const table = `${rows[0]!.schema}.copy_limit`;
    await client.query(`CREATE TABLE ${table} (LIKE ${rows[0]!.schema}.findings INCLUDING ALL)`);
    const lines = report.findings.map((f) =>
      [crypto.randomUUID(), projectId, f.fingerprint, f.category, f.severity, '3', f.status, f.ruleId, f.title, '\\N', `{${f.tool}}`, JSON.stringify(f)]
        .map((v) => (v === '\\N' ? v : copyText(v)))
        .join('\t'),
    );
    const chunks: Buffer[] = [];
    for (let i = 0; i < lines.length; i += 1000) chunks.push(Buffer.from(lines.slice(i, i + 1000).join('\n') + '\n'));
    const columns = 'id, project_id, fingerprint, category, severity, severity_rank, status, rule_id, title, vuln_key, tools, data';
    const t = performance.now();
    await client.query('BEGIN');
    await new Promise<void>((resolve, reject) => client.query(new CopyFromChunks(`COPY ${table} (${columns}) FROM STDIN`, chunks, (e) => (e ? reject(e) : resolve())) as never));
    await client.query('COMMIT');
    return { rows: lines.length, ms: Math.round(performance.now() - t) };
  } finally {
    await client.end();
    await db.close();
  }
}

/**
 * The verdict of a 5,000-finding submission (median of 5 after a warm-up): at ingest — the findings in
 * memory, as ingest assesses them: exceptions, enrichment, policy, data ages — and re-assessed from the
 * store (the findings read back first), as a policy or exception change re-assesses it.
 */
async function measureVerdict(backend: Backend): Promise<{ backend: Backend; findings: number; ms: number; samples: number[]; reassessMs: number; reassessSamples: number[] }> {
  const db = await openTestDatabase(backend);
  try {
    const projectId = await newProject(db, 'bench/verdict');
    const report = { filename: 'trivy.json', content: Buffer.from(trivyReport(VERDICT_FINDINGS)) };
    const submission = await ingestSubmission({ db, scanners }, { projectId, ref: 'main', reports: [report], actor: 'bench' });
    const assess = (findings?: Awaited<ReturnType<typeof submissionFindings>>['findings']) =>
      db.transaction(async (tx) => {
        const policy = await effectivePolicy(tx, projectId);
        await assessSubmission(tx, { projectId, submissionId: submission.id, ref: 'main', toolsRun: submission.tools, policy, now: new Date(), findings });
      });
    const { findings } = await submissionFindings(db, submission.id);
    const atIngest: number[] = [];
    const reassess: number[] = [];
    for (let i = 0; i < 6; i++) {
      atIngest.push((await timeAsync(() => assess(findings))).ms);
      reassess.push((await timeAsync(() => assess())).ms);
    }
    // the first run of each warms the JIT and the caches
    const [a, r] = [atIngest.slice(1), reassess.slice(1)];
    return { backend, findings: submission.counts.total, ms: round(median(a)), samples: a.map(round), reassessMs: round(median(r)), reassessSamples: r.map(round) };
  } finally {
    await db.close();
  }
}

type Task = { kind: 'parse'; format: Format } | { kind: 'ingest'; format: Format; backend: Backend } | { kind: 'copy'; format: Format } | { kind: 'verdict'; backend: Backend };

async function runTask(task: Task): Promise<unknown> {
  switch (task.kind) {
    case 'parse':
      return { ...measureParse(task.format), peakRssMb: peakRssMb() };
    case 'ingest':
      return measureIngest(task.format, task.backend);
    case 'copy':
      return measureCopy(task.format);
    case 'verdict':
      return measureVerdict(task.backend);
  }
}

/** Runs one task in a child process (tsx's loader comes along in execArgv) and returns its figures. */
function inChild<T>(task: Task): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(process.argv[1]!, ['--task', JSON.stringify(task)], { execArgv: [...process.execArgv, `--max-old-space-size=${HEAP_MB}`] });
    let result: T | undefined;
    child.on('message', (m) => (result = m as T));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`${JSON.stringify(task)}: child exited with ${code}`))));
  });
}

async function main() {
  if (!postgresUrl) {
    console.error('bench/scale.ts measures PostgreSQL: set TEST_DATABASE_URL (see README, "Development").');
    process.exit(2);
  }
  const formats = Object.keys(FORMATS) as Format[];
  const withPglite = process.env.BENCH_PGLITE !== '0';
  const started = performance.now();
  const parse: ParseFigures[] = [];
  const ingest: IngestFigures[] = [];
  const copy: Record<string, { rows: number; ms: number }> = {};
  for (const format of formats) {
    parse.push(await inChild<ParseFigures>({ kind: 'parse', format }));
    copy[format] = await inChild({ kind: 'copy', format });
    ingest.push(await inChild<IngestFigures>({ kind: 'ingest', format, backend: 'postgres' }));
    if (withPglite) ingest.push(await inChild<IngestFigures>({ kind: 'ingest', format, backend: 'pglite' }));
    const p = parse.at(-1)!;
    for (const i of ingest.filter((x) => x.format === format)) {
      console.log(
        `${format} ${i.backend}${i.backend === 'pglite' ? ' (embedded)' : ''}: ${i.findings} findings | ${FINDINGS}-finding report ${(p.bytes / 1e6).toFixed(1)} MB: JSON.parse ${p.jsonParseMs} ms | parse+normalise ${p.parseNormaliseMs} ms | ` +
          `ingest ${i.firstMs} ms (${i.firstFindingsPerSecond}/s) | re-submit ${i.resubmitMs} ms (${i.resubmitFindingsPerSecond}/s) | COPY ${copy[format]!.ms} ms | peak RSS ${i.peakRssMb} MB`,
      );
    }
  }
  const verdict = [await inChild<Awaited<ReturnType<typeof measureVerdict>>>({ kind: 'verdict', backend: 'postgres' })];
  if (withPglite) verdict.push(await inChild({ kind: 'verdict', backend: 'pglite' }));
  for (const v of verdict) {
    console.log(`verdict ${v.backend}: ${v.findings} findings: at ingest ${v.ms} ms (target < ${TARGET.verdictMs} ms), re-assessed from the store ${v.reassessMs} ms (medians of ${v.samples.length})`);
  }

  const results = formats.map((format) => {
    const p = parse.find((x) => x.format === format)!;
    const c = copy[format]!;
    const backends = ingest
      .filter((i) => i.format === format)
      .map((i) => ({
        ...i,
        ...(i.backend === 'pglite' ? { note: `embedded PGlite (single-process default), ${i.findings} findings: not the PostgreSQL target, not comparable to the limits` } : {}),
        ratioToJsonParse: i.backend === 'postgres' ? { first: round(i.firstMs / p.jsonParseMs), resubmit: round(i.resubmitMs / p.jsonParseMs) } : undefined,
        ratioToCopy: i.backend === 'postgres' ? { first: round(i.firstMs / c.ms), resubmit: round(i.resubmitMs / c.ms) } : undefined,
        meetsTarget:
          i.backend === 'postgres'
            ? { throughput: i.firstFindingsPerSecond >= TARGET.findingsPerSecond, resubmitAtLeastAsFast: i.resubmitMs <= i.firstMs * 1.05, peakRss: i.peakRssMb < TARGET.peakRssMb }
            : undefined,
      }));
    return { ...p, copyMs: c.ms, copyRows: c.rows, ingest: backends };
  });
  const out = {
    generatedAt: new Date().toISOString(),
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    heapLimitMb: HEAP_MB,
    findingsPerReport: FINDINGS,
    target: TARGET,
    results,
    verdict: verdict.map((v) => ({ ...v, meetsTarget: v.ms < TARGET.verdictMs, ...(v.backend === 'pglite' ? { note: 'embedded PGlite' } : {}) })),
    runtimeSeconds: Math.round((performance.now() - started) / 1000),
  };
  mkdirSync(join(projectRoot, 'artifacts'), { recursive: true });
  writeFileSync(join(projectRoot, 'artifacts/bench-scale.json'), JSON.stringify(out, null, 2) + '\n');
  console.log(JSON.stringify(out, null, 2));
  console.log(`wrote artifacts/bench-scale.json in ${out.runtimeSeconds} s`);
}

const taskArg = process.argv.indexOf('--task');
if (taskArg > 0) {
  const figures = await runTask(JSON.parse(process.argv[taskArg + 1]!) as Task);
  process.send!(figures, () => process.exit(0));
} else {
  await main();
}
