// ScanHub serving HTTPS itself: SCANHUB_TLS_CERT/KEY (a self-signed certificate made for the test),
// TLS 1.2+, HSTS; a half configuration is refused at start-up.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { startServer } from '../../src/server.js';

function get(url: string, ca: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    request(url, { ca, servername: '127.0.0.1' }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    })
      .on('error', reject)
      .end();
  });
}

describe('TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scanhub-tls-'));
  const cert = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });

  it('serves HTTPS with HSTS when a certificate is configured', async () => {
    const config = loadConfig({ PORT: '0', SCANHUB_DATA_DIR: join(dir, 'data'), SCANHUB_TLS_CERT: cert, SCANHUB_TLS_KEY: key, SCANHUB_DEMO: 'false', SCANHUB_ADMIN_TOKEN: 'shk_tls-test-admin-token-0001' });
    const running = await startServer(config, createLogger('silent'));
    try {
      expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const res = await get(`${running.url}/healthz`, readFileSync(cert));
      expect(res.status).toBe(200);
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      await expect(fetch(running.url.replace('https', 'http') + '/healthz')).rejects.toThrow();
    } finally {
      await running.close();
    }
  });

  it('refuses to start with only half a TLS configuration', async () => {
    const config = loadConfig({ PORT: '0', SCANHUB_DATA_DIR: join(dir, 'data2'), SCANHUB_TLS_CERT: cert, SCANHUB_DEMO: 'false', SCANHUB_ADMIN_TOKEN: 'shk_tls-test-admin-token-0001' });
    await expect(startServer(config, createLogger('silent'))).rejects.toThrow(/SCANHUB_TLS_KEY/);
  });
});
