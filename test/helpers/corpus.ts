// Reads ../shared/corpus in place (never copied into this repository). Where the corpus is absent
// (a clone outside the workplace) corpus tests skip with a message; under CI=true they fail instead.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';
import { ReportInput } from '../../src/plugins/report-input.js';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const corpusRoot = process.env.SCANHUB_CORPUS_DIR ?? resolve(projectRoot, '../shared/corpus');
export const corpusAvailable = existsSync(corpusRoot);

if (!corpusAvailable && process.env.CI === 'true') {
  throw new Error(`The corpus is required in CI but ${corpusRoot} does not exist.`);
}

export function corpusPath(...parts: string[]): string {
  return join(corpusRoot, ...parts);
}

export function readCorpus(...parts: string[]): Buffer {
  return readFileSync(corpusPath(...parts));
}

export function corpusInput(...parts: string[]): ReportInput {
  return new ReportInput(readCorpus(...parts), parts[parts.length - 1]);
}

/** Every JSON (and SARIF) file under the corpus, or a folder of it. */
export function corpusJsonFiles(dir = corpusRoot): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return corpusJsonFiles(p);
    return /\.(json|sarif)$/.test(name) ? [p] : [];
  });
}

/** The git blob id of a file, to check a test read the bytes its MANIFEST describes. */
export function gitBlobSha1(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** `describe` that skips, with its reason in the title, when the corpus is not beside the project. */
export const describeCorpus: typeof describe = (corpusAvailable
  ? describe
  : (name: string, ...rest: unknown[]) =>
      // Skipped only outside this workplace: the corpus belongs to other projects and is not shipped.
      (describe.skip as (n: string, ...r: unknown[]) => void)(`${name} (skipped: ../shared/corpus not found)`, ...rest)) as typeof describe;
