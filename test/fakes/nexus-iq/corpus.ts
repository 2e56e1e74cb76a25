// Reads the Sonatype corpus IN PLACE (test/helpers/corpus.ts; never copied into the repository).
import { readCorpus } from '../../helpers/corpus.js';

export const IQ_CORPUS = { many: 'many_vulns.json', two: 'two_vulns.json', none: 'no_vuln.json' } as const;

/** A fresh parsed copy of `sonatype/<file>`. */
export function iqCorpusJson<T = unknown>(file: string): T {
  return JSON.parse(readCorpus('sonatype', file).toString('utf8')) as T;
}
