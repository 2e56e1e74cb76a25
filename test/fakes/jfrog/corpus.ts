// Reads the Xray corpus IN PLACE (never copied into the repository): $SCANHUB_CORPUS_DIR, default
// /work/shared/corpus. Bodies are read once per file and cloned per use.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export function corpusDir(): string {
  const dir = process.env.SCANHUB_CORPUS_DIR ?? '/work/shared/corpus';
  return isAbsolute(dir) ? dir : resolve(dir);
}

const cache = new Map<string, Buffer>();

/** The exact bytes of `xray/<file>` in the corpus. */
export function xrayCorpusBytes(file: string): Buffer {
  const path = join(corpusDir(), 'xray', file);
  let bytes = cache.get(path);
  if (!bytes) {
    bytes = readFileSync(path);
    cache.set(path, bytes);
  }
  return bytes;
}

/** A fresh parsed copy of `xray/<file>`. */
export function xrayCorpusJson<T = unknown>(file: string): T {
  return JSON.parse(xrayCorpusBytes(file).toString('utf8')) as T;
}

export const CORPUS = {
  statusDone: 'xray-artifact-status-done.clientgo.json',
  statusPending: 'xray-artifact-status-pending.clientgo.json',
  statusNotSupported: 'xray-artifact-status-not-supported.clientgo.json',
  summaryV2: 'xray-artifact-summary-v2-docker.clientgo.json',
  summaryV1: 'xray-artifact-summary-v1-docker-one-issue.dd.json',
  violations: 'xray-violations-list-page1.siem.json',
  violationDetails: 'xray-violation-details.siem.json',
  pushed: 'artifactory-webhook-docker-pushed.keel.json',
} as const;
