// Splits a JSON document arriving in chunks into the items of its large arrays and the rest (the
// "skeleton"), holding only one item at a time. A 500 MB report is almost all one or two arrays
// (Trivy's Results[].Vulnerabilities, SARIF's runs[].results): each item is handed to the native
// JSON.parse as its bytes complete, and the skeleton — tool, rules, targets — is parsed at the end.
//
// The scanner below only tracks structure (strings, brackets, keys on the way to the arrays); every
// value is still parsed by JSON.parse, so what it accepts is exactly JSON: a structural error outside
// the items surfaces when the skeleton is parsed, one inside an item when that item is.
import { MAX_JSON_DEPTH } from '../plugins/report-input.js';

/** A path pattern: object keys, and "*" for any array index (or any key). */
export type PathPattern = readonly string[];
export type JsonPath = (string | number)[];

export interface SplitItem {
  /** Where the item sits in the document, e.g. ["Results", 3, "Vulnerabilities", 17]. */
  path: JsonPath;
  value: unknown;
}

interface Container {
  kind: 'obj' | 'arr';
  path: JsonPath;
  /** Some pattern continues below this container: keys must be read. */
  tracked: boolean;
  /** An array whose elements are items. */
  streamed: boolean;
  index: number;
  key: string | undefined;
  /** In an object: the next string is a key. */
  expectKey: boolean;
  /** In a streamed array: what may come next ("value" after "[" or ",", "separator" after an item). */
  next?: 'value' | 'separator';
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export class JsonSplitError extends Error {
  constructor(
    message: string,
    readonly pointer: string,
  ) {
    super(message);
  }
}

export function toPointer(path: JsonPath): string {
  return path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** PostgreSQL cannot store NUL: it becomes U+FFFD before any parser sees it (as ReportInput does). */
function withoutNul(text: string): string {
  return text.includes('\0') || text.includes('\\u0000') ? text.replaceAll('\0', '\uFFFD').replaceAll('\\u0000', '\\ufffd') : text;
}

export class JsonSplitter {
  readonly #patterns: readonly PathPattern[];
  readonly #samples: number;
  /** Parse every item (false: only the samples; the items are counted, and checked when read for real). */
  readonly #values: boolean;
  readonly #stack: Container[] = [];
  readonly #skeleton: Buffer[] = [];
  /** Items seen per streamed array (by pointer): what the skeleton left out. */
  readonly counts = new Map<string, number>();
  #started = false;
  #inString = false;
  #escape = false;
  #keyBytes: Buffer[] | undefined;
  #keyStart = -1;
  // The item being read: its pieces, where it started in the current chunk, its own depth.
  #item: Buffer[] | undefined;
  #itemStart = -1;
  #itemDepth = 0;
  #itemScalar = false;
  #itemsInArray = 0;
  // The skeleton is copied from here in the current chunk; -1 while inside a streamed array.
  #copyFrom = 0;

  /**
   * `patterns` name the items (their last element is "*"); `samples` items of each streamed array
   * are kept in the skeleton too (enough for a plugin's detect() to recognise the format).
   */
  constructor(patterns: readonly PathPattern[], options: { samples?: number; values?: boolean } = {}) {
    this.#patterns = patterns;
    this.#samples = options.samples ?? 0;
    this.#values = options.values ?? true;
  }

  #matches(path: JsonPath, exact: boolean): boolean {
    return this.#patterns.some((p) => (exact ? p.length === path.length : p.length > path.length) && path.every((seg, i) => p[i] === '*' || p[i] === String(seg)));
  }

  /** Feeds the next chunk; returns the items it completed, in document order. */
  write(chunk: Buffer): SplitItem[] {
    const out: SplitItem[] = [];
    let i = 0;
    if (!this.#started) {
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
      this.#started = chunk.length > 0;
    }
    if (this.#copyFrom >= 0) this.#copyFrom = i;
    if (this.#item) this.#itemStart = 0;
    if (this.#keyBytes) this.#keyStart = 0;
    const n = chunk.length;
    for (; i < n; i++) {
      const c = chunk[i]!;
      if (this.#inString) {
        if (this.#escape) {
          this.#escape = false;
          continue;
        }
        // Most of a report is strings: jump to the next quote, then see whether a backslash run escapes it.
        const q = c === QUOTE ? i : chunk.indexOf(QUOTE, i);
        if (q < 0) {
          let k = 0;
          while (n - 1 - k >= i && chunk[n - 1 - k] === BACKSLASH) k++;
          this.#escape = k % 2 === 1;
          i = n;
          break;
        }
        let k = 0;
        while (q - 1 - k >= i && chunk[q - 1 - k] === BACKSLASH) k++;
        i = q;
        if (k % 2 === 1) continue; // an escaped quote: the string goes on
        this.#inString = false;
        if (this.#keyBytes) this.#endKey(chunk, i);
        else if (this.#item && this.#itemScalar && this.#itemDepth === 0) this.#endItem(chunk, i + 1, out);
        continue;
      }
      if (this.#item) {
        // Inside an item only its depth and strings matter.
        if (c === QUOTE) this.#inString = true;
        else if (c === 0x7b || c === 0x5b) {
          if (++this.#itemDepth + this.#stack.length > MAX_JSON_DEPTH) throw this.#tooDeep();
        } else if (c === 0x7d || c === 0x5d) {
          if (this.#itemScalar) {
            this.#endItem(chunk, i, out);
            i--; // the bracket closes the array: read it again outside the item
          } else if (--this.#itemDepth === 0) this.#endItem(chunk, i + 1, out);
        } else if (this.#itemScalar && (c === 0x2c || isSpace(c))) {
          this.#endItem(chunk, i, out);
          i--;
        }
        continue;
      }
      if (isSpace(c)) continue;
      const top = this.#stack[this.#stack.length - 1];
      if (top?.streamed) {
        // The skeleton holds none of this array's separators: they are checked here.
        const expected = c === 0x2c || c === 0x5d ? 'separator' : 'value';
        const allowed = top.next === expected || (c === 0x5d && top.next === 'value' && top.index === 0 && this.#itemsInArray === 0);
        if (!allowed) throw new JsonSplitError(`The report is not valid JSON: unexpected "${String.fromCharCode(c)}" in ${toPointer(top.path)}.`, toPointer([...top.path, top.index]));
        if (expected === 'value') {
          top.next = 'separator';
          this.#startItem(chunk, i, c);
          continue;
        }
        top.next = 'value';
      }
      switch (c) {
        case QUOTE:
          this.#inString = true;
          if (top?.kind === 'obj' && top.expectKey && top.tracked) {
            this.#keyBytes = [];
            this.#keyStart = i + 1;
          }
          break;
        case 0x7b: // {
        case 0x5b: {
          // [
          const path = top ? [...top.path, top.kind === 'obj' ? (top.key ?? '') : top.index] : [];
          const kind = c === 0x7b ? 'obj' : 'arr';
          const streamed = kind === 'arr' && this.#matches([...path, 0], true);
          if (this.#stack.length + 1 > MAX_JSON_DEPTH) throw this.#tooDeep();
          this.#stack.push({ kind, path, tracked: (!top || top.tracked) && this.#matches(path, false), streamed, index: 0, key: undefined, expectKey: kind === 'obj', next: 'value' });
          if (streamed) {
            this.#flushSkeleton(chunk, i + 1);
            this.#copyFrom = -1;
            this.#itemsInArray = 0;
          }
          break;
        }
        case 0x7d: // }
        case 0x5d: {
          // ]
          const closed = this.#stack.pop();
          if (closed?.streamed) {
            this.counts.set(toPointer(closed.path), closed.index + (this.#itemsInArray > 0 ? 1 : 0));
            this.#copyFrom = i;
          }
          break;
        }
        case 0x3a: // :
          if (top?.kind === 'obj') top.expectKey = false;
          break;
        case 0x2c: // ,
          if (top?.kind === 'obj') top.expectKey = true;
          else if (top) top.index += 1;
          break;
        default:
          break; // a scalar outside the items: copied with the skeleton
      }
    }
    if (this.#item) this.#item.push(chunk.subarray(this.#itemStart));
    if (this.#keyBytes) this.#keyBytes.push(chunk.subarray(this.#keyStart));
    if (this.#copyFrom >= 0) this.#skeleton.push(Buffer.from(chunk.subarray(this.#copyFrom)));
    return out;
  }

  /** The document without its items (and with the kept samples), parsed. */
  end(): unknown {
    if (this.#item || this.#inString || this.#stack.length > 0) {
      throw new JsonSplitError('The report ends in the middle of a JSON value: it was cut short.', this.#item ? toPointer(this.#itemPath()) : '');
    }
    const text = Buffer.concat(this.#skeleton).toString('utf8');
    try {
      return JSON.parse(withoutNul(text));
    } catch (error) {
      throw new JsonSplitError(`The report is not valid JSON: ${(error as Error).message}`, '');
    }
  }

  #tooDeep(): JsonSplitError {
    return new JsonSplitError(`The report nests deeper than ${MAX_JSON_DEPTH} levels; no scanner report does.`, '');
  }

  #flushSkeleton(chunk: Buffer, to: number): void {
    if (this.#copyFrom >= 0 && to > this.#copyFrom) this.#skeleton.push(Buffer.from(chunk.subarray(this.#copyFrom, to)));
  }

  #itemPath(): JsonPath {
    const top = this.#stack[this.#stack.length - 1]!;
    return [...top.path, top.index];
  }

  #startItem(chunk: Buffer, i: number, c: number): void {
    this.#item = [];
    this.#itemStart = i;
    this.#itemDepth = c === 0x7b || c === 0x5b ? 1 : 0;
    this.#itemScalar = this.#itemDepth === 0;
    if (c === QUOTE) this.#inString = true;
  }

  #endItem(chunk: Buffer, end: number, out: SplitItem[]): void {
    this.#item!.push(chunk.subarray(this.#itemStart, end));
    const bytes = this.#item!.length === 1 ? this.#item![0]! : Buffer.concat(this.#item!);
    this.#item = undefined;
    this.#itemScalar = false;
    const path = this.#itemPath();
    const sample = this.#itemsInArray < this.#samples;
    this.#itemsInArray += 1;
    if (sample) this.#skeleton.push(this.#itemsInArray > 1 ? Buffer.concat([Buffer.from(','), bytes]) : Buffer.from(bytes));
    if (!this.#values) return;
    let value: unknown;
    try {
      value = JSON.parse(withoutNul(bytes.toString('utf8')));
    } catch (error) {
      throw new JsonSplitError(`The report is not valid JSON at ${toPointer(path)}: ${(error as Error).message}`, toPointer(path));
    }
    out.push({ path, value });
  }

  #endKey(chunk: Buffer, end: number): void {
    this.#keyBytes!.push(chunk.subarray(this.#keyStart, end));
    const raw = Buffer.concat(this.#keyBytes!).toString('utf8');
    this.#keyBytes = undefined;
    const top = this.#stack[this.#stack.length - 1]!;
    try {
      top.key = JSON.parse(`"${raw}"`) as string;
    } catch {
      top.key = raw; // a broken key: the skeleton's JSON.parse reports it
    }
  }
}
