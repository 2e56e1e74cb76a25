// Robustness: every corpus and fixture report, truncated at several points and with random byte
// mutations, fed to every parser: a result or a ReportFormatError, nothing else, and fast.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../integrations/index.js';
import { AppError, ReportFormatError } from '../../src/errors.js';
import { parseReport } from '../../src/ingest/parse-report.js';
import { ReportInput } from '../../src/plugins/report-input.js';
import { corpusAvailable, corpusRoot, projectRoot } from '../helpers/corpus.js';

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!['schema', 'gitlab-schemas'].includes(entry.name)) yield* files(path);
    } else if (!/\.(md|xsd)$/i.test(entry.name) && statSync(path).size < 2_000_000) yield path;
  }
}

/** Deterministic PRNG (mulberry32) so a failure reproduces from its seed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function variants(bytes: Buffer, seed: number): { label: string; bytes: Buffer }[] {
  const out: { label: string; bytes: Buffer }[] = [];
  for (const fraction of [0.1, 0.5, 0.9]) out.push({ label: `truncated at ${fraction}`, bytes: bytes.subarray(0, Math.floor(bytes.length * fraction)) });
  const rand = prng(seed);
  for (let i = 0; i < 3; i++) {
    const copy = Buffer.from(bytes);
    const flips = 1 + Math.floor(rand() * 8);
    for (let j = 0; j < flips && copy.length > 0; j++) copy[Math.floor(rand() * copy.length)] = Math.floor(rand() * 256);
    out.push({ label: `mutated #${i}`, bytes: copy });
  }
  return out;
}

function expectOnlyFormatErrors(run: () => unknown, label: string): void {
  const started = performance.now();
  try {
    run();
  } catch (error) {
    const ok = error instanceof ReportFormatError || (error instanceof AppError && error.code === 'UNKNOWN_TOOL');
    expect(ok, `${label}: ${(error as Error)?.stack ?? String(error)}`).toBe(true);
  }
  expect(performance.now() - started, `${label} took too long`).toBeLessThan(2000);
}

const sources = [join(projectRoot, 'integrations/scanners'), ...(corpusAvailable ? [corpusRoot] : [])];
const all = sources.flatMap((dir) => [...files(dir)].filter((f) => /fixtures|corpus/.test(f) && !f.endsWith('.ts')));

describe('parsers under truncated and mutated input', () => {
  it('found report files to mutate', () => {
    expect(all.length).toBeGreaterThan(scanners.length);
  });

  all.forEach((path, index) => {
    it(path.replace(/^.*\/(corpus|scanners)\//, ''), () => {
      const bytes = readFileSync(path);
      for (const v of variants(bytes, index + 1)) {
        const input = () => new ReportInput(v.bytes, path);
        expectOnlyFormatErrors(() => parseReport(scanners, input()), `${path} ${v.label} (detected)`);
        for (const plugin of scanners) {
          expectOnlyFormatErrors(() => plugin.detect(input()) && plugin.parse(input()), `${path} ${v.label} (${plugin.id})`);
        }
      }
    });
  });
});
