// `npm run bench`: parse throughput of the largest reports against plain JSON.parse of the same
// bytes, and the time to ingest the largest one into a fresh embedded database.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { scanners } from '../integrations/index.js';
import { parseReport } from '../src/ingest/parse-report.js';
import { ingestSubmission } from '../src/ingest/submit.js';
import { ReportInput } from '../src/plugins/report-input.js';
import { openDatabase } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { createProject } from '../src/store/repositories/projects.js';
import { corpusAvailable, corpusRoot } from '../test/helpers/corpus.js';

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void, minRuns = 5, minMs = 1500): number {
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < minRuns || performance.now() - start < minMs) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
    if (samples.length > 200) break;
  }
  return median(samples);
}

function largestFiles(n: number): string[] {
  const files: { path: string; size: number }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(json|sarif|golden|xml)$/.test(e.name) && !/schema/.test(p)) files.push({ path: p, size: statSync(p).size });
    }
  };
  walk(corpusRoot);
  return files.sort((a, b) => b.size - a.size).slice(0, n).map((f) => f.path);
}

async function main() {
  if (!corpusAvailable) {
    console.error(`bench needs the corpus at ${corpusRoot}`);
    process.exit(2);
  }
  console.log('file | MB | tool | findings | JSON.parse ms | scanhub parse ms | ratio (parse / JSON.parse)');
  let largest: { path: string; bytes: Buffer } | undefined;
  for (const path of largestFiles(8)) {
    const bytes = readFileSync(path);
    let report;
    try {
      report = parseReport(scanners, new ReportInput(bytes, path));
    } catch (error) {
      console.log(`${path.replace(corpusRoot + '/', '')} | not parsed: ${(error as Error).message}`);
      continue;
    }
    largest ??= { path, bytes };
    const baseline = path.endsWith('.xml') ? NaN : time(() => JSON.parse(bytes.toString('utf8')));
    const ours = time(() => parseReport(scanners, new ReportInput(bytes, path)));
    console.log(
      `${path.replace(corpusRoot + '/', '')} | ${(bytes.length / 1e6).toFixed(2)} | ${report.tool} | ${report.findings.length} | ${baseline.toFixed(1)} | ${ours.toFixed(1)} | ${(ours / baseline).toFixed(2)}`,
    );
  }
  if (!largest) return;
  for (const backend of ['pglite', ...(process.env.TEST_DATABASE_URL ? ['postgres'] : [])] as const) {
    const db = await openDatabase(backend === 'pglite' ? { memory: true } : { url: process.env.TEST_DATABASE_URL });
    try {
      await migrate(db);
      const project = await db.transaction((tx) => createProject(tx, `bench/${Date.now()}`, 'bench'));
      const report = { filename: largest.path, content: largest.bytes };
      for (const run of ['first (all new)', 'second (all existing)']) {
        const t = performance.now();
        const result = await ingestSubmission({ db, scanners }, { projectId: project.id, ref: 'main', reports: [report], actor: 'bench' });
        console.log(`ingest ${backend} ${run}: ${largest.path.replace(corpusRoot + '/', '')} → ${result.counts.total} findings in ${(performance.now() - t).toFixed(0)} ms`);
      }
    } finally {
      await db.close();
    }
  }
}

await main();
