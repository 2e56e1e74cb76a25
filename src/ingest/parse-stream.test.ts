import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../integrations/index.js';
import { corpusJsonFiles, describeCorpus } from '../../test/helpers/corpus.js';
import { sarifReport, semgrepReport, trivyReport, xraySummary } from '../../bench/generate.js';
import type { Finding } from '../domain/finding.js';
import { ReportInput } from '../plugins/report-input.js';
import { disambiguateRepeatedCode, parseReport } from './parse-report.js';
import { detectStreamedReport, streamReport } from './parse-stream.js';

function chunksOf(bytes: Buffer, size: number) {
  return async function* () {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  };
}

async function streamed(bytes: Buffer, filename: string, options: { chunk: number; batchItems: number; tool?: string }) {
  const open = chunksOf(bytes, options.chunk);
  const found = await detectStreamedReport(scanners, open, filename, options.tool);
  if (!found) return undefined; // not a JSON object or array: ingest reads it whole
  const findings: Finding[] = [];
  const summary = await streamReport(found, open, filename, async (batch) => void findings.push(...batch), { batchItems: options.batchItems });
  disambiguateRepeatedCode(findings);
  return { summary, findings };
}

const byFingerprint = (findings: readonly Finding[]) => [...findings].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));

describe('streamed parsing', () => {
  it.each([
    ['trivy.json', trivyReport(1_234)],
    ['semgrep.json', semgrepReport(1_234)],
    ['results.sarif', sarifReport(1_234)],
    ['xray-summary.json', xraySummary(1_234)],
  ])('reads %s item by item into the findings a whole read gives', async (filename, text) => {
    const bytes = Buffer.from(text);
    const whole = parseReport(scanners, new ReportInput(bytes, filename));
    const { summary, findings } = (await streamed(bytes, filename, { chunk: 65_536, batchItems: 100 }))!;
    expect(summary.tool).toBe(whole.tool);
    expect(summary.format).toBe(whole.format);
    expect(summary.findings).toBe(whole.findings.length);
    expect(findings).toHaveLength(1_234);
    expect(byFingerprint(findings)).toEqual(byFingerprint(whole.findings));
  });

  it('refuses a report of another tool than the one named, and one in no format, as a whole read does', async () => {
    const bytes = Buffer.from(semgrepReport(3));
    await expect(streamed(bytes, 'r.json', { chunk: 100, batchItems: 2, tool: 'trivy' })).rejects.toMatchObject({ code: 'REPORT_TOOL_MISMATCH' });
    await expect(streamed(Buffer.from('{"hello":[1,2,3]}'), 'r.json', { chunk: 5, batchItems: 2 })).rejects.toMatchObject({ code: 'REPORT_FORMAT_UNKNOWN' });
  });

  it('leaves a document that does not start as JSON to a whole read, after its first chunk', async () => {
    let pulled = 0;
    const open = async function* () {
      for (const part of ['  <?xml version="1.0"?>', '<analysis/>']) {
        pulled += 1;
        yield Buffer.from(part);
      }
    };
    expect(await detectStreamedReport(scanners, open, 'dependency-check-report.xml')).toBeUndefined();
    expect(pulled).toBe(1);
    expect(await detectStreamedReport(scanners, chunksOf(Buffer.from('null'), 2), 'trivy.json')).toBeUndefined();
  });

  it('points warnings at the item in the report, not in the batch', async () => {
    const doc = JSON.parse(trivyReport(10)) as { Results: { Vulnerabilities: unknown[] }[] };
    doc.Results.unshift({ Target: 'first', Vulnerabilities: [] } as never);
    doc.Results[1]!.Vulnerabilities[7] = 'not an object';
    const bytes = Buffer.from(JSON.stringify(doc));
    const whole = parseReport(scanners, new ReportInput(bytes, 't.json'));
    const { summary } = (await streamed(bytes, 't.json', { chunk: 50, batchItems: 3 }))!;
    expect(whole.warnings.map((w) => w.pointer)).toContain('/Results/1/Vulnerabilities/7');
    expect(summary.warnings).toEqual(whole.warnings);
  });
});

describeCorpus('streamed parsing of the corpus', () => {
  it('gives the same findings and warnings as a whole read for every corpus report a streaming plugin reads', async () => {
    let compared = 0;
    for (const file of corpusJsonFiles()) {
      const bytes = readFileSync(file);
      let whole;
      try {
        whole = parseReport(scanners, new ReportInput(bytes, 'report'));
      } catch {
        continue;
      }
      if (!scanners.find((p) => p.id === whole.tool)?.streamItems) continue;
      const result = await streamed(bytes, 'report', { chunk: 4_096, batchItems: 3 });
      if (!result) {
        // Only a bare literal (the legacy Trivy `null`) is left to the whole read.
        expect(bytes.toString('utf8').trim(), file).toBe('null');
        continue;
      }
      const { summary, findings } = result;
      expect(summary.tool, file).toBe(whole.tool);
      expect(summary.format, file).toBe(whole.format);
      expect(summary.toolVersion, file).toBe(whole.toolVersion);
      expect(summary.target, file).toBe(whole.target);
      expect(summary.dbUpdatedAt, file).toBe(whole.dbUpdatedAt);
      expect(byFingerprint(findings), file).toEqual(byFingerprint(whole.findings));
      expect(new Set(summary.warnings.map((w) => `${w.pointer} ${w.message}`)), file).toEqual(new Set(whole.warnings.map((w) => `${w.pointer} ${w.message}`)));
      compared += 1;
    }
    expect(compared).toBeGreaterThan(40);
  });
});
