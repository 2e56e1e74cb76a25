import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { KEV_FILE, makeEpss, makeOsvZip, osvRecord } from '../../test/fakes/data-mirror.js';
import { DataFormatError, parseEpss, parseKev, parseOsv, parseSource, writeEpss, writeKev, writeOsv } from './formats.js';

const MAX = 64 * 1024 * 1024;

describe('KEV', () => {
  const real = readFileSync(KEV_FILE);

  it('parses the real CISA catalog (1,404 entries, every row valid)', () => {
    const set = parseKev(real);
    expect(set.source).toBe('kev');
    expect(set.version).toBe('2025.08.25');
    expect(set.rows).toHaveLength(1404);
    expect(set.publishedAt.toISOString()).toBe('2025-08-25T17:04:19.979Z');
    const git = set.rows.find((r) => r.cveId === 'CVE-2025-48384')!;
    expect(git).toMatchObject({ dateAdded: '2025-08-25', dueDate: '2025-09-15', knownRansomwareCampaignUse: 'Unknown', vendorProject: 'Git' });
  });

  it('round-trips through writeKev', () => {
    const set = parseKev(real);
    const again = parseKev(writeKev(set));
    expect(again.rows).toEqual(set.rows);
    expect(again.version).toBe(set.version);
    expect(again.publishedAt).toEqual(set.publishedAt);
  });

  it('refuses a truncated file, a count that does not match, a bad row and the wrong document', () => {
    expect(() => parseKev(real.subarray(0, real.length - 100))).toThrow(/not valid JSON/);
    const doc = JSON.parse(real.toString('utf8')) as { count: number; vulnerabilities: Record<string, unknown>[] };
    expect(() => parseKev(Buffer.from(JSON.stringify({ ...doc, count: 10 })))).toThrow(/count says 10 but 1404/);
    const bad = structuredClone(doc);
    bad.vulnerabilities[3]!.dueDate = 'next week';
    expect(() => parseKev(Buffer.from(JSON.stringify(bad)))).toThrow(/vulnerabilities\[3\]\.dueDate: not a date/);
    const noCve = structuredClone(doc);
    noCve.vulnerabilities[0]!.cveID = 'GHSA-1234';
    expect(() => parseKev(Buffer.from(JSON.stringify(noCve)))).toThrow(DataFormatError);
    expect(() => parseKev(Buffer.from(JSON.stringify({ hello: 'world' })))).toThrow(/KEV catalog: catalogVersion/);
  });
});

describe('EPSS', () => {
  const rows = [
    { cve: 'CVE-2021-44228', epss: 0.97, percentile: 0.99995 },
    { cve: 'CVE-2024-0001', epss: 0.00043, percentile: 0.1 },
  ];

  it('parses the gzip CSV with its model/score-date line', () => {
    const set = parseEpss(makeEpss({ rows }), MAX);
    expect(set.source).toBe('epss');
    expect(set.version).toBe('2026-11-28 (model v2025.03.14)');
    expect(set.publishedAt.toISOString()).toBe('2026-11-28T00:00:00.000Z');
    expect(set.rows).toEqual([
      { cveId: 'CVE-2021-44228', score: 0.97, percentile: 0.99995 },
      { cveId: 'CVE-2024-0001', score: 0.00043, percentile: 0.1 },
    ]);
    expect(parseEpss(writeEpss(set), MAX).rows).toEqual(set.rows);
  });

  it('also reads the CSV uncompressed', () => {
    const text = '#model_version:v2025.03.14,score_date:2026-11-28T00:00:00+0000\ncve,epss,percentile\nCVE-2020-0001,0.5,0.5\n';
    expect(parseEpss(Buffer.from(text), MAX).rows).toHaveLength(1);
  });

  it('refuses a missing header, bad numbers, a truncated gzip and a gzip bomb', () => {
    expect(() => parseEpss(Buffer.from('cve,epss,percentile\nCVE-2020-0001,0.5,0.5\n'), MAX)).toThrow(/line 1 should be/);
    expect(() => parseEpss(Buffer.from('#model_version:v1,score_date:2026-11-28T00:00:00+0000\ncve,epss,percentile\nCVE-2020-0001,1.5,0.5\n'), MAX)).toThrow(/between 0 and 1/);
    expect(() => parseEpss(Buffer.from('#model_version:v1,score_date:2026-11-28T00:00:00+0000\ncve,epss,percentile\nCVE-2020-0001,0.5\n'), MAX)).toThrow(/line 3/);
    const gz = makeEpss({ rows });
    expect(() => parseEpss(gz.subarray(0, gz.length - 10), MAX)).toThrow(/not a valid gzip/);
    expect(() => parseEpss(gzipSync(Buffer.alloc(2 * 1024 * 1024)), 1024 * 1024)).toThrow(/larger than/);
  });
});

describe('OSV', () => {
  const specs = [
    { id: 'GHSA-jfh8-c2jp-5v3q', aliases: ['CVE-2021-44228'], affected: [{ ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core', fixed: ['2.15.0', '2.3.1'] }] },
    { id: 'PYSEC-2021-1', aliases: ['CVE-2021-0001', 'GHSA-aaaa-bbbb-cccc'] },
    { id: 'GHSA-zzzz-zzzz-zzzz', aliases: ['CVE-2020-9999'], withdrawn: '2026-01-01T00:00:00Z' },
    { id: 'MAL-2026-1' },
  ];

  it('reads a zip per ecosystem: aliases, fixed versions; withdrawn and empty records left out', () => {
    const set = parseOsv([{ name: 'Maven/all.zip', body: makeOsvZip(specs) }], MAX);
    expect(set.rows.map((r) => r.id)).toEqual(['GHSA-jfh8-c2jp-5v3q', 'PYSEC-2021-1']);
    expect(set.rows[0]).toMatchObject({ aliases: ['CVE-2021-44228'], fixed: [{ ecosystem: 'Maven', package: 'org.apache.logging.log4j:log4j-core', fixed: '2.15.0' }, { fixed: '2.3.1' }] });
    expect(set.meta.records).toBe(4);
    expect(parseOsv([{ name: 'x', body: writeOsv(set) }], MAX).rows).toEqual(set.rows);
  });

  it('reads a JSON array or a single record, and keeps the newest of an id seen twice', () => {
    const older = osvRecord({ id: 'GHSA-1', aliases: ['CVE-2020-1'], modified: '2026-01-01T00:00:00Z' });
    const newer = osvRecord({ id: 'GHSA-1', aliases: ['CVE-2020-2'], modified: '2026-02-01T00:00:00Z' });
    const set = parseSource('osv', [{ name: 'a.json', body: Buffer.from(JSON.stringify([older])) }, { name: 'b.json', body: Buffer.from(JSON.stringify(newer)) }], MAX);
    expect(set.rows).toEqual([{ id: 'GHSA-1', modified: '2026-02-01T00:00:00Z', aliases: ['CVE-2020-2'], fixed: [] }]);
    expect(set.version).toBe('2026-02-01T00:00:00.000Z');
  });

  it('refuses a record without id/modified and a corrupt zip', () => {
    expect(() => parseOsv([{ name: 'x.json', body: Buffer.from(JSON.stringify([{ id: 'GHSA-1' }])) }], MAX)).toThrow(/OSV x.json\[0\]: modified/);
    const zip = makeOsvZip(specs);
    expect(() => parseOsv([{ name: 'z', body: zip.subarray(0, zip.length - 30) }], MAX)).toThrow(DataFormatError);
    expect(() => parseOsv([{ name: 'empty.json', body: Buffer.from('[]') }], MAX)).toThrow(/no records/);
  });
});
