// Storage of the vulnerability data sets. Each set is a generation of rows; data_sources points at
// the current one. Installing inserts the new generation, checks it against the old, flips the
// pointer and deletes the old rows — all in the caller's transaction, so readers (whose queries join
// through the pointer) see the old set or the new one, never a mix.
import type { Database, Queryable } from '../store/db.js';
import { recordEvent } from '../store/events.js';
import type { DataSet, EpssRow, KevRow, OsvRow } from './formats.js';
import { DATA_SOURCES, type DataSource } from './options.js';

export class DataValidationError extends Error {
  override name = 'DataValidationError';
}

const LABEL: Record<DataSource, string> = { kev: 'KEV', epss: 'EPSS', osv: 'OSV' };
export const sourceLabel = (s: DataSource) => LABEL[s];

const CHUNK = 5_000;

export interface SourceRow {
  source: DataSource;
  generation: string | null;
  version: string | null;
  publishedAt: Date | null;
  fetchedAt: Date | null;
  checkedAt: Date | null;
  rows: number;
  checksum: string | null;
  origin: string | null;
  meta: Record<string, unknown>;
}

const date = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

export async function readSources(q: Queryable): Promise<SourceRow[]> {
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT source, generation::text AS generation, version, published_at, fetched_at, checked_at, rows, checksum, origin, meta FROM data_sources ORDER BY source`,
  );
  const bySource = new Map(rows.map((r) => [r.source as string, r]));
  return DATA_SOURCES.map((source) => {
    const r = bySource.get(source);
    return {
      source,
      generation: (r?.generation as string | null) ?? null,
      version: (r?.version as string | null) ?? null,
      publishedAt: date(r?.published_at),
      fetchedAt: date(r?.fetched_at),
      checkedAt: date(r?.checked_at),
      rows: Number(r?.rows ?? 0),
      checksum: (r?.checksum as string | null) ?? null,
      origin: (r?.origin as string | null) ?? null,
      meta: (typeof r?.meta === 'string' ? JSON.parse(r.meta) : (r?.meta ?? {})) as Record<string, unknown>,
    };
  });
}

export interface FetchState {
  url: string;
  source: DataSource;
  etag: string | null;
  lastModified: string | null;
  checksum: string | null;
}

export async function readFetchStates(q: Queryable, urls: readonly string[]): Promise<Map<string, FetchState>> {
  const { rows } = await q.query<{ url: string; source: DataSource; etag: string | null; last_modified: string | null; checksum: string | null }>(
    `SELECT url, source, etag, last_modified, checksum FROM data_fetch_state WHERE url = ANY($1::text[])`,
    [urls],
  );
  return new Map(rows.map((r) => [r.url, { url: r.url, source: r.source, etag: r.etag, lastModified: r.last_modified, checksum: r.checksum }]));
}

export async function saveFetchStates(q: Queryable, states: readonly FetchState[], fetchedAt: Date): Promise<void> {
  for (const s of states) {
    await q.query(
      `INSERT INTO data_fetch_state (url, source, etag, last_modified, checksum, fetched_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (url) DO UPDATE SET source = EXCLUDED.source, etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified, checksum = EXCLUDED.checksum, fetched_at = EXCLUDED.fetched_at`,
      [s.url, s.source, s.etag, s.lastModified, s.checksum, fetchedAt],
    );
  }
}

export interface InstallOptions {
  checksum: string;
  fetchedAt: Date;
  origin: 'download' | 'bundle';
  /** A set smaller than this share of the installed one is refused unless forced. */
  minRatio: number;
  force?: boolean | undefined;
}

export interface InstallResult {
  generation: string;
  rows: number;
  previousRows: number;
  /** KEV only: CVE ids in the new catalog and not in the previous one (all of them on a first load). */
  kevAdded: string[];
}

/** Installs a validated set inside the caller's transaction (see the file comment). */
export async function installDataSet(tx: Queryable, set: DataSet, options: InstallOptions): Promise<InstallResult> {
  const label = LABEL[set.source];
  const { rows: current } = await tx.query<{ generation: string | null; rows: number }>(
    `SELECT generation::text AS generation, rows FROM data_sources WHERE source = $1 FOR UPDATE`,
    [set.source],
  );
  const previous = current[0];
  if (!previous) throw new DataValidationError(`${label}: the data_sources row is missing (migrations not applied?)`);
  const previousRows = previous.generation ? Number(previous.rows) : 0;
  const count = set.rows.length;
  if (count === 0 && !options.force) throw new DataValidationError(`${label}: the new set is empty; refused (force to accept).`);
  if (previousRows > 0 && count < previousRows * options.minRatio && !options.force) {
    throw new DataValidationError(
      `${label}: the new set has ${count} rows, fewer than ${Math.round(options.minRatio * 100)}% of the ${previousRows} installed; refused (force to accept).`,
    );
  }
  const { rows: gen } = await tx.query<{ g: string }>(`SELECT nextval('data_generation_seq')::text AS g`);
  const generation = gen[0]!.g;

  if (set.source === 'kev') await insertKev(tx, generation, set.rows);
  else if (set.source === 'epss') await insertEpss(tx, generation, set.rows);
  else await insertOsv(tx, generation, set.rows);

  let kevAdded: string[] = [];
  if (set.source === 'kev') {
    const { rows } = await tx.query<{ cve_id: string }>(
      `SELECT n.cve_id FROM kev_entries n WHERE n.generation = $1::bigint
         AND NOT EXISTS (SELECT 1 FROM kev_entries o WHERE o.generation = $2::bigint AND o.cve_id = n.cve_id) ORDER BY n.cve_id`,
      [generation, previous.generation ?? '-1'],
    );
    kevAdded = rows.map((r) => r.cve_id);
  }

  await tx.query(
    `UPDATE data_sources SET generation = $2::bigint, version = $3, published_at = $4, fetched_at = $5, checked_at = $5, rows = $6, checksum = $7,
       origin = $8, meta = $9::jsonb, updated_at = now() WHERE source = $1`,
    [set.source, generation, set.version, set.publishedAt, options.fetchedAt, count, options.checksum, options.origin, JSON.stringify(set.meta)],
  );
  for (const table of TABLES[set.source]) await tx.query(`DELETE FROM ${table} WHERE generation <> $1::bigint`, [generation]);
  return { generation, rows: count, previousRows, kevAdded };
}

const TABLES: Record<DataSource, readonly string[]> = {
  kev: ['kev_entries'],
  epss: ['epss_scores'],
  osv: ['osv_advisories', 'osv_aliases', 'osv_fixed'],
};

async function chunks<T>(rows: readonly T[], fn: (part: readonly T[]) => Promise<void>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await fn(rows.slice(i, i + CHUNK));
}

async function insertKev(tx: Queryable, generation: string, rows: readonly KevRow[]): Promise<void> {
  await chunks(rows, async (part) => {
    const col = <K extends keyof KevRow>(k: K) => part.map((r) => r[k] ?? null);
    await tx.query(
      `INSERT INTO kev_entries (generation, cve_id, vendor_project, product, vulnerability_name, date_added, due_date, known_ransomware,
         short_description, required_action, notes, cwes)
       SELECT $1::bigint, a, b, c, d, e, f, g, h, i, j, k::jsonb
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
           AS u(a, b, c, d, e, f, g, h, i, j, k)`,
      [
        generation,
        col('cveId'),
        col('vendorProject'),
        col('product'),
        col('vulnerabilityName'),
        col('dateAdded'),
        col('dueDate'),
        col('knownRansomwareCampaignUse'),
        col('shortDescription'),
        col('requiredAction'),
        col('notes'),
        part.map((r) => (r.cwes ? JSON.stringify(r.cwes) : null)),
      ],
    );
  });
}

async function insertEpss(tx: Queryable, generation: string, rows: readonly EpssRow[]): Promise<void> {
  await chunks(rows, async (part) => {
    await tx.query(`INSERT INTO epss_scores (generation, cve_id, score, percentile) SELECT $1::bigint, a, b, c FROM unnest($2::text[], $3::float8[], $4::float8[]) AS u(a, b, c)`, [
      generation,
      part.map((r) => r.cveId),
      part.map((r) => r.score),
      part.map((r) => r.percentile),
    ]);
  });
}

async function insertOsv(tx: Queryable, generation: string, rows: readonly OsvRow[]): Promise<void> {
  await chunks(rows, async (part) => {
    await tx.query(`INSERT INTO osv_advisories (generation, id, modified) SELECT $1::bigint, a, b FROM unnest($2::text[], $3::text[]) AS u(a, b)`, [
      generation,
      part.map((r) => r.id),
      part.map((r) => r.modified),
    ]);
  });
  const aliases = rows.flatMap((r) => r.aliases.map((alias) => [r.id, alias] as const));
  await chunks(aliases, async (part) => {
    await tx.query(`INSERT INTO osv_aliases (generation, id, alias) SELECT $1::bigint, a, b FROM unnest($2::text[], $3::text[]) AS u(a, b) ON CONFLICT DO NOTHING`, [
      generation,
      part.map((p) => p[0]),
      part.map((p) => p[1]),
    ]);
  });
  const fixed = rows.flatMap((r) => r.fixed.map((f) => ({ id: r.id, ...f })));
  await chunks(fixed, async (part) => {
    await tx.query(
      `INSERT INTO osv_fixed (generation, id, ecosystem, package, fixed) SELECT $1::bigint, a, b, c, d FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS u(a, b, c, d) ON CONFLICT DO NOTHING`,
      [generation, part.map((f) => f.id), part.map((f) => f.ecosystem), part.map((f) => f.package), part.map((f) => f.fixed)],
    );
  });
}

/** The installed set of a source, read back (for bundles). Call inside a REPEATABLE READ transaction. */
export async function readDataSet(q: Queryable, source: SourceRow): Promise<DataSet | undefined> {
  if (!source.generation) return undefined;
  const base = { version: source.version ?? '', publishedAt: source.publishedAt ?? new Date(0), meta: source.meta };
  const g = source.generation;
  if (source.source === 'kev') {
    const { rows } = await q.query<Record<string, string | null>>(
      `SELECT cve_id, vendor_project, product, vulnerability_name, date_added, due_date, known_ransomware, short_description, required_action, notes, cwes::text AS cwes
         FROM kev_entries WHERE generation = $1::bigint ORDER BY date_added DESC, cve_id`,
      [g],
    );
    const opt = (v: string | null | undefined) => v ?? undefined;
    return {
      source: 'kev',
      ...base,
      rows: rows.map((r) => ({
        cveId: r.cve_id!,
        vendorProject: r.vendor_project!,
        product: r.product!,
        vulnerabilityName: r.vulnerability_name!,
        dateAdded: r.date_added!,
        shortDescription: r.short_description!,
        requiredAction: r.required_action!,
        dueDate: r.due_date!,
        knownRansomwareCampaignUse: opt(r.known_ransomware),
        notes: opt(r.notes),
        cwes: r.cwes ? (JSON.parse(r.cwes) as string[]) : undefined,
      })),
    };
  }
  if (source.source === 'epss') {
    const { rows } = await q.query<{ cve_id: string; score: number; percentile: number }>(`SELECT cve_id, score, percentile FROM epss_scores WHERE generation = $1::bigint ORDER BY cve_id`, [g]);
    return { source: 'epss', ...base, rows: rows.map((r) => ({ cveId: r.cve_id, score: Number(r.score), percentile: Number(r.percentile) })) };
  }
  const { rows: advisories } = await q.query<{ id: string; modified: string }>(`SELECT id, modified FROM osv_advisories WHERE generation = $1::bigint ORDER BY id`, [g]);
  const { rows: aliases } = await q.query<{ id: string; alias: string }>(`SELECT id, alias FROM osv_aliases WHERE generation = $1::bigint ORDER BY id, alias`, [g]);
  const { rows: fixed } = await q.query<{ id: string; ecosystem: string; package: string; fixed: string }>(
    `SELECT id, ecosystem, package, fixed FROM osv_fixed WHERE generation = $1::bigint ORDER BY id, ecosystem, package, fixed`,
    [g],
  );
  const byId = new Map<string, OsvRow>(advisories.map((a) => [a.id, { id: a.id, modified: a.modified, aliases: [], fixed: [] }]));
  for (const a of aliases) byId.get(a.id)?.aliases.push(a.alias);
  for (const f of fixed) byId.get(f.id)?.fixed.push({ ecosystem: f.ecosystem, package: f.package, fixed: f.fixed });
  return { source: 'osv', ...base, rows: [...byId.values()] };
}

export type UpdateOutcome = 'updated' | 'unchanged' | 'failed';
export type UpdateTrigger = 'cli' | 'api' | 'schedule' | 'bundle';

export interface UpdateRecord {
  /** 'bundle' for a bundle refused before its sources were known. */
  source: DataSource | 'bundle';
  trigger: UpdateTrigger;
  outcome: UpdateOutcome;
  version?: string | undefined;
  rows?: number | undefined;
  checksum?: string | undefined;
  reason?: string | undefined;
  startedAt: Date;
}

/** Records one attempt; a failure also emits data.update_failed. */
export async function recordUpdate(q: Queryable, r: UpdateRecord): Promise<void> {
  await q.query(`INSERT INTO data_updates (source, trigger, outcome, version, rows, checksum, reason, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
    r.source,
    r.trigger,
    r.outcome,
    r.version ?? null,
    r.rows ?? null,
    r.checksum ?? null,
    r.reason ?? null,
    r.startedAt,
  ]);
  if (r.outcome === 'failed') await recordEvent(q, 'data.update_failed', null, { source: r.source, trigger: r.trigger, reason: r.reason ?? null });
}

/** A check that found nothing new still proves the data current: its age restarts. */
export async function markChecked(q: Queryable, source: DataSource, at: Date): Promise<void> {
  await q.query(`UPDATE data_sources SET checked_at = $2, updated_at = now() WHERE source = $1`, [source, at]);
}

export interface LastUpdate {
  outcome: UpdateOutcome;
  trigger: string;
  reason: string | null;
  at: Date;
}

export async function lastUpdates(q: Queryable): Promise<Map<DataSource, LastUpdate>> {
  const { rows } = await q.query<{ source: DataSource; outcome: UpdateOutcome; trigger: string; reason: string | null; finished_at: string | Date }>(
    `SELECT DISTINCT ON (source) source, outcome, trigger, reason, finished_at FROM data_updates ORDER BY source, finished_at DESC, id DESC`,
  );
  return new Map(rows.map((r) => [r.source, { outcome: r.outcome, trigger: r.trigger, reason: r.reason, at: new Date(r.finished_at) }]));
}

/** Runs fn in a REPEATABLE READ transaction: one consistent snapshot across several queries. */
export function snapshot<T>(db: Database, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    return fn(tx);
  });
}
