import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendReportFile, submitReports } from './submit.js';

const dir = mkdtempSync(join(tmpdir(), 'scanhub-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('report files in the upload', () => {
  it('streams the file from disk as the form part, under its base name', async () => {
    const path = join(dir, 'trivy.json');
    // Bytes that are not valid UTF-8 too: the part must carry them exactly.
    const content = Buffer.concat([Buffer.from('{"SchemaVersion":2,"Results":[]}'), Buffer.from([0xff, 0x00, 0xfe]), Buffer.alloc(3 * 1024 * 1024, 0x61)]);
    writeFileSync(path, content);
    let received = Buffer.alloc(0);
    const server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        received = Buffer.concat(parts);
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"x"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const outcome = await submitReports({ url, token: 't', project: 'a/b', ref: 'main', files: [path] });
      expect(outcome).toEqual({ ok: true, body: { id: 'x' } });
      expect(received.includes(content)).toBe(true);
      expect(received.toString('latin1')).toContain('filename="trivy.json"');
    } finally {
      server.close();
    }
  });

  it('does not follow a redirect with the upload (that would hold it whole), and says where it points', async () => {
    const path = join(dir, 'semgrep.json');
    writeFileSync(path, '{"results":[]}');
    let posts = 0;
    const server = createServer((req, res) => {
      posts += 1;
      req.resume();
      req.on('end', () => res.writeHead(307, { location: 'https://scanhub.example.com/api/v1/projects/a%2Fb/submissions' }).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const outcome = await submitReports({ url, token: 't', project: 'a/b', ref: 'main', files: [path] });
      expect(outcome).toMatchObject({ ok: false });
      expect((outcome as { message: string }).message).toContain('redirect to https://scanhub.example.com/api/v1/projects/a%2Fb/submissions: set SCANHUB_URL');
      expect(posts).toBe(1);
    } finally {
      server.close();
    }
  });

  it('says which file it cannot read, and why', async () => {
    await expect(appendReportFile(new FormData(), join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(appendReportFile(new FormData(), dir)).rejects.toMatchObject({ code: 'EISDIR' });
    const outcome = await submitReports({ url: 'http://127.0.0.1:9', token: 't', project: 'a/b', ref: 'main', files: [join(dir, 'missing.json')] });
    expect(outcome).toMatchObject({ ok: false, message: `cannot read ${join(dir, 'missing.json')}: ENOENT` });
  });
});
