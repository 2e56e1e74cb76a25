// Enrichment of findings from the installed data (KEV, EPSS, OSV aliases and fixed versions), and
// the freshness of each source for verdicts and reports. Every query joins through data_sources'
// generation pointer, so it reads one complete set even while an update swaps it.
import type { Queryable } from '../store/db.js';
import { DEFAULT_DATA_OPTIONS, type DataSource } from './options.js';
import { lastUpdates, readSources, type UpdateOutcome } from './store.js';

export interface KevEnrichment {
  cveId: string;
  dateAdded: string;
  dueDate: string;
  /** True when CISA marks it "Known" to be used in ransomware campaigns; false for "Unknown". */
  knownRansomware?: boolean | undefined;
}

export interface EpssEnrichment {
  cveId: string;
  /** Probability of exploitation in the next 30 days, 0..1. */
  score: number;
  percentile: number;
  /** The EPSS score date (YYYY-MM-DD). */
  date: string;
}

export interface FindingEnrichment {
  /** Present when one of the finding's ids (or their aliases) is in KEV; the earliest added wins. */
  kev?: KevEnrichment | undefined;
  /** The highest EPSS score among the finding's CVE ids (or aliases). */
  epss?: EpssEnrichment | undefined;
  /** Ids OSV lists as the same vulnerability (GHSA ↔ CVE, PYSEC …), not including the finding's own. */
  aliases: string[];
  /** Fixed versions OSV knows for the finding's package (all packages when it has none). */
  fixedVersions: string[];
}

export interface EnrichableFinding {
  vulnerabilityIds: readonly string[];
  package?: { name: string; ecosystem?: string | undefined } | undefined;
}

/** "cve-2021-44228" → "CVE-2021-44228"; other ids as given (GHSA ids are case-sensitive in OSV). */
function normaliseId(id: string): string {
  const trimmed = id.trim();
  return /^cve-/i.test(trimmed) ? trimmed.toUpperCase() : trimmed;
}

const isCve = (id: string) => /^CVE-\d{4}-\d+$/.test(id);

/**
 * Enrichment of each finding, in input order (result[i] belongs to findings[i]). Aliases are
 * followed two hops (PYSEC → CVE → GHSA). Findings without ids get `{ aliases: [], fixedVersions: [] }`.
 */
export async function enrichFindings(q: Queryable, findings: readonly EnrichableFinding[]): Promise<FindingEnrichment[]> {
  const own = findings.map((f) => [...new Set(f.vulnerabilityIds.map(normaliseId).filter(Boolean))]);
  const neighbours = new Map<string, Set<string>>();
  const link = (a: string, b: string) => {
    if (!neighbours.has(a)) neighbours.set(a, new Set());
    neighbours.get(a)!.add(b);
  };
  let frontier = [...new Set(own.flat())];
  const asked = new Set<string>();
  for (let hop = 0; hop < 2 && frontier.length; hop++) {
    frontier.forEach((id) => asked.add(id));
    const { rows } = await q.query<{ id: string; alias: string }>(
      `SELECT a.id, a.alias FROM osv_aliases a JOIN data_sources s ON s.source = 'osv' AND s.generation = a.generation
        WHERE a.id = ANY($1::text[]) OR a.alias = ANY($1::text[])`,
      [frontier],
    );
    const next = new Set<string>();
    for (const r of rows) {
      const id = normaliseId(r.id);
      const alias = normaliseId(r.alias);
      link(id, alias);
      link(alias, id);
      for (const x of [id, alias]) if (!asked.has(x)) next.add(x);
    }
    frontier = [...next];
  }
  const groups = own.map((ids) => {
    const group = new Set(ids);
    let edge = ids;
    for (let hop = 0; hop < 2; hop++) {
      const more: string[] = [];
      for (const id of edge) for (const n of neighbours.get(id) ?? []) if (!group.has(n)) (group.add(n), more.push(n));
      edge = more;
    }
    return group;
  });
  const allIds = [...new Set(groups.flatMap((g) => [...g]))];
  const cves = allIds.filter(isCve);

  const kev = new Map<string, KevEnrichment>();
  const epss = new Map<string, EpssEnrichment>();
  const fixed = new Map<string, { ecosystem: string; package: string; fixed: string }[]>();
  if (cves.length) {
    const { rows: k } = await q.query<{ cve_id: string; date_added: string; due_date: string; known_ransomware: string | null }>(
      `SELECT k.cve_id, k.date_added, k.due_date, k.known_ransomware FROM kev_entries k JOIN data_sources s ON s.source = 'kev' AND s.generation = k.generation
        WHERE k.cve_id = ANY($1::text[])`,
      [cves],
    );
    for (const r of k) {
      const ransomware = r.known_ransomware === null ? undefined : r.known_ransomware.toLowerCase() === 'known';
      kev.set(r.cve_id, { cveId: r.cve_id, dateAdded: r.date_added, dueDate: r.due_date, ...(ransomware === undefined ? {} : { knownRansomware: ransomware }) });
    }
    const { rows: e } = await q.query<{ cve_id: string; score: number; percentile: number; published_at: string | Date | null }>(
      `SELECT e.cve_id, e.score, e.percentile, s.published_at FROM epss_scores e JOIN data_sources s ON s.source = 'epss' AND s.generation = e.generation
        WHERE e.cve_id = ANY($1::text[])`,
      [cves],
    );
    for (const r of e) {
      const day = r.published_at ? new Date(r.published_at).toISOString().slice(0, 10) : '';
      epss.set(r.cve_id, { cveId: r.cve_id, score: Number(r.score), percentile: Number(r.percentile), date: day });
    }
  }
  if (allIds.length) {
    const { rows: f } = await q.query<{ id: string; ecosystem: string; package: string; fixed: string }>(
      `SELECT f.id, f.ecosystem, f.package, f.fixed FROM osv_fixed f JOIN data_sources s ON s.source = 'osv' AND s.generation = f.generation
        WHERE f.id = ANY($1::text[])`,
      [allIds],
    );
    for (const r of f) fixed.set(r.id, [...(fixed.get(r.id) ?? []), r]);
  }

  return findings.map((finding, i) => {
    const group = groups[i]!;
    const ownIds = new Set(own[i]);
    let bestKev: KevEnrichment | undefined;
    let bestEpss: EpssEnrichment | undefined;
    const versions = new Set<string>();
    for (const id of group) {
      const k = kev.get(id);
      if (k && (!bestKev || k.dateAdded < bestKev.dateAdded)) bestKev = k;
      const e = epss.get(id);
      if (e && (!bestEpss || e.score > bestEpss.score)) bestEpss = e;
      for (const fx of fixed.get(id) ?? []) {
        if (finding.package && fx.package.toLowerCase() !== finding.package.name.toLowerCase()) continue;
        versions.add(fx.fixed);
      }
    }
    return {
      ...(bestKev ? { kev: bestKev } : {}),
      ...(bestEpss ? { epss: bestEpss } : {}),
      aliases: [...group].filter((id) => !ownIds.has(id)).sort(),
      fixedVersions: [...versions].sort(),
    };
  });
}

export interface SourceFreshness {
  source: DataSource;
  version: string | null;
  /** The data's own date (KEV release, EPSS score date, newest OSV record). */
  publishedAt: string | null;
  /** When the installed set was loaded. */
  fetchedAt: string | null;
  /** When the source was last confirmed current (a 304 counts); age is measured from here. */
  checkedAt: string | null;
  rows: number;
  checksum: string | null;
  origin: string | null;
  /** Days since checkedAt, one decimal; null when the source was never loaded. */
  ageDays: number | null;
  stale: boolean;
  lastOutcome: UpdateOutcome | null;
  lastReason: string | null;
  lastAttemptAt: string | null;
}

/**
 * Freshness of each source at `now`: never loaded, or not confirmed current within staleAfterMs,
 * is stale. For verdicts (AssessmentContext.dataUpdatedAt: see oldestCheck) and reports.
 */
export async function dataFreshness(q: Queryable, now: Date, staleAfterMs = DEFAULT_DATA_OPTIONS.staleAfterMs): Promise<SourceFreshness[]> {
  const sources = await readSources(q);
  const last = await lastUpdates(q);
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return sources.map((s) => {
    const checked = s.generation ? (s.checkedAt ?? s.fetchedAt) : null;
    const age = checked ? Math.max(0, now.getTime() - checked.getTime()) : null;
    const l = last.get(s.source);
    return {
      source: s.source,
      version: s.version,
      publishedAt: iso(s.publishedAt),
      fetchedAt: iso(s.fetchedAt),
      checkedAt: iso(checked),
      rows: s.rows,
      checksum: s.checksum,
      origin: s.origin,
      ageDays: age === null ? null : Math.round(age / 8_640_000) / 10,
      stale: age === null || age > staleAfterMs,
      lastOutcome: l?.outcome ?? null,
      lastReason: l?.reason ?? null,
      lastAttemptAt: l ? l.at.toISOString() : null,
    };
  });
}

/** The oldest confirmation across sources (AssessmentContext.dataUpdatedAt); undefined if any source was never loaded. */
export function oldestCheck(freshness: readonly SourceFreshness[]): Date | undefined {
  let oldest: Date | undefined;
  for (const f of freshness) {
    if (!f.checkedAt) return undefined;
    const d = new Date(f.checkedAt);
    if (!oldest || d < oldest) oldest = d;
  }
  return oldest;
}
