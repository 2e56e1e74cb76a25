import { describe, expect, it } from 'vitest';
import { exportJson, type JsonExport } from './json.js';
import { allFindings, awsSecret, baseContext, failingVerdict, opensslCve, semgrepSqli } from '../../../test/helpers/export-fixtures.js';

describe('exportJson', () => {
  it('wraps findings with project, ref, commit, time and severity counts', () => {
    const out = exportJson(allFindings, baseContext);
    expect(out.contentType).toMatch(/^application\/json/);
    expect(out.fileExtension).toBe('json');
    expect(out.body).toContain('\n  "schema": "scanhub.findings/v1"'); // pretty-printed
    const doc = JSON.parse(out.body) as JsonExport;
    expect(doc).toMatchObject({
      schema: 'scanhub.findings/v1',
      project: 'shop',
      ref: 'main',
      commit: baseContext.commit,
      submissionId: 'sub-42',
      generatedAt: '2024-03-01T12:34:56.789Z',
      generator: { name: 'ScanHub', version: '0.1.0' },
    });
    expect(doc.counts).toEqual({ total: 7, bySeverity: { critical: 1, high: 2, medium: 2, low: 1, info: 1 } });
    expect(doc.findings).toHaveLength(7);
    expect(doc.findings[0]).toEqual(opensslCve);
    expect(doc).not.toHaveProperty('verdict');
  });

  it('includes the verdict when given and nulls a missing ref/commit', () => {
    const doc = JSON.parse(
      exportJson([], { project: 'p', generatedAt: new Date(0), scanhubVersion: '1.2.3', verdict: failingVerdict }).body,
    ) as JsonExport;
    expect(doc.ref).toBeNull();
    expect(doc.commit).toBeNull();
    expect(doc.verdict?.outcome).toBe('fail');
    expect(doc.verdict?.rules.map((r) => r.id)).toEqual(['no-critical-vulns', 'no-secrets', 'max-high']);
    expect(doc.counts.total).toBe(0);
    expect(doc.findings).toEqual([]);
  });

  it('leaves out the snippet of a secret finding but keeps code snippets', () => {
    const secret = { ...awsSecret, snippet: 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE' };
    const code = { ...semgrepSqli, snippet: 'db.query("SELECT * FROM orders WHERE id=" + id)' };
    const out = exportJson([secret, code], baseContext);
    expect(out.body).not.toContain('AKIAIOSFODNN7EXAMPLE');
    const doc = JSON.parse(out.body) as JsonExport;
    expect(doc.findings.find((f) => f.category === 'secret')).toMatchObject({ secretHash: 'deadbeef' });
    expect(doc.findings.find((f) => f.category === 'secret')).not.toHaveProperty('snippet');
    expect(doc.findings.find((f) => f.category === 'code')?.snippet).toBe(code.snippet);
  });

  it('is deterministic and independent of input order', () => {
    expect(exportJson([...allFindings].reverse(), baseContext).body).toBe(exportJson(allFindings, baseContext).body);
  });

  it('rejects an invalid generatedAt', () => {
    expect(() => exportJson([], { ...baseContext, generatedAt: new Date('nope') })).toThrow(/generatedAt/);
  });
});
