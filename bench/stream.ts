// A 500 MB report in bounded memory (issue #12, "Performance"): a Trivy report of BENCH_STREAM_MB
// (500) megabytes with advisory-sized vulnerabilities is written to a temporary file, then, in a child
// process whose V8 heap is capped at BENCH_HEAP_MB (768), as the API and a worker would do it:
//   store  — the upload is stored in PostgreSQL a chunk at a time (queueSubmission of the file);
//   read   — the stored report is split and parsed item by item, findings discarded (the parse cost);
//   ingest — the worker's job: the streamed ingest into the project, verdict included.
// Each phase's time and the process's peak RSS are printed and written to artifacts/bench-stream.json.
// Run: TEST_DATABASE_URL=postgres://… npx tsx bench/stream.ts   (BENCH_STREAM_MB=100 for a quicker look)
import { fork } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanners } from '../integrations/index.js';
import { createIngestHandler, queueSubmission, storedChunks } from '../src/ingest/async.js';
import { detectStreamedReport, streamReport } from '../src/ingest/parse-stream.js';
import type { Job } from '../src/jobs/queue.js';
import { createProject } from '../src/store/repositories/projects.js';
import { openTestDatabase, postgresUrl } from '../test/helpers/db.js';
import { projectRoot } from '../test/helpers/corpus.js';
import { writeLargeTrivyReport } from './generate.js';

const MEGABYTES = Number(process.env.BENCH_STREAM_MB ?? 500);
const HEAP_MB = Number(process.env.BENCH_HEAP_MB ?? 768);
const TARGET = { peakRssMb: 1024 };

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const seconds = (ms: number) => Math.round(ms / 100) / 10;

interface Figures {
  storeMs: number;
  readMs: number;
  ingestMs: number;
  findings: number;
  counts: Record<string, number>;
  verdict: string;
  peakRssMb: number;
  rssAfterStoreMb: number;
  rssAfterReadMb: number;
}

async function child(path: string): Promise<Figures> {
  const db = await openTestDatabase('postgres');
  try {
    const project = await db.transaction((tx) => createProject(tx, `bench/stream-${Date.now()}`, 'bench'));
    let t = performance.now();
    const { id } = await queueSubmission(db, { projectId: project.id, ref: 'main', actor: 'bench', reports: [{ filename: 'trivy.json', path }] }, Infinity);
    const storeMs = performance.now() - t;
    const rssAfterStoreMb = peakRssMb();

    // The parse alone: the stored chunks through the splitter and the plugin, findings counted and dropped.
    const { rows } = await db.query<{ idx: number }>(`SELECT idx FROM submission_upload_reports WHERE upload_id = $1`, [id]);
    const open = () => storedChunks(db, id, rows[0]!.idx);
    t = performance.now();
    const found = (await detectStreamedReport(scanners, open, 'trivy.json'))!;
    let parsed = 0;
    await streamReport(found, open, 'trivy.json', async (findings) => void (parsed += findings.length));
    const readMs = performance.now() - t;
    const rssAfterReadMb = peakRssMb();

    t = performance.now();
    const handler = createIngestHandler({ db, scanners });
    const result = (await handler({ id: 'bench', queue: 'ingest.submission', dedupeKey: id, payload: { uploadId: id }, attempts: 1, maxAttempts: 1, lockedBy: 'bench' } as Job, { heartbeat: async () => undefined })) as { submissionId?: string; failed?: string };
    const ingestMs = performance.now() - t;
    if (!result.submissionId) throw new Error(`ingest failed: ${JSON.stringify(result)}`);
    const { rows: sub } = await db.query<{ counts: Record<string, number>; verdict: { outcome: string } }>(`SELECT counts, verdict FROM submissions WHERE id = $1`, [result.submissionId]);
    return { storeMs, readMs, ingestMs, findings: parsed, counts: sub[0]!.counts, verdict: sub[0]!.verdict.outcome, peakRssMb: peakRssMb(), rssAfterStoreMb, rssAfterReadMb };
  } finally {
    await db.close();
  }
}

async function main() {
  if (!postgresUrl) {
    console.error('bench/stream.ts measures PostgreSQL: set TEST_DATABASE_URL (see README, "Development").');
    process.exit(2);
  }
  const started = performance.now();
  const path = join(tmpdir(), `scanhub-bench-${process.pid}-trivy.json`);
  try {
    const report = writeLargeTrivyReport(path, MEGABYTES * 1024 * 1024);
    console.log(`wrote a ${(report.bytes / 1048576).toFixed(0)} MiB Trivy report of ${report.findings} vulnerabilities`);
    const figures = await new Promise<Figures>((resolve, reject) => {
      const c = fork(process.argv[1]!, ['--child', path], { execArgv: [...process.execArgv, `--max-old-space-size=${HEAP_MB}`] });
      let result: Figures | undefined;
      c.on('message', (m) => (result = m as Figures));
      c.on('error', reject);
      c.on('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`child exited with ${code}`))));
    });
    const mb = report.bytes / 1048576;
    const out = {
      generatedAt: new Date().toISOString(),
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      heapLimitMb: HEAP_MB,
      report: { format: 'trivy-json-v2', mebibytes: Math.round(mb), vulnerabilities: report.findings },
      store: { seconds: seconds(figures.storeMs), mebibytesPerSecond: Math.round(mb / (figures.storeMs / 1000)) },
      read: { seconds: seconds(figures.readMs), mebibytesPerSecond: Math.round(mb / (figures.readMs / 1000)), findingsPerSecond: Math.round(figures.findings / (figures.readMs / 1000)) },
      ingest: { seconds: seconds(figures.ingestMs), findingsPerSecond: Math.round(figures.counts.total! / (figures.ingestMs / 1000)), counts: figures.counts, verdict: figures.verdict },
      peakRssMb: { afterStore: figures.rssAfterStoreMb, afterRead: figures.rssAfterReadMb, overall: figures.peakRssMb },
      target: TARGET,
      meetsTarget: { boundedMemory: figures.peakRssMb < TARGET.peakRssMb },
      runtimeSeconds: Math.round((performance.now() - started) / 1000),
    };
    console.log(
      `${out.report.mebibytes} MiB Trivy report, ${report.findings} vulnerabilities: store ${out.store.seconds} s (${out.store.mebibytesPerSecond} MiB/s) | ` +
        `read ${out.read.seconds} s (${out.read.mebibytesPerSecond} MiB/s, ${out.read.findingsPerSecond} findings/s) | ingest ${out.ingest.seconds} s (${out.ingest.findingsPerSecond} findings/s, verdict ${figures.verdict}) | ` +
        `peak RSS ${figures.peakRssMb} MB (heap cap ${HEAP_MB} MB)`,
    );
    mkdirSync(join(projectRoot, 'artifacts'), { recursive: true });
    writeFileSync(join(projectRoot, 'artifacts/bench-stream.json'), JSON.stringify(out, null, 2) + '\n');
    console.log(`wrote artifacts/bench-stream.json in ${out.runtimeSeconds} s`);
  } finally {
    rmSync(path, { force: true });
  }
}

const childArg = process.argv.indexOf('--child');
if (childArg > 0) {
  const figures = await child(process.argv[childArg + 1]!);
  process.send!(figures, () => process.exit(0));
} else {
  await main();
}
