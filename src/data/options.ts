// Settings of ScanHub's own vulnerability data (DESIGN §8): where each source is fetched from, how
// much and how long a fetch may take, when data counts as stale, and the bundle keys. Everything the
// data functions need arrives in one DataOptions object, so tests run without environment variables.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';

export const DATA_SOURCES = ['kev', 'epss', 'osv'] as const;
export type DataSource = (typeof DATA_SOURCES)[number];

export function isDataSource(value: string): value is DataSource {
  return (DATA_SOURCES as readonly string[]).includes(value);
}

export const DEFAULT_KEV_URL = 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json';
export const DEFAULT_EPSS_URL = 'https://epss.empiricalsecurity.com/epss_scores-current.csv.gz';
/** OSV publishes one zip of every advisory per ecosystem. */
export const DEFAULT_OSV_ECOSYSTEMS = ['npm', 'PyPI', 'Maven', 'Go', 'crates.io', 'NuGet', 'RubyGems', 'Packagist'] as const;
export const DEFAULT_OSV_URLS = DEFAULT_OSV_ECOSYSTEMS.map((e) => `https://osv-vulnerabilities.storage.googleapis.com/${encodeURIComponent(e)}/all.zip`);

export interface DataOptions {
  kevUrl: string;
  epssUrl: string;
  /** One or more OSV URLs: each a zip of OSV JSON records, a JSON array of records, or one record. */
  osvUrls: readonly string[];
  /** Whole-fetch deadline (connect, headers and body). */
  fetchTimeoutMs: number;
  /** Largest body accepted per URL (after HTTP decompression); the fetch is aborted beyond it. */
  maxDownloadBytes: number;
  /** Largest uncompressed content accepted from a zip or gzip (EPSS, OSV zips, bundles). */
  maxUncompressedBytes: number;
  /** A source last checked longer ago than this is stale (data.stale, verdict freshness). */
  staleAfterMs: number;
  /** A new KEV catalog with fewer rows than this share of the installed one is refused (unless forced). */
  minKevRatio: number;
  /**
   * Scheduled runs: how often sources are updated (default daily). The scheduler may tick more
   * often; a run is skipped while the last scheduled run (on any instance) is more recent.
   */
  updateIntervalMs: number;
  /** Scheduled runs: after a run in which a source failed, the next one is due this much later. */
  retryAfterMs: number;
  /** Scheduled runs: the lock lease; a crashed holder's lock is free again after it. */
  lockLeaseMs: number;
  /** Ed25519 public key that verifies imported bundles (`scanhub db import`). */
  publicKey?: string | undefined;
  /** Ed25519 private key that signs bundles (`scanhub db bundle`). */
  signingKey?: string | undefined;
  /** Outbound HTTP settings (src/security/outbound.ts). */
  outboundAllow?: string | undefined;
  caBundle?: string | undefined;
}

export const DEFAULT_DATA_OPTIONS: DataOptions = {
  kevUrl: DEFAULT_KEV_URL,
  epssUrl: DEFAULT_EPSS_URL,
  osvUrls: DEFAULT_OSV_URLS,
  fetchTimeoutMs: 120_000,
  maxDownloadBytes: 256 * 1024 * 1024,
  maxUncompressedBytes: 1024 * 1024 * 1024,
  staleAfterMs: 72 * 3_600_000,
  minKevRatio: 0.5,
  updateIntervalMs: 24 * 3_600_000,
  retryAfterMs: 3_600_000,
  lockLeaseMs: 30 * 60_000,
};

/**
 * The config fields this module reads, once they are in src/config/schema.ts. All optional: the
 * public defaults apply. (Typed loosely so this compiles before the fields exist.)
 */
export interface DataConfigFields {
  kevUrl?: string | undefined;
  epssUrl?: string | undefined;
  /** Comma-separated list. */
  osvUrl?: string | undefined;
  dataFetchTimeoutMs?: number | undefined;
  dataMaxDownload?: number | undefined;
  dataStaleAfterMs?: number | undefined;
  dataUpdateIntervalMs?: number | undefined;
  dataPublicKey?: string | undefined;
  dataSigningKey?: string | undefined;
}

/** DataOptions from the loaded configuration (defaults for what is unset). */
export function dataOptionsFromConfig(config: Pick<Config, 'outboundAllow' | 'caBundle'> & DataConfigFields): DataOptions {
  const list = (v: string | undefined) => v?.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    ...DEFAULT_DATA_OPTIONS,
    kevUrl: config.kevUrl ?? DEFAULT_KEV_URL,
    epssUrl: config.epssUrl ?? DEFAULT_EPSS_URL,
    osvUrls: list(config.osvUrl)?.length ? list(config.osvUrl)! : DEFAULT_OSV_URLS,
    fetchTimeoutMs: config.dataFetchTimeoutMs ?? DEFAULT_DATA_OPTIONS.fetchTimeoutMs,
    maxDownloadBytes: config.dataMaxDownload ?? DEFAULT_DATA_OPTIONS.maxDownloadBytes,
    staleAfterMs: config.dataStaleAfterMs ?? DEFAULT_DATA_OPTIONS.staleAfterMs,
    updateIntervalMs: config.dataUpdateIntervalMs ?? DEFAULT_DATA_OPTIONS.updateIntervalMs,
    publicKey: config.dataPublicKey,
    signingKey: config.dataSigningKey,
    outboundAllow: config.outboundAllow,
    caBundle: config.caBundle,
  };
}

export class DataKeyError extends Error {
  override name = 'DataKeyError';
}

/**
 * Reads a key given as PEM text, a path of a PEM/DER/base64 file, or base64 DER (SPKI for a public
 * key, PKCS#8 for a private one). The key must be Ed25519.
 */
export function loadKey(value: string, kind: 'public' | 'private', what: string): KeyObject {
  const given = value.trim();
  let material: string | Buffer;
  if (given.startsWith('-----BEGIN')) material = given;
  else if (given.length < 4096 && existsSync(given)) {
    const content = readFileSync(given);
    const text = content.toString('utf8').trim();
    material = text.startsWith('-----BEGIN') || /^[A-Za-z0-9+/=\s]+$/.test(text) ? text : content;
  } else if (/^[A-Za-z0-9+/=\s]+$/.test(given)) material = given;
  else throw new DataKeyError(`${what}: neither a PEM key, base64 DER nor a readable file.`);
  let key: KeyObject;
  try {
    if (typeof material === 'string' && material.startsWith('-----BEGIN')) {
      key = kind === 'public' ? createPublicKey(material) : createPrivateKey(material);
    } else {
      const der = typeof material === 'string' ? Buffer.from(material.replace(/\s+/g, ''), 'base64') : material;
      key = kind === 'public' ? createPublicKey({ key: der, format: 'der', type: 'spki' }) : createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    }
  } catch {
    throw new DataKeyError(`${what}: not a valid ${kind === 'public' ? 'SPKI public' : 'PKCS#8 private'} key.`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new DataKeyError(`${what}: the key is ${key.asymmetricKeyType ?? 'unknown'}, not Ed25519.`);
  return key;
}
