import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDataKeyPair } from './bundle.js';
import { DEFAULT_OSV_URLS, dataOptionsFromConfig, DataKeyError, loadKey } from './options.js';

describe('loadKey', () => {
  const pair = generateDataKeyPair();
  const dir = mkdtempSync(join(tmpdir(), 'scanhub-keys-'));

  it('reads base64 DER, PEM text and files of either, and the pair signs/verifies', () => {
    writeFileSync(join(dir, 'data.pub'), pair.publicPem);
    writeFileSync(join(dir, 'data.key'), pair.privatePem);
    writeFileSync(join(dir, 'pubb64'), pair.publicKey + '\n');
    const privates = [loadKey(pair.privateKey, 'private', 'k'), loadKey(pair.privatePem, 'private', 'k'), loadKey(join(dir, 'data.key'), 'private', 'k')];
    const publics = [loadKey(pair.publicKey, 'public', 'k'), loadKey(pair.publicPem, 'public', 'k'), loadKey(join(dir, 'data.pub'), 'public', 'k'), loadKey(join(dir, 'pubb64'), 'public', 'k')];
    for (const priv of privates) {
      const sig = sign(null, Buffer.from('manifest'), priv);
      for (const pub of publics) expect(verify(null, Buffer.from('manifest'), pub, sig)).toBe(true);
    }
  });

  it('refuses another algorithm, the wrong kind and garbage, naming the setting', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => loadKey(rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString(), 'public', 'SCANHUB_DATA_PUBLIC_KEY')).toThrow(/SCANHUB_DATA_PUBLIC_KEY: the key is rsa, not Ed25519/);
    expect(() => loadKey(pair.publicKey, 'private', 'SCANHUB_DATA_SIGNING_KEY')).toThrow(DataKeyError);
    expect(() => loadKey('/no/such/file.pem', 'public', 'X')).toThrow(/X: neither a PEM key/);
    expect(() => loadKey('aGVsbG8=', 'public', 'X')).toThrow(/X: not a valid SPKI public key/);
  });
});

describe('dataOptionsFromConfig', () => {
  it('uses the public sources by default and the configured mirrors when set', () => {
    const defaults = dataOptionsFromConfig({ outboundAllow: undefined, caBundle: undefined });
    expect(defaults.kevUrl).toMatch(/^https:\/\/www\.cisa\.gov\//);
    expect(defaults.osvUrls).toEqual(DEFAULT_OSV_URLS);
    const mirrored = dataOptionsFromConfig({ outboundAllow: undefined, caBundle: '/ca.pem', kevUrl: 'https://m/kev.json', osvUrl: 'https://m/npm.zip, https://m/pypi.zip', dataMaxDownload: 1000 });
    expect(mirrored).toMatchObject({ kevUrl: 'https://m/kev.json', osvUrls: ['https://m/npm.zip', 'https://m/pypi.zip'], maxDownloadBytes: 1000, caBundle: '/ca.pem' });
  });
});
