// Secrets at rest: AES-256-GCM with a random 96-bit nonce per value and the key id stored beside
// the ciphertext, so keys rotate without downtime (old ids stay readable until re-encrypted).
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface SecretKey {
  id: string;
  key: Buffer;
}

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

const PREFIX = 'shs1';

/** A key from 32 random bytes given as base64 or hex (64 chars); its id is a short hash of the key. */
export function parseSecretKey(value: string): SecretKey {
  const trimmed = value.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new SecretBoxError('The secret key must be 32 bytes, as 64 hex characters or base64.');
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 12), key };
}

export function generateSecretKey(): string {
  return randomBytes(32).toString('base64');
}

export class SecretBox {
  readonly #keys: Map<string, Buffer>;
  readonly #current: SecretKey;

  /** `current` encrypts; `previous` keys only decrypt (during a rotation). */
  constructor(current: SecretKey, previous: readonly SecretKey[] = []) {
    this.#current = current;
    this.#keys = new Map([...previous, current].map((k) => [k.id, k.key]));
  }

  get currentKeyId(): string {
    return this.#current.id;
  }

  /** "shs1:<keyId>:<nonce>:<ciphertext+tag>" (base64url parts). `context` binds the value to its place. */
  encrypt(plaintext: string, context = ''): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#current.key, nonce);
    cipher.setAAD(Buffer.from(`${this.#current.id}|${context}`));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [PREFIX, this.#current.id, nonce.toString('base64url'), body.toString('base64url')].join(':');
  }

  decrypt(sealed: string, context = ''): string {
    const parts = sealed.split(':');
    if (parts.length !== 4 || parts[0] !== PREFIX) throw new SecretBoxError('Not an encrypted ScanHub secret.');
    const [, keyId, nonceText, bodyText] = parts as [string, string, string, string];
    const key = this.#keys.get(keyId);
    if (!key) throw new SecretBoxError(`The secret was encrypted with key ${keyId}, which is not configured (SCANHUB_SECRET_KEY / SCANHUB_SECRET_KEYS_OLD).`);
    const body = Buffer.from(bodyText, 'base64url');
    if (body.length < 16) throw new SecretBoxError('The encrypted secret is truncated.');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonceText, 'base64url'));
      decipher.setAAD(Buffer.from(`${keyId}|${context}`));
      decipher.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('The encrypted secret failed its integrity check (wrong key, context or tampered value).');
    }
  }

  /** Whether a value sealed under `keyId` can be opened here. */
  canDecrypt(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /** Whether a sealed value needs re-encryption under the current key. */
  isStale(sealed: string): boolean {
    return sealed.split(':')[1] !== this.#current.id;
  }
}

/** Constant-time comparison of two strings (length leaks, content does not). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
