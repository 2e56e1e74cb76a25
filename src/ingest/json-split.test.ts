import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../integrations/index.js';
import { corpusJsonFiles, describeCorpus } from '../../test/helpers/corpus.js';
import { JsonSplitError, JsonSplitter, type JsonPath, type PathPattern } from './json-split.js';

const PATTERNS = scanners.flatMap((p) => p.streamItems ?? []);

/** Feeds `bytes` in chunks of `size` and puts every item back where it came from. */
function splitAndRebuild(bytes: Buffer, patterns: readonly PathPattern[], size: number): { rebuilt: unknown; items: number } {
  const splitter = new JsonSplitter(patterns);
  const items: { path: JsonPath; value: unknown }[] = [];
  for (let i = 0; i < bytes.length; i += size) items.push(...splitter.write(bytes.subarray(i, i + size)));
  const skeleton = splitter.end() as Record<string, unknown>;
  for (const { path, value } of items) {
    let node: unknown = skeleton;
    for (const seg of path.slice(0, -1)) node = (node as Record<string | number, unknown>)[seg];
    const array = node as unknown[];
    expect(path[path.length - 1]).toBe(array.length); // items arrive in order, none skipped
    array.push(value);
  }
  return { rebuilt: skeleton, items: items.length };
}

describe('JsonSplitter', () => {
  it('splits items out of nested arrays and leaves the rest whole, whatever the chunk boundaries', () => {
    const doc = {
      SchemaVersion: 2,
      Results: [
        { Target: 'a "quoted" [target]', Vulnerabilities: [{ id: 1, s: 'br}ace] \\" \\\\' }, { id: 2, n: [1, [2, { x: '{' }]] }], Type: 'x' },
        { Target: 'b', Vulnerabilities: [], Secrets: ['plain string', 3.5e-2, true, null, { k: 'v' }] },
        { Target: 'c', Vulnerabilities: null },
      ],
      'Résumé/~key': { nested: ['Vulnerabilities'] },
      Tail: '\u2028 ünïcödé 🦀',
    };
    const patterns = [
      ['Results', '*', 'Vulnerabilities', '*'],
      ['Results', '*', 'Secrets', '*'],
    ];
    for (const text of [JSON.stringify(doc), JSON.stringify(doc, null, 2), JSON.stringify(doc, null, '\t').replace(/\n/g, '\r\n')]) {
      const bytes = Buffer.from(text);
      for (const size of [1, 2, 3, 7, 64, bytes.length]) {
        const { rebuilt, items } = splitAndRebuild(bytes, patterns, size);
        expect(rebuilt).toEqual(doc);
        expect(items).toBe(7);
      }
    }
  });

  it('keeps the first items as samples in the skeleton and counts what it left out', () => {
    const splitter = new JsonSplitter([['results', '*']], { samples: 2 });
    const items = splitter.write(Buffer.from('\uFEFF{"results":[{"a":1},{"a":2},{"a":3}],"version":"1"}'));
    expect(items.map((i) => i.value)).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(splitter.end()).toEqual({ results: [{ a: 1 }, { a: 2 }], version: '1' });
    expect(splitter.counts.get('/results')).toBe(3);
  });

  it('turns NUL into U+FFFD as ReportInput does (PostgreSQL cannot store it)', () => {
    const splitter = new JsonSplitter([['results', '*']]);
    const items = splitter.write(Buffer.from('{"results":["a\\u0000b"],"k":"c\\u0000"}'));
    expect(items[0]!.value).toBe('a\uFFFDb');
    expect(splitter.end()).toEqual({ results: [], k: 'c\uFFFD' });
  });

  it('refuses what is not JSON, saying where', () => {
    const attempt = (text: string) => {
      const s = new JsonSplitter([['results', '*']]);
      s.write(Buffer.from(text));
      return s.end();
    };
    expect(() => attempt('{"results":[{"a":1},{"a":}]}')).toThrow(JsonSplitError);
    expect(() => attempt('{"results":[{"a":1},{"a":}]}')).toThrow(/\/results\/1/);
    expect(() => attempt('{"results":[{"a":1}')).toThrow(/cut short/);
    expect(() => attempt('{"results":[], "x": tru}')).toThrow(/not valid JSON/);
    expect(() => attempt('{"results":[1 2]}')).toThrow(JsonSplitError);
    expect(() => attempt('{"results":[1,]}')).toThrow(JsonSplitError);
    expect(() => attempt('{"results":[,1]}')).toThrow(JsonSplitError);
    expect(() => attempt('{"results":[1,,2]}')).toThrow(JsonSplitError);
    expect(() => attempt('{"results":[{} {}]}')).toThrow(JsonSplitError);
    expect(() => attempt(`{"results":[${'['.repeat(300)}${']'.repeat(300)}]}`)).toThrow(/nests deeper/);
    expect(() => attempt(`{"x":${'['.repeat(300)}${']'.repeat(300)}}`)).toThrow(/nests deeper/);
  });
});

describeCorpus('JsonSplitter on the corpus', () => {
  it('rebuilds every JSON report of the corpus exactly, in 1 KiB and 7-byte chunks', () => {
    let files = 0;
    let items = 0;
    for (const file of corpusJsonFiles()) {
      const bytes = readFileSync(file);
      let expected: unknown;
      try {
        expected = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, '').replaceAll('\\u0000', '\\ufffd'));
      } catch {
        continue; // not JSON (a deliberately broken sample): the splitter's refusals are tested above
      }
      files += 1;
      for (const size of bytes.length < 200_000 ? [7, 1024] : [65_536]) {
        const result = splitAndRebuild(bytes, PATTERNS, size);
        expect(result.rebuilt, file).toEqual(expected);
        items += size === 1024 || bytes.length >= 200_000 ? result.items : 0;
      }
    }
    expect(files).toBeGreaterThan(100);
    expect(items).toBeGreaterThan(1_000);
  });
});
