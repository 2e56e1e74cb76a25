// Reading a report too large to hold whole: its bytes arrive in chunks (from the upload store), are
// split into items and a skeleton (json-split.ts), and the plugin parses the items a batch at a time,
// each batch inside the skeleton as if the document held only it. Two passes over the bytes: the
// first finds the format and the skeleton (a plugin may read a Result's Target or a run's rules
// after its items), the second hands out findings. Memory: the skeleton and one batch.
import { ReportFormatError } from '../errors.js';
import type { Finding } from '../domain/finding.js';
import { ReportInput } from '../plugins/report-input.js';
import type { ParseOutput, ParseWarning, ScannerPlugin } from '../plugins/scanner.js';
import { choosePlugin, normaliseOutput } from './parse-report.js';
import { JsonSplitError, JsonSplitter, toPointer, type JsonPath, type PathPattern } from './json-split.js';

/** The report's bytes, from the start, as often as asked (each pass reads them again). */
export type OpenChunks = () => AsyncIterable<Buffer>;

export interface StreamedReportSummary {
  tool: string;
  format: string;
  toolVersion?: string | undefined;
  dbUpdatedAt?: string | undefined;
  target?: string | undefined;
  findings: number;
  warnings: ParseWarning[];
}

/** Items handed to the plugin at once: enough to amortise the per-batch document, few enough to bound memory. */
const BATCH_ITEMS = 2_000;
/** A report read in parts may repeat one warning per item; beyond this many, they are counted, not listed. */
const MAX_WARNINGS = 1_000;
/** Items kept in the first pass's skeleton, for the plugins' detect(). */
const SAMPLES = 2;

export interface StreamedReport {
  plugin: ScannerPlugin;
  /** The document with the plugin's item arrays empty. */
  skeleton: unknown;
}

function splitError(error: unknown, filename: string): never {
  if (error instanceof JsonSplitError) throw new ReportFormatError(`"${filename}": ${error.message}`, { pointer: error.pointer });
  throw error;
}

/** Pass 1: the skeleton, or undefined when the document does not start as JSON (XML, a bare literal: read whole). */
async function readSkeleton(open: OpenChunks, patterns: readonly PathPattern[], samples: number, filename: string): Promise<{ skeleton: unknown; counts: Map<string, number> } | undefined> {
  const splitter = new JsonSplitter(patterns, { samples, values: false });
  let looked = false;
  try {
    for await (const chunk of open()) {
      if (!looked) {
        const first = /\S/.exec(chunk.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, ''))?.[0];
        if (first && first !== '{' && first !== '[') return undefined;
        looked = first !== undefined;
      }
      splitter.write(chunk);
    }
    return { skeleton: splitter.end(), counts: splitter.counts };
  } catch (error) {
    splitError(error, filename);
  }
}

const samePath = (a: JsonPath, b: JsonPath) => a.length === b.length && a.every((s, i) => s === b[i]);

/** Whether a pattern names the items of the array at `pointer`. */
function coversArray(patterns: readonly PathPattern[], pointer: string): boolean {
  const segments = pointer.split('/').slice(1);
  return patterns.some((p) => p.length === segments.length + 1 && segments.every((s, i) => p[i] === '*' || p[i] === s.replace(/~1/g, '/').replace(/~0/g, '~')));
}

/** Empties, in the skeleton, the arrays whose items the plugin reads in batches (the first pass kept samples of them). */
function emptyArrays(skeleton: unknown, pointers: Iterable<string>): unknown {
  const doc = structuredClone(skeleton);
  for (const pointer of pointers) {
    const segments = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let node: unknown = doc;
    for (const s of segments.slice(0, -1)) node = (node as Record<string, unknown>)?.[s];
    const last = segments[segments.length - 1]!;
    if (node && typeof node === 'object' && Array.isArray((node as Record<string, unknown>)[last])) (node as Record<string, unknown>)[last] = [];
  }
  return doc;
}

/** Picks the plugin from the document's skeleton (undefined: not JSON) (with a few items of each large array) and returns the plugin's own skeleton. */
export async function detectStreamedReport(plugins: readonly ScannerPlugin[], open: OpenChunks, filename: string, toolId?: string): Promise<StreamedReport | undefined> {
  const everyPattern = plugins.flatMap((p) => p.streamItems ?? []);
  const first = await readSkeleton(open, everyPattern, SAMPLES, filename);
  if (!first) return undefined;
  const plugin = choosePlugin(plugins, ReportInput.ofJson(first.skeleton, filename), toolId);
  const patterns = plugin.streamItems ?? [];
  const cut = [...first.counts].filter(([pointer, n]) => n > SAMPLES && !coversArray(patterns, pointer));
  // Another plugin's pattern cut an array this one reads whole: read its skeleton again, with its own patterns.
  const skeleton = cut.length ? (await readSkeleton(open, patterns, 0, filename))!.skeleton : emptyArrays(first.skeleton, [...first.counts.keys()].filter((p) => coversArray(patterns, p)));
  return { plugin, skeleton };
}

/** The skeleton with the array at `path` holding only `items`, and each array on the way only the element that leads to it. */
function narrow(node: unknown, path: JsonPath, at: number, items: unknown[]): unknown {
  if (at === path.length) return items;
  const seg = path[at]!;
  if (Array.isArray(node)) return [narrow(node[seg as number], path, at + 1, items)];
  const record = (node ?? {}) as Record<string, unknown>;
  return { ...record, [seg]: narrow(record[seg as string], path, at + 1, items) };
}

/** Rewrites a pointer into a narrowed document (every index on the way 0, the batch from 0) into one into the report. */
function realPointer(pointer: string, arrayPath: JsonPath, firstIndex: number): string {
  const segments = pointer.split('/').slice(1);
  for (let i = 0; i < arrayPath.length; i++) {
    const seg = arrayPath[i]!;
    if (segments[i] === undefined) break;
    if (typeof seg === 'number') {
      if (segments[i] !== '0') return pointer;
      segments[i] = String(seg);
    } else if (segments[i] !== toPointer([seg]).slice(1)) return pointer;
  }
  const k = segments[arrayPath.length];
  if (k !== undefined && /^\d+$/.test(k)) segments[arrayPath.length] = String(firstIndex + Number(k));
  return segments.length ? `/${segments.join('/')}` : pointer;
}

/**
 * Reads the report item by item and hands its findings to `onFindings`, a batch at a time (normalised
 * and fingerprinted; repeated code is told apart later, over the whole report). Returns what the
 * report said about itself, as parseReport does.
 */
export async function streamReport(
  found: StreamedReport,
  open: OpenChunks,
  filename: string,
  onFindings: (findings: Finding[]) => Promise<void>,
  options: { batchItems?: number } = {},
): Promise<StreamedReportSummary> {
  const batchItems = options.batchItems ?? BATCH_ITEMS;
  const { plugin, skeleton } = found;
  const warnings: ParseWarning[] = [];
  const seen = new Set<string>();
  let unlisted = 0;
  const warn = (w: ParseWarning) => {
    const key = `${w.pointer}\n${w.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (warnings.length < MAX_WARNINGS) warnings.push(w);
    else unlisted += 1;
  };
  const parse = (doc: unknown): ParseOutput => plugin.parse(ReportInput.ofJson(doc, filename));
  // The skeleton alone: the format, tool version, target and what the plugin says of the document itself.
  const head = parse(skeleton);
  head.warnings.forEach(warn);
  let count = 0;
  let normalised = normaliseOutput(plugin.id, head, [], 0);
  // What the skeleton itself yields (arrays the plugin reads whole) every batch yields again: kept once.
  const fromSkeleton = new Set(normalised.map((f) => f.fingerprint));
  if (normalised.length) {
    count += normalised.length;
    await onFindings(normalised);
  }

  let batch: unknown[] = [];
  let batchPath: JsonPath | undefined;
  let batchFirst = 0;
  const flush = async () => {
    if (!batchPath || batch.length === 0) return;
    const arrayPath = batchPath;
    const output = parse(narrow(skeleton, arrayPath, 0, batch));
    const own: ParseWarning[] = [];
    normalised = normaliseOutput(plugin.id, output, own, count).filter((f) => !fromSkeleton.has(f.fingerprint));
    for (const w of [...output.warnings, ...own]) warn({ pointer: realPointer(w.pointer, arrayPath, batchFirst), message: w.message });
    batch = [];
    if (normalised.length) {
      count += normalised.length;
      await onFindings(normalised);
    }
  };
  const splitter = new JsonSplitter(plugin.streamItems ?? []);
  try {
    for await (const chunk of open()) {
      for (const item of splitter.write(chunk)) {
        const arrayPath = item.path.slice(0, -1);
        const index = item.path[item.path.length - 1] as number;
        if (!batchPath || batch.length >= batchItems || !samePath(arrayPath, batchPath)) {
          await flush();
          batchPath = arrayPath;
          batchFirst = index;
        }
        batch.push(item.value);
      }
    }
    splitter.end();
  } catch (error) {
    splitError(error, filename);
  }
  await flush();
  if (unlisted) warnings.push({ pointer: '', message: `${unlisted} more warnings are not listed.` });
  return { tool: plugin.id, format: head.format, toolVersion: head.toolVersion, dbUpdatedAt: head.dbUpdatedAt, target: head.target, findings: count, warnings };
}
