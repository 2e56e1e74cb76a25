import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvField, exportCsv, neutraliseCsvCell } from './csv.js';
import { allFindings, baseContext, hostileFinding, opensslCve, semgrepSqli } from '../../../test/helpers/export-fixtures.js';

/** Minimal RFC 4180 reader for the tests: records of fields, honouring quotes, doubled quotes and CRLF. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field !== '' || record.length > 0) throw new Error('CSV does not end with CRLF');
  return records;
}

describe('neutraliseCsvCell', () => {
  it.each([
    ['=HYPERLINK("http://x")', `'=HYPERLINK("http://x")`],
    ['+1', `'+1`],
    ['-2+3', `'-2+3`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['\t=1', `'\t=1`],
    ['\r=1', `'\r=1`],
  ])('prefixes %j with a quote', (input, expected) => {
    expect(neutraliseCsvCell(input)).toBe(expected);
  });

  it.each(['critical', 'CVE-2024-0727', '3.0.13', '', ' =1', "'=already", 'a=b'])('leaves %j alone', (input) => {
    expect(neutraliseCsvCell(input)).toBe(input);
  });
});

describe('csvField', () => {
  it('quotes fields with comma, quote, CR or LF and doubles quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField('a\rb')).toBe('"a\rb"');
  });
});

describe('exportCsv', () => {
  const { body, contentType, fileExtension } = exportCsv(allFindings, baseContext);
  const records = parseCsv(body);
  const header = records[0]!;
  const rows = records.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));

  it('writes a header and one CRLF-terminated record of 15 fields per finding', () => {
    expect(contentType).toMatch(/^text\/csv/);
    expect(fileExtension).toBe('csv');
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(records).toHaveLength(allFindings.length + 1);
    for (const r of records) expect(r).toHaveLength(15);
    expect(body.endsWith('\r\n')).toBe(true);
    // No bare LF outside quoted fields: every line break between records is CRLF.
    expect(body.replace(/"(?:[^"]|"")*"/g, '').match(/(?<!\r)\n/)).toBeNull();
  });

  it('orders worst severity first and maps the columns', () => {
    expect(rows.map((r) => r.severity)).toEqual(['critical', 'high', 'high', 'medium', 'medium', 'low', 'info']);
    const openssl = rows.find((r) => r.fingerprint === opensslCve.fingerprint)!;
    expect(openssl).toMatchObject({
      category: 'vulnerability',
      ruleId: 'CVE-2024-0727',
      vulnerabilityIds: 'CVE-2024-0727',
      package: 'openssl',
      version: '3.0.12-r0',
      fixedVersions: '3.0.13',
      path: '',
      line: '',
      image: 'registry.example.com/shop:1.4',
      tools: 'trivy grype',
      status: 'open',
      firstSeenAt: '2024-02-01T10:00:00.000Z',
    });
    const sqli = rows.find((r) => r.fingerprint === semgrepSqli.fingerprint)!;
    expect(sqli).toMatchObject({ path: 'src/db/orders.ts', line: '42', tools: 'semgrep' });
  });

  it('neutralises formula cells and survives quotes, commas and line breaks', () => {
    const hostile = rows.find((r) => r.fingerprint === hostileFinding.fingerprint)!;
    expect(hostile.title).toBe(`'${hostileFinding.title}`);
    expect(hostile.ruleId).toBe(`'=cmd|calc`);
    expect(hostile.path).toBe(`'-src/a,b.ts`);
    expect(hostile.line).toBe(''); // startLine 0 means unknown
    for (const row of rows) for (const cell of Object.values(row)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('is deterministic and independent of input order', () => {
    expect(exportCsv([...allFindings].reverse(), baseContext).body).toBe(body);
  });

  it('writes just the header for no findings', () => {
    expect(exportCsv([], baseContext).body).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
  });
});
