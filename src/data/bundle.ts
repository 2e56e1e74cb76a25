// Offline bundles for air-gapped installations. A bundle is a tar.gz of
//   manifest.json  — format, createdAt, and per source: version, dates, rows, file, bytes, sha256
//   manifest.sig   — base64 Ed25519 signature of manifest.json's exact bytes
//   kev.json, epss.csv, osv.json — each source in its upstream format
// Import verifies the signature with the configured public key, every file against its sha256,
// refuses an older bundle (or older data than installed), re-validates every row like a download,
// and installs all sources in one transaction.
import { generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import type { Database } from '../store/db.js';
import { ArchiveError, gunzipLimited, readTar, writeTar } from './archive.js';
import { sha256 } from './fetch.js';
import { DataFormatError, parseSource, writeEpss, writeKev, writeOsv, type DataSet } from './formats.js';
import { DATA_SOURCES, DataKeyError, DEFAULT_DATA_OPTIONS, loadKey, type DataSource } from './options.js';
import { DataValidationError, installDataSet, readDataSet, readSources, recordUpdate, snapshot, sourceLabel, type UpdateOutcome } from './store.js';

export class BundleError extends Error {
  override name = 'BundleError';
}

const FILES: Record<DataSource, string> = { kev: 'kev.json', epss: 'epss.csv', osv: 'osv.json' };

export const bundleManifestSchema = z.strictObject({
  format: z.literal('scanhub-data-bundle'),
  formatVersion: z.literal(1),
  createdAt: z.iso.datetime({ offset: true }),
  sources: z
    .array(
      z.strictObject({
        source: z.enum(DATA_SOURCES),
        version: z.string(),
        publishedAt: z.iso.datetime({ offset: true }),
        fetchedAt: z.iso.datetime({ offset: true }).nullable(),
        rows: z.number().int().nonnegative(),
        file: z.string(),
        bytes: z.number().int().nonnegative(),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
      }),
    )
    .min(1),
});
export type BundleManifest = z.infer<typeof bundleManifestSchema>;

/** A new Ed25519 key pair, as base64 DER (PKCS#8 private, SPKI public) and PEM. */
export function generateDataKeyPair(): { privateKey: string; publicKey: string; privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

function writeSet(set: DataSet): Buffer {
  return set.source === 'kev' ? writeKev(set) : set.source === 'epss' ? writeEpss(set) : writeOsv(set);
}

/** Packs every installed source, signed with the private key. Throws BundleError when nothing is installed. */
export async function createBundle(db: Database, options: { signingKey: string | KeyObject; now?: Date }): Promise<{ bundle: Buffer; manifest: BundleManifest }> {
  const key = typeof options.signingKey === 'string' ? loadKey(options.signingKey, 'private', 'SCANHUB_DATA_SIGNING_KEY') : options.signingKey;
  const now = options.now ?? new Date();
  const files = await snapshot(db, async (tx) => {
    const out: { set: DataSet; fetchedAt: Date | null; data: Buffer }[] = [];
    for (const source of await readSources(tx)) {
      const set = await readDataSet(tx, source);
      if (set) out.push({ set, fetchedAt: source.fetchedAt, data: writeSet(set) });
    }
    return out;
  });
  if (files.length === 0) throw new BundleError('No vulnerability data is installed; run `scanhub db update` first.');
  const manifest: BundleManifest = {
    format: 'scanhub-data-bundle',
    formatVersion: 1,
    createdAt: now.toISOString(),
    sources: files.map(({ set, fetchedAt, data }) => ({
      source: set.source,
      version: set.version,
      publishedAt: set.publishedAt.toISOString(),
      fetchedAt: fetchedAt ? fetchedAt.toISOString() : null,
      rows: set.rows.length,
      file: FILES[set.source],
      bytes: data.length,
      sha256: sha256(data),
    })),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
  const signature = sign(null, manifestBytes, key).toString('base64');
  const tar = writeTar(
    [
      { name: 'manifest.json', data: manifestBytes },
      { name: 'manifest.sig', data: Buffer.from(signature + '\n') },
      ...files.map((f) => ({ name: FILES[f.set.source], data: f.data })),
    ],
    now,
  );
  return { bundle: gzipSync(tar), manifest };
}

export interface ImportOptions {
  publicKey: string | KeyObject | undefined;
  maxUncompressedBytes?: number | undefined;
  minRatio?: number | undefined;
  /** Accept data older than installed, or much smaller sets. Signature and checksums are never optional. */
  force?: boolean | undefined;
  now?: Date | undefined;
}

export interface ImportResult {
  createdAt: string;
  sources: { source: DataSource; outcome: UpdateOutcome; version: string; rows: number; kevAdded?: string[] | undefined }[];
}

/**
 * Verifies and installs a bundle; throws BundleError (one line, no partial install) when refused.
 * A refusal is recorded (data_updates source "bundle", a data.update_failed event).
 */
export async function importBundle(db: Database, bundle: Buffer, options: ImportOptions): Promise<ImportResult> {
  const startedAt = options.now ?? new Date();
  try {
    return await importVerified(db, bundle, options);
  } catch (error) {
    if (error instanceof BundleError || error instanceof DataKeyError) {
      await recordUpdate(db, { source: 'bundle', trigger: 'bundle', outcome: 'failed', reason: error.message, startedAt }).catch(() => {});
    }
    throw error;
  }
}

async function importVerified(db: Database, bundle: Buffer, options: ImportOptions): Promise<ImportResult> {
  if (!options.publicKey) throw new BundleError('No public key to verify bundles with: set SCANHUB_DATA_PUBLIC_KEY (see `scanhub db keygen`).');
  const key = typeof options.publicKey === 'string' ? loadKey(options.publicKey, 'public', 'SCANHUB_DATA_PUBLIC_KEY') : options.publicKey;
  const limit = options.maxUncompressedBytes ?? DEFAULT_DATA_OPTIONS.maxUncompressedBytes;
  let entries;
  try {
    entries = readTar(gunzipLimited(bundle, limit, 'bundle'), 'bundle');
  } catch (error) {
    if (error instanceof ArchiveError) throw new BundleError(`Refused: the bundle is damaged or not a bundle (${error.message}).`);
    throw error;
  }
  const byName = new Map(entries.map((e) => [e.name, e.data]));
  const manifestBytes = byName.get('manifest.json');
  if (!manifestBytes) throw new BundleError('Refused: the bundle has no manifest.json.');
  const sig = byName.get('manifest.sig');
  if (!sig || sig.toString('utf8').trim() === '') throw new BundleError('Refused: the bundle is unsigned (no manifest.sig).');
  const signature = Buffer.from(sig.toString('utf8').trim(), 'base64');
  if (signature.length !== 64 || !verify(null, manifestBytes, key, signature)) {
    throw new BundleError('Refused: the bundle signature does not verify with the configured public key (tampered, or signed with another key).');
  }
  let manifest: BundleManifest;
  try {
    manifest = bundleManifestSchema.parse(JSON.parse(manifestBytes.toString('utf8')));
  } catch {
    throw new BundleError('Refused: the signed manifest is not a ScanHub data bundle manifest of a known format version.');
  }
  const expected = new Set(['manifest.json', 'manifest.sig', ...manifest.sources.map((s) => s.file)]);
  const extra = [...byName.keys()].filter((n) => !expected.has(n));
  if (extra.length) throw new BundleError(`Refused: the bundle holds files its manifest does not list (${extra.join(', ')}).`);
  if (new Set(manifest.sources.map((s) => s.source)).size !== manifest.sources.length) throw new BundleError('Refused: the manifest lists a source twice.');
  for (const s of manifest.sources) {
    const data = byName.get(s.file);
    if (!data) throw new BundleError(`Refused: ${s.file} is missing from the bundle.`);
    if (data.length !== s.bytes || sha256(data) !== s.sha256) throw new BundleError(`Refused: ${s.file} does not match the signed manifest (sha256 mismatch: tampered or damaged).`);
  }

  const { rows: previous } = await db.query<{ created_at: string | Date }>(`SELECT created_at FROM data_bundle_imports ORDER BY created_at DESC LIMIT 1`);
  const lastImport = previous[0] ? new Date(previous[0].created_at) : undefined;
  const createdAt = new Date(manifest.createdAt);
  if (lastImport && createdAt < lastImport && !options.force) {
    throw new BundleError(`Refused: the bundle (created ${manifest.createdAt}) is older than the one already imported (created ${lastImport.toISOString()}).`);
  }
  const installed = new Map((await readSources(db)).map((s) => [s.source, s]));
  for (const s of manifest.sources) {
    const current = installed.get(s.source);
    if (current?.generation && current.publishedAt && new Date(s.publishedAt) < current.publishedAt && !options.force) {
      throw new BundleError(
        `Refused: the bundle's ${sourceLabel(s.source)} data (${s.version}, ${s.publishedAt}) is older than the installed data (${current.version ?? '?'}, ${current.publishedAt.toISOString()}).`,
      );
    }
  }

  const sets = manifest.sources.map((s) => {
    try {
      const set = parseSource(s.source, [{ name: s.file, body: byName.get(s.file)! }], limit);
      if (set.rows.length !== s.rows) throw new DataFormatError(`${s.file}: ${set.rows.length} rows, the manifest says ${s.rows}`);
      return { entry: s, set };
    } catch (error) {
      if (error instanceof DataFormatError) throw new BundleError(`Refused: ${error.message.replace(/\s+/g, ' ')}`);
      throw error;
    }
  });

  const now = options.now ?? new Date();
  const result = await db
    .transaction(async (tx) => {
      const out: ImportResult['sources'] = [];
      for (const { entry, set } of sets) {
        const current = installed.get(entry.source);
        if (current?.generation && current.checksum === entry.sha256) {
          await recordUpdate(tx, { source: entry.source, trigger: 'bundle', outcome: 'unchanged', version: set.version, rows: set.rows.length, checksum: entry.sha256, reason: 'same content', startedAt: now });
          out.push({ source: entry.source, outcome: 'unchanged', version: set.version, rows: set.rows.length });
          continue;
        }
        const installedSet = await installDataSet(tx, set, {
          checksum: entry.sha256,
          fetchedAt: entry.fetchedAt ? new Date(entry.fetchedAt) : now,
          origin: 'bundle',
          minRatio: options.minRatio ?? DEFAULT_DATA_OPTIONS.minKevRatio,
          force: options.force,
        });
        // The data is as current as the moment the bundle was made, not the moment it was carried in.
        await tx.query(`UPDATE data_sources SET checked_at = $2 WHERE source = $1`, [entry.source, createdAt]);
        await recordUpdate(tx, { source: entry.source, trigger: 'bundle', outcome: 'updated', version: set.version, rows: installedSet.rows, checksum: entry.sha256, startedAt: now });
        out.push({ source: entry.source, outcome: 'updated', version: set.version, rows: installedSet.rows, ...(entry.source === 'kev' ? { kevAdded: installedSet.kevAdded } : {}) });
      }
      await tx.query(`INSERT INTO data_bundle_imports (created_at, manifest) VALUES ($1, $2::jsonb)`, [createdAt, JSON.stringify(manifest)]);
      return out;
    })
    .catch((error: unknown) => {
      if (error instanceof DataValidationError) throw new BundleError(`Refused: ${error.message}`);
      throw error;
    });
  return { createdAt: manifest.createdAt, sources: result };
}
