// The three upstream formats, parsed and validated row by row (zod) into what ScanHub stores, and
// written back out in the same formats (offline bundles carry upstream-format files, so an import
// goes through exactly the validation a download does).
//   KEV  — CISA catalog JSON (schema in ../shared/data/kev/).
//   EPSS — CSV, usually gzip: `#model_version:…,score_date:…`, then `cve,epss,percentile`.
//   OSV  — OSV schema records: a zip of them, a JSON array, or one record.
import { z } from 'zod';
import { ArchiveError, gunzipLimited, isGzip, isZip, readZip } from './archive.js';
import type { DataSource } from './options.js';

export class DataFormatError extends Error {
  override name = 'DataFormatError';
}

const CVE = /^CVE-\d{4}-\d{4,19}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export interface KevRow {
  cveId: string;
  vendorProject: string;
  product: string;
  vulnerabilityName: string;
  dateAdded: string;
  dueDate: string;
  knownRansomwareCampaignUse?: string | undefined;
  shortDescription: string;
  requiredAction: string;
  notes?: string | undefined;
  cwes?: string[] | undefined;
}

export interface EpssRow {
  cveId: string;
  score: number;
  percentile: number;
}

export interface OsvFixed {
  ecosystem: string;
  package: string;
  fixed: string;
}

export interface OsvRow {
  id: string;
  modified: string;
  aliases: string[];
  fixed: OsvFixed[];
}

interface SetBase {
  /** Human version: KEV catalogVersion, EPSS score date and model, OSV newest modified. */
  version: string;
  /** The data's own date, to tell newer from older. */
  publishedAt: Date;
  meta: Record<string, unknown>;
}

export type DataSet =
  | (SetBase & { source: 'kev'; rows: KevRow[] })
  | (SetBase & { source: 'epss'; rows: EpssRow[] })
  | (SetBase & { source: 'osv'; rows: OsvRow[] });

export type KevSet = Extract<DataSet, { source: 'kev' }>;
export type EpssSet = Extract<DataSet, { source: 'epss' }>;
export type OsvSet = Extract<DataSet, { source: 'osv' }>;

export function rowCount(set: DataSet): number {
  return set.rows.length;
}

function fail(what: string, issue: z.core.$ZodIssue | undefined, prefix = ''): never {
  const path = issue ? prefix + issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') : prefix;
  throw new DataFormatError(`${what}: ${path ? path.replace(/^\./, '') + ': ' : ''}${issue?.message ?? 'invalid'}`);
}

function parseJson(buf: Buffer, what: string): unknown {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (error) {
    throw new DataFormatError(`${what}: not valid JSON (${(error as Error).message}); truncated or not the expected file?`);
  }
}

// ─── KEV ────────────────────────────────────────────────────────────────────────────────────────

const kevVulnerability = z.object({
  cveID: z.string().regex(CVE, 'not a CVE id (CVE-YYYY-NNNN)'),
  vendorProject: z.string(),
  product: z.string(),
  vulnerabilityName: z.string(),
  dateAdded: z.string().regex(DAY, 'not a date (YYYY-MM-DD)'),
  shortDescription: z.string(),
  requiredAction: z.string(),
  dueDate: z.string().regex(DAY, 'not a date (YYYY-MM-DD)'),
  knownRansomwareCampaignUse: z.string().optional(),
  notes: z.string().optional(),
  cwes: z.array(z.string().regex(/^CWE-\d+$/, 'not a CWE id')).optional(),
});

const kevCatalog = z.object({
  title: z.string().optional(),
  catalogVersion: z.string().min(1),
  dateReleased: z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'not a date-time'),
  count: z.number().int().nonnegative(),
  vulnerabilities: z.array(z.unknown()),
});

export function parseKev(buf: Buffer): KevSet {
  const what = 'KEV catalog';
  const catalog = kevCatalog.safeParse(parseJson(buf, what));
  if (!catalog.success) fail(what, catalog.error.issues[0]);
  const { data } = catalog;
  if (data.count !== data.vulnerabilities.length) {
    throw new DataFormatError(`${what}: count says ${data.count} but ${data.vulnerabilities.length} vulnerabilities are listed (truncated or altered?)`);
  }
  const seen = new Set<string>();
  const rows: KevRow[] = data.vulnerabilities.map((raw, i) => {
    const v = kevVulnerability.safeParse(raw);
    if (!v.success) fail(what, v.error.issues[0], `vulnerabilities[${i}]`);
    if (seen.has(v.data.cveID)) throw new DataFormatError(`${what}: ${v.data.cveID} is listed twice`);
    seen.add(v.data.cveID);
    const { cveID, ...rest } = v.data;
    return { cveId: cveID, ...rest };
  });
  return { source: 'kev', version: data.catalogVersion, publishedAt: new Date(data.dateReleased), meta: { title: data.title ?? null, dateReleased: data.dateReleased }, rows };
}

export function writeKev(set: { version: string; meta: Record<string, unknown>; rows: readonly KevRow[] }): Buffer {
  const catalog = {
    title: typeof set.meta.title === 'string' ? set.meta.title : 'CISA Catalog of Known Exploited Vulnerabilities',
    catalogVersion: set.version,
    dateReleased: set.meta.dateReleased,
    count: set.rows.length,
    vulnerabilities: set.rows.map(({ cveId, ...rest }) => ({ cveID: cveId, ...rest })),
  };
  return Buffer.from(JSON.stringify(catalog, null, 1));
}

// ─── EPSS ───────────────────────────────────────────────────────────────────────────────────────

const unit = z.number().min(0).max(1);
const epssRow = z.tuple([z.string().regex(CVE, 'not a CVE id'), z.string().regex(/^\d+(\.\d+)?(e-?\d+)?$/i, 'not a number'), z.string().regex(/^\d+(\.\d+)?(e-?\d+)?$/i, 'not a number')]);

/** EPSS score_date "2026-11-28T00:00:00+0000" → Date. */
function parseScoreDate(value: string): Date | undefined {
  const iso = value.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function parseEpss(buf: Buffer, maxUncompressedBytes: number): EpssSet {
  const what = 'EPSS file';
  let text: string;
  try {
    text = (isGzip(buf) ? gunzipLimited(buf, maxUncompressedBytes, what) : buf).toString('utf8');
  } catch (error) {
    if (error instanceof ArchiveError) throw new DataFormatError(error.message);
    throw error;
  }
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const first = lines[0] ?? '';
  const head = /^#model_version:([^,]+),score_date:(.+)$/.exec(first.trim());
  if (!head) throw new DataFormatError(`${what}: line 1 should be "#model_version:…,score_date:…", found "${first.slice(0, 80)}"`);
  const modelVersion = head[1]!;
  const scoreDateText = head[2]!;
  const scoreDate = parseScoreDate(scoreDateText);
  if (!scoreDate) throw new DataFormatError(`${what}: score_date "${scoreDateText}" is not a date`);
  if ((lines[1] ?? '').trim() !== 'cve,epss,percentile') throw new DataFormatError(`${what}: line 2 should be "cve,epss,percentile"`);
  const seen = new Set<string>();
  const rows: EpssRow[] = [];
  for (let i = 2; i < lines.length; i++) {
    const parsed = epssRow.safeParse(lines[i]!.trim().split(','));
    if (!parsed.success) throw new DataFormatError(`${what}: line ${i + 1}: ${parsed.error.issues[0]?.message ?? 'invalid'} ("${lines[i]!.slice(0, 60)}")`);
    const [cveId, scoreText, percentileText] = parsed.data;
    const score = unit.safeParse(Number(scoreText));
    const percentile = unit.safeParse(Number(percentileText));
    if (!score.success || !percentile.success) throw new DataFormatError(`${what}: line ${i + 1}: epss and percentile must be between 0 and 1`);
    if (seen.has(cveId)) throw new DataFormatError(`${what}: line ${i + 1}: ${cveId} is listed twice`);
    seen.add(cveId);
    rows.push({ cveId, score: score.data, percentile: percentile.data });
  }
  const day = scoreDate.toISOString().slice(0, 10);
  return { source: 'epss', version: `${day} (model ${modelVersion})`, publishedAt: scoreDate, meta: { modelVersion, scoreDate: scoreDateText }, rows };
}

export function writeEpss(set: { meta: Record<string, unknown>; rows: readonly EpssRow[] }): Buffer {
  const lines = [`#model_version:${String(set.meta.modelVersion)},score_date:${String(set.meta.scoreDate)}`, 'cve,epss,percentile'];
  for (const r of set.rows) lines.push(`${r.cveId},${r.score},${r.percentile}`);
  return Buffer.from(lines.join('\n') + '\n');
}

// ─── OSV ────────────────────────────────────────────────────────────────────────────────────────

const osvRecord = z.object({
  id: z.string().min(1).max(200),
  modified: z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'not a date-time'),
  withdrawn: z.string().optional(),
  aliases: z.array(z.string().min(1).max(200)).optional(),
  affected: z
    .array(
      z.object({
        package: z.object({ ecosystem: z.string().min(1), name: z.string().min(1) }).optional(),
        ranges: z.array(z.object({ type: z.string(), events: z.array(z.record(z.string(), z.unknown())) })).optional(),
      }),
    )
    .optional(),
});

function osvRow(raw: unknown, what: string): OsvRow | undefined {
  const r = osvRecord.safeParse(raw);
  if (!r.success) fail(what, r.error.issues[0]);
  const rec = r.data;
  if (rec.withdrawn) return undefined;
  const fixed: OsvFixed[] = [];
  const seen = new Set<string>();
  for (const a of rec.affected ?? []) {
    if (!a.package) continue;
    for (const range of a.ranges ?? []) {
      if (range.type === 'GIT') continue; // commit hashes, not versions
      for (const event of range.events) {
        if (typeof event.fixed !== 'string' || !event.fixed) continue;
        const key = `${a.package.ecosystem}\0${a.package.name}\0${event.fixed}`;
        if (seen.has(key)) continue;
        seen.add(key);
        fixed.push({ ecosystem: a.package.ecosystem, package: a.package.name, fixed: event.fixed });
      }
    }
  }
  const aliases = [...new Set((rec.aliases ?? []).filter((a) => a !== rec.id))];
  return { id: rec.id, modified: rec.modified, aliases, fixed };
}

/**
 * OSV records from several bodies (one per URL). Records without aliases or fixed versions are left
 * out (they add nothing to enrichment); an id seen twice keeps its newest version.
 */
export function parseOsv(bodies: readonly { name: string; body: Buffer }[], maxUncompressedBytes: number): OsvSet {
  const byId = new Map<string, OsvRow>();
  let newest = '';
  let records = 0;
  const add = (raw: unknown, what: string) => {
    records++;
    const row = osvRow(raw, what);
    if (!row) return;
    if (row.modified > newest) newest = row.modified;
    if (row.aliases.length === 0 && row.fixed.length === 0) return;
    const before = byId.get(row.id);
    if (!before || before.modified < row.modified) byId.set(row.id, row);
  };
  for (const { name, body } of bodies) {
    try {
      if (isZip(body)) {
        for (const entry of readZip(body, maxUncompressedBytes, `OSV ${name}`)) {
          if (entry.name.endsWith('.json')) add(parseJson(entry.data, `OSV ${name}:${entry.name}`), `OSV ${name}:${entry.name}`);
        }
      } else {
        const doc = parseJson(isGzip(body) ? gunzipLimited(body, maxUncompressedBytes, `OSV ${name}`) : body, `OSV ${name}`);
        if (Array.isArray(doc)) doc.forEach((raw, i) => add(raw, `OSV ${name}[${i}]`));
        else add(doc, `OSV ${name}`);
      }
    } catch (error) {
      if (error instanceof ArchiveError) throw new DataFormatError(error.message);
      throw error;
    }
  }
  if (records === 0) throw new DataFormatError('OSV: no records found');
  const rows = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const publishedAt = new Date(newest);
  return { source: 'osv', version: publishedAt.toISOString(), publishedAt, meta: { records }, rows };
}

/** OSV rows back as a JSON array of minimal OSV records (what parseOsv reads). */
export function writeOsv(set: { rows: readonly OsvRow[] }): Buffer {
  const records = set.rows.map((r) => {
    const byPackage = new Map<string, OsvFixed[]>();
    for (const f of r.fixed) {
      const key = `${f.ecosystem}\0${f.package}`;
      byPackage.set(key, [...(byPackage.get(key) ?? []), f]);
    }
    return {
      id: r.id,
      modified: r.modified,
      aliases: r.aliases,
      affected: [...byPackage.values()].map((fs) => ({
        package: { ecosystem: fs[0]!.ecosystem, name: fs[0]!.package },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, ...fs.map((f) => ({ fixed: f.fixed }))] }],
      })),
    };
  });
  return Buffer.from(JSON.stringify(records));
}

/** Parses one source's file(s) in its upstream format. */
export function parseSource(source: DataSource, bodies: readonly { name: string; body: Buffer }[], maxUncompressedBytes: number): DataSet {
  if (source === 'osv') return parseOsv(bodies, maxUncompressedBytes);
  const body = bodies[0];
  if (!body || bodies.length !== 1) throw new DataFormatError(`${source}: expected one file, got ${bodies.length}`);
  return source === 'kev' ? parseKev(body.body) : parseEpss(body.body, maxUncompressedBytes);
}
