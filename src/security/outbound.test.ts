// Outbound HTTP against real loopback servers: the guard refuses private targets unless allowed,
// and TLS verification is on unless the server's CA is in SCANHUB_CA_BUNDLE.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutbound } from './outbound.js';

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

describe('outbound HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scanhub-outbound-'));
  const cert = join(dir, 'ca.crt');
  const key = join(dir, 'ca.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  const plain = createServer((_req, res) => res.end('plain-ok'));
  const tls = createHttpsServer({ cert: readFileSync(cert), key: readFileSync(key) }, (_req, res) => res.end('tls-ok'));
  let plainPort = 0;
  let tlsPort = 0;
  beforeAll(async () => {
    plainPort = await listen(plain);
    tlsPort = await listen(tls as unknown as Server);
  });
  afterAll(() => {
    plain.closeAllConnections();
    plain.close();
    tls.closeAllConnections();
    tls.close();
  });

  it('refuses a user-set loopback URL unless the operator allows it', async () => {
    const guarded = createOutbound({}).client({ userSet: true });
    await expect(guarded.get(`http://127.0.0.1:${plainPort}/`)).rejects.toMatchObject({ code: 'OUTBOUND_URL_REFUSED' });
    // A name that resolves to loopback is caught at connect time too.
    await expect(guarded.get(`http://localhost:${plainPort}/`)).rejects.toMatchObject({ code: 'OUTBOUND_URL_REFUSED' });
    await expect(guarded.get('http://169.254.169.254/latest/meta-data/')).rejects.toMatchObject({ code: 'OUTBOUND_URL_REFUSED' });
    const allowed = createOutbound({ outboundAllow: '127.0.0.0/8' }).client({ userSet: true });
    expect((await allowed.get(`http://127.0.0.1:${plainPort}/`)).data).toBe('plain-ok');
    expect((await allowed.get(`http://localhost:${plainPort}/`)).data).toBe('plain-ok');
    // Targets the operator set in the environment are trusted.
    expect((await createOutbound({}).client({ userSet: false }).get(`http://127.0.0.1:${plainPort}/`)).data).toBe('plain-ok');
  });

  it('verifies TLS: a self-signed server fails unless its CA is in SCANHUB_CA_BUNDLE', async () => {
    const url = `https://127.0.0.1:${tlsPort}/`;
    await expect(createOutbound({}).client({ userSet: false }).get(url)).rejects.toMatchObject({ code: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/) });
    const withCa = createOutbound({ caBundle: cert }).client({ userSet: false });
    expect((await withCa.get(url)).data).toBe('tls-ok');
  });
});
