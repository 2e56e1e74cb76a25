import { describe, expect, it } from 'vitest';
import { generateSecretKey, parseSecretKey, SecretBox, SecretBoxError } from './secrets.js';
import { signBody, verifySignature } from './signatures.js';
import { checkOutboundUrl } from './url-guard.js';

describe('SecretBox', () => {
  const k1 = parseSecretKey(generateSecretKey());
  const k2 = parseSecretKey(generateSecretKey());

  it('round-trips, never repeats a ciphertext, and hides the plaintext', () => {
    const box = new SecretBox(k1);
    const a = box.encrypt('smtp-password-123', 'channel:1');
    const b = box.encrypt('smtp-password-123', 'channel:1');
    expect(a).not.toBe(b);
    expect(a).not.toContain('smtp-password');
    expect(box.decrypt(a, 'channel:1')).toBe('smtp-password-123');
  });

  it('refuses a tampered value, another context, or an unknown key', () => {
    const box = new SecretBox(k1);
    const sealed = box.encrypt('token', 'ctx');
    const parts = sealed.split(':');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[3] = body.toString('base64url');
    expect(() => box.decrypt(parts.join(':'), 'ctx')).toThrow(SecretBoxError);
    expect(() => box.decrypt(sealed, 'other')).toThrow(SecretBoxError);
    expect(() => new SecretBox(k2).decrypt(sealed, 'ctx')).toThrow(/not configured/);
  });

  it('rotates: the old key still decrypts, values are re-sealed under the new one', () => {
    const old = new SecretBox(k1).encrypt('v');
    const rotated = new SecretBox(k2, [k1]);
    expect(rotated.isStale(old)).toBe(true);
    const resealed = rotated.encrypt(rotated.decrypt(old));
    expect(rotated.isStale(resealed)).toBe(false);
    expect(new SecretBox(k2).decrypt(resealed)).toBe('v');
  });

  it('accepts only 32-byte keys', () => {
    expect(() => parseSecretKey('short')).toThrow(SecretBoxError);
    expect(parseSecretKey('a'.repeat(64)).key.length).toBe(32);
  });
});

describe('webhook signatures', () => {
  const body = '{"event_type":"pushed"}';
  it('verify HMAC-SHA256 with or without the sha256= prefix, and refuse others', () => {
    const { signature } = signBody('s3cret', body);
    expect(verifySignature('s3cret', body, signature)).toBe(true);
    expect(verifySignature('s3cret', body, signature.slice(7))).toBe(true);
    expect(verifySignature('s3cret', body + ' ', signature)).toBe(false);
    expect(verifySignature('other', body, signature)).toBe(false);
    expect(verifySignature('s3cret', body, undefined)).toBe(false);
    expect(verifySignature('s3cret', body, 's3cret')).toBe(false);
    expect(verifySignature('s3cret', body, 's3cret', { allowPlainSecret: true })).toBe(true);
  });
  it('enforce the replay window when the sender signs a timestamp', () => {
    const now = new Date('2026-11-24T12:00:00Z');
    const ts = Math.floor(now.getTime() / 1000);
    const { signature } = signBody('k', body, ts);
    expect(verifySignature('k', body, signature, { timestamp: ts, now })).toBe(true);
    expect(verifySignature('k', body, signature, { timestamp: ts, now: new Date(now.getTime() + 301_000) })).toBe(false);
  });
});

describe('outbound URL guard', () => {
  const resolveTo = (...addrs: string[]) => async () => addrs;
  it('refuses metadata, loopback, private and link-local targets by default', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data', 'http://127.0.0.1:8080/', 'http://10.1.2.3/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://192.168.1.1/']) {
      await expect(checkOutboundUrl(url, { allow: [] })).rejects.toMatchObject({ code: 'OUTBOUND_URL_REFUSED' });
    }
    await expect(checkOutboundUrl('http://rebind.example.test/', { allow: [] }, resolveTo('93.184.216.34', '127.0.0.1'))).rejects.toMatchObject({ code: 'OUTBOUND_URL_REFUSED' });
    await expect(checkOutboundUrl('file:///etc/passwd', { allow: [] })).rejects.toMatchObject({ code: 'OUTBOUND_URL_REFUSED' });
  });
  it('allows public addresses, and what the operator allows', async () => {
    await expect(checkOutboundUrl('https://hooks.example.test/x', { allow: [] }, resolveTo('93.184.216.34'))).resolves.toBeInstanceOf(URL);
    await expect(checkOutboundUrl('http://127.0.0.1:9999/', { allow: ['127.0.0.1/8'] })).resolves.toBeInstanceOf(URL);
    await expect(checkOutboundUrl('http://jenkins.internal/', { allow: ['jenkins.internal'] })).resolves.toBeInstanceOf(URL);
  });
});
