// A report as it arrived: bytes, decoded once, parsed once as JSON or XML on demand, so that every
// plugin's detect() can look at the same document without re-reading it.
import { XMLParser } from 'fast-xml-parser';
import { ReportFormatError } from '../errors.js';

export type ReportSyntax = 'json' | 'xml' | 'empty' | 'text';

const UNSET = Symbol('unset');
/** The text of a ReportInput.ofJson: reads as JSON syntax; nothing parses it. */
const JSON_MARK = '{}';

export class ReportInput {
  readonly filename: string | undefined;
  readonly size: number;
  #text: string;
  #json: unknown = UNSET;
  #jsonError: ReportFormatError | undefined;
  #xml: unknown = UNSET;
  #xmlError: ReportFormatError | undefined;

  constructor(content: Buffer | Uint8Array | string, filename?: string) {
    const text = typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
    const unmarked = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    // PostgreSQL text and jsonb cannot hold NUL: it becomes U+FFFD here, before any parser sees it.
    this.#text = unmarked.includes('\0') || unmarked.includes('\\u0000') ? unmarked.replaceAll('\0', '\uFFFD').replaceAll('\\u0000', '\\ufffd') : unmarked;
    this.size = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
    this.filename = filename;
  }

  /**
   * A JSON document already parsed (a part of a report read in a stream): plugins read it through
   * json() as usual; its text is not kept (the part's own bytes were parsed where they arrived).
   */
  static ofJson(value: unknown, filename?: string): ReportInput {
    // A bare literal (the legacy Trivy `null` report) keeps its text: detect() may read it.
    const input = new ReportInput(typeof value === 'object' && value !== null ? JSON_MARK : (JSON.stringify(value) ?? JSON_MARK), filename);
    input.#json = value;
    return input;
  }

  get text(): string {
    return this.#text;
  }

  /** What the document looks like from its first non-blank character. */
  get syntax(): ReportSyntax {
    const m = /\S/.exec(this.#text);
    if (!m) return 'empty';
    const c = m[0];
    if (c === '{' || c === '[') return 'json';
    if (c === '<') return 'xml';
    // A bare JSON literal (`null`, a number) is still JSON; the legacy Trivy "null" report is one.
    if (/^\s*(null|true|false|-?\d)/.test(this.#text)) return 'json';
    return 'text';
  }

  /** The JSON document, or a ReportFormatError that says where it broke. */
  json(): unknown {
    if (this.#jsonError) throw this.#jsonError;
    if (this.#json !== UNSET) return this.#json;
    const depth = jsonDepth(this.#text, MAX_JSON_DEPTH);
    if (depth > MAX_JSON_DEPTH) {
      // No scanner nests this deep; parsers that walk nested components must not be made to recurse without end.
      this.#jsonError = new ReportFormatError(`The report nests deeper than ${MAX_JSON_DEPTH} levels; no scanner report does.`, { pointer: '' });
      throw this.#jsonError;
    }
    try {
      this.#json = JSON.parse(this.#text);
      return this.#json;
    } catch (error) {
      this.#jsonError = new ReportFormatError(`The report is not valid JSON: ${(error as Error).message}`, {
        pointer: '',
        cause: error,
      });
      throw this.#jsonError;
    }
  }

  /** The JSON document if the report is valid JSON, else undefined (for detect()). */
  tryJson(): unknown {
    if (this.syntax !== 'json') return undefined;
    try {
      return this.json();
    } catch {
      return undefined;
    }
  }

  /**
   * The XML document as plain objects: attributes under `@_name`, text under `#text`, namespace
   * prefixes removed, every value kept as a string (versions such as "1.10" must not become 1.1).
   * Entity declarations are refused outright: no external entities, no entity expansion.
   */
  xml(): Record<string, unknown> {
    if (this.#xmlError) throw this.#xmlError;
    if (this.#xml !== UNSET) return this.#xml as Record<string, unknown>;
    try {
      this.#xml = parseSafeXml(this.#text);
      return this.#xml as Record<string, unknown>;
    } catch (error) {
      this.#xmlError =
        error instanceof ReportFormatError
          ? error
          : new ReportFormatError(`The report is not well-formed XML: ${(error as Error).message}`, { pointer: '/', cause: error });
      throw this.#xmlError;
    }
  }

  tryXml(): Record<string, unknown> | undefined {
    if (this.syntax !== 'xml') return undefined;
    try {
      return this.xml();
    } catch {
      return undefined;
    }
  }
}

export const MAX_JSON_DEPTH = 256;

/** The deepest nesting of objects/arrays in JSON text, stopping early once past `limit`. */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      // Most of a report is string content: jump to the next quote instead of stepping through it. The
      // quote ends the string unless an odd run of backslashes escapes it.
      const quote = text.indexOf('"', i);
      if (quote < 0) return max;
      let slashes = 0;
      while (text.charCodeAt(quote - 1 - slashes) === 92) slashes++;
      i = quote;
      if (slashes % 2 === 0) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

export function parseSafeXml(text: string): Record<string, unknown> {
  // DTDs are where XXE and billion-laughs live; no scanner report needs one to declare entities.
  if (/<!ENTITY/i.test(text)) {
    throw new ReportFormatError('XML with entity declarations (<!ENTITY>) is refused: no external entities or entity expansion.', {
      pointer: '/',
    });
  }
  if (/<!DOCTYPE[^>]*\b(SYSTEM|PUBLIC)\b/i.test(text)) {
    throw new ReportFormatError('XML that references an external DTD is refused.', { pointer: '/' });
  }
  const doc = xmlParser.parse(text, true) as unknown;
  if (!doc || typeof doc !== 'object') throw new ReportFormatError('The XML document is empty.', { pointer: '/' });
  return doc as Record<string, unknown>;
}
