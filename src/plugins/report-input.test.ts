import { describe, expect, it } from 'vitest';
import { scanners } from '../../integrations/index.js';
import { ReportFormatError } from '../errors.js';
import { parseReport } from '../ingest/parse-report.js';
import { jsonDepth, MAX_JSON_DEPTH, ReportInput } from './report-input.js';

describe('ReportInput', () => {
  it('measures nesting outside strings', () => {
    expect(jsonDepth('{"a":[1,{"b":"[[[{{{"}]}')).toBe(3);
    expect(jsonDepth('{"a":"\\"[["}')).toBe(1);
    expect(jsonDepth('[]')).toBe(1);
    // A string ending in a backslash ends at its quote; an escaped quote after an escaped backslash does not end it.
    expect(jsonDepth('{"a":"\\\\","b":[[1]]}')).toBe(3);
    expect(jsonDepth('{"a":"\\\\\\"[[","b":1}')).toBe(1);
    expect(jsonDepth('{"a":"unterminated [[')).toBe(1);
  });

  it('refuses hostile nesting (a 20,000-deep CycloneDX component tree) for every plugin, quickly', () => {
    const n = 20_000;
    const open = Array.from({ length: n }, (_, i) => `{"bom-ref":"c${i}","name":"c${i}","components":[`).join('');
    const doc = `{"bomFormat":"CycloneDX","specVersion":"1.6","vulnerabilities":[],"components":[${open}{"name":"x"}${']}'.repeat(n)}]}`;
    const started = performance.now();
    expect(() => parseReport(scanners, new ReportInput(doc), 'cyclonedx')).toThrow(ReportFormatError);
    expect(() => parseReport(scanners, new ReportInput(doc))).toThrow(ReportFormatError);
    for (const plugin of scanners) expect(() => plugin.detect(new ReportInput(doc))).not.toThrow();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(() => new ReportInput(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`).json()).not.toThrow();
  });

  it('refuses deeply nested XML', () => {
    const xml = `<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5">${'<a>'.repeat(50_000)}${'</a>'.repeat(50_000)}</bom>`;
    expect(() => parseReport(scanners, new ReportInput(xml))).toThrow(ReportFormatError);
  });
});
