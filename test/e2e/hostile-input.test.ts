// Hostile input against the running server: each attack gets a 4xx with a coded error, nothing is
// stored, and the server stays healthy afterwards.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, submissionForm, type TestApp } from '../helpers/app.js';
import { tableCounts } from '../helpers/db.js';

const NS = 'https://jeremylong.github.io/DependencyCheck/dependency-check.4.1.xsd';
const XXE = `<?xml version="1.0"?><!DOCTYPE analysis [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><analysis xmlns="${NS}"><projectInfo><name>&xxe;</name></projectInfo><dependencies/></analysis>`;
const LAUGHS =
  `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
  Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') +
  `]><analysis xmlns="${NS}"><projectInfo><name>&lol9;</name></projectInfo></analysis>`;

describe('hostile input', () => {
  let app: TestApp;
  let before: Record<string, number>;
  const dir = mkdtempSync(join(tmpdir(), 'scanhub-hostile-'));

  beforeAll(async () => {
    app = await startTestApp('pglite', { env: { SCANHUB_MAX_UPLOAD: '8mb' } });
    await app.api('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'target' }) });
    before = await tableCounts(app.db);
  });
  afterAll(async () => app.close());

  async function submit(name: string, content: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; code: string; text: string }> {
    const res = await app.api('/api/v1/projects/target/submissions', { method: 'POST', headers, body: submissionForm({ ref: 'main' }, [{ name, content }]) });
    const text = await res.text();
    return { status: res.status, code: (JSON.parse(text) as { error?: { code: string } }).error?.code ?? '', text };
  }

  async function expectHealthyAndUnchanged(): Promise<void> {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const after = await tableCounts(app.db);
    // Only the tokens' last-use stamps may move; no table gains or loses a row.
    expect(after).toEqual(before);
  }

  it('refuses XML with an external entity (XXE) without reading the file', async () => {
    const r = await submit('dependency-check-report.xml', XXE);
    expect(r.status).toBe(422);
    expect(r.code).toBe('REPORT_MALFORMED');
    expect(r.text).not.toContain('root:');
    await expectHealthyAndUnchanged();
  });

  it('refuses a billion-laughs document without expanding it', async () => {
    const started = Date.now();
    const r = await submit('dependency-check-report.xml', LAUGHS);
    expect(r.status).toBe(422);
    expect(Date.now() - started).toBeLessThan(5000);
    await expectHealthyAndUnchanged();
  });

  it('refuses a gzip bomb by ratio, and one that inflates past the upload limit by size', async () => {
    const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x20), { level: 9 });
    expect(bomb.length).toBeLessThan(200_000);
    const r = await submit('trivy.json.gz', bomb);
    expect(r.status).toBe(413);
    expect(r.text).toContain('decompression bomb');
    // A plausible ratio but more than SCANHUB_MAX_UPLOAD (8 MiB) once inflated.
    const large = gzipSync(Buffer.from(JSON.stringify({ results: Array.from({ length: 200_000 }, (_, i) => ({ id: i, text: `finding ${i} ${Math.sin(i)}` })) })));
    const r2 = await submit('big.json.gz', large);
    expect(r2.status).toBe(413);
    expect(r2.text).toContain('SCANHUB_MAX_UPLOAD');
    await expectHealthyAndUnchanged();
  });

  it('accepts a gzip-compressed report (the same findings as the plain one)', async () => {
    const semgrep = readFileSync(join(import.meta.dirname, '../apps/demo-reports/semgrep.json'));
    const res = await app.api('/api/v1/projects/target/submissions', { method: 'POST', body: submissionForm({ ref: 'gz' }, [{ name: 'semgrep.json.gz', content: gzipSync(semgrep) }]) });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { counts: { total: number } }).counts.total).toBe(7);
    before = await tableCounts(app.db);
  });

  it('refuses a zip bomb (archives are not accepted)', async () => {
    const zip = join(dir, 'bomb.zip');
    execFileSync('python3', ['-c', `import zipfile\nwith zipfile.ZipFile(${JSON.stringify(zip)}, 'w', zipfile.ZIP_DEFLATED) as z:\n  z.writestr('report.json', b' ' * (64 * 1024 * 1024))`]);
    const r = await submit('report.zip', readFileSync(zip));
    expect(r.status).toBe(415);
    expect(r.text).toContain('ZIP archive');
    await expectHealthyAndUnchanged();
  });

  it('refuses the same bombs and archives on the way to a worker, where uploads are inflated as they are stored', async () => {
    const async = { prefer: 'respond-async' };
    const bomb = await submit('trivy.json.gz', gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x20), { level: 9 }), async);
    expect([bomb.status, bomb.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(bomb.text).toContain('decompression bomb');
    const large = gzipSync(Buffer.from(JSON.stringify({ results: Array.from({ length: 200_000 }, (_, i) => ({ id: i, text: `finding ${i} ${Math.sin(i)}` })) })));
    const tooLarge = await submit('big.json.gz', large, async);
    expect([tooLarge.status, tooLarge.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(tooLarge.text).toContain('SCANHUB_MAX_UPLOAD');
    const zip = await submit('report.zip', Buffer.from('PK\x03\x04rest of an archive', 'latin1'), async);
    expect([zip.status, zip.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const truncated = await submit('trivy.json.gz', gzipSync(Buffer.from('{"Results":[]}')).subarray(0, 12), async);
    expect([truncated.status, truncated.code]).toEqual([422, 'REPORT_MALFORMED']);
    expect(truncated.text).toContain('not a valid gzip file');
    // Nothing of them was stored or queued (no table gained a row: uploads, chunks, jobs).
    await expectHealthyAndUnchanged();
  });

  it('refuses a report nested 10,000 levels deep', async () => {
    const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    const r = await submit('deep.json', deep);
    expect(r.status).toBe(422);
    expect(r.text).toContain('nests deeper');
    const apiDeep = await app.api('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: deep });
    expect(apiDeep.status).toBe(400);
    await expectHealthyAndUnchanged();
  });

  it('refuses an oversized upload while it streams, and an oversized or bomb JSON body', async () => {
    const r = await submit('huge.json', Buffer.alloc(9 * 1024 * 1024, 0x20));
    expect(r.status).toBe(413);
    const big = await app.api('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(big.status).toBe(413);
    const gzBody = await app.api('/api/v1/projects', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: new Uint8Array(gzipSync(Buffer.from(`{"name":"${' '.repeat(32 * 1024 * 1024)}"}`))),
    });
    expect(gzBody.status).toBe(413);
    await expectHealthyAndUnchanged();
  });

  it('validates every id and path parameter', async () => {
    for (const path of ['/api/v1/submissions/not-a-uuid', "/api/v1/submissions/1'%20OR%20'1'='1", '/api/v1/exceptions/..%2F..%2Fetc', '/api/v1/projects/%00', '/api/v1/channels/1;DROP%20TABLE%20findings', '/api/v1/integrations/jenkins/zzz']) {
      const res = await app.api(path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
    }
    await expectHealthyAndUnchanged();
  });
});

describe('NUL characters', () => {
  it('are replaced in reports (stored as U+FFFD) and refused in JSON bodies and URLs', async () => {
    const app = await startTestApp('pglite');
    try {
      await app.api('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'nul' }) });
      const semgrep = JSON.parse(readFileSync(join(import.meta.dirname, '../apps/demo-reports/semgrep.json'), 'utf8')) as { results: { extra: { message: string } }[] };
      semgrep.results[0]!.extra.message = 'evil\u0000message';
      const raw = JSON.stringify(semgrep).replace('evil\\u0000message', 'evil\\u0000message\u0000');
      const res = await app.api('/api/v1/projects/nul/submissions', { method: 'POST', body: submissionForm({ ref: 'main' }, [{ name: 'semgrep.json', content: raw }]) });
      expect(res.status).toBe(201);
      const findings = (await (await app.api('/api/v1/projects/nul/findings?q=evil')).json()) as { items: { title: string; description?: string }[] };
      expect(JSON.stringify(findings.items)).toContain('evil\ufffdmessage');
      const body = await app.api('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"a\\u0000b"}' });
      expect(body.status).toBe(400);
      expect((await app.api('/api/v1/projects/nul/findings?ref=%00')).status).toBe(400);
    } finally {
      await app.close();
    }
  });
});
