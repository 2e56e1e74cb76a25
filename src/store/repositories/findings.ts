// Reading a project's findings with the filters the API, exports and pages share.
import { AppError } from '../../errors.js';
import { CATEGORIES, FINDING_STATUSES, SEVERITIES, type Finding } from '../../domain/finding.js';
import { severitiesMatching, severityRank } from '../../domain/severity.js';
import type { Queryable } from '../db.js';

export interface FindingFilter {
  severity?: string | undefined;
  tool?: string | undefined;
  category?: string | undefined;
  status?: string | undefined;
  new?: boolean | undefined;
  q?: string | undefined;
  ref?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
  /** In CISA KEV (as enrichment stored it on the finding). */
  kev?: boolean | undefined;
  /** EPSS score at least this (0–1). */
  epssMin?: number | undefined;
  /** A fixed version is known (the policy's fixAvailable). */
  fixAvailable?: boolean | undefined;
}

export interface StoredFinding extends Finding {
  id: string;
  sources: string[];
  firstSeenAt: string;
  lastSeenAt: string;
  /** With a ref: open or fixed on that ref. */
  state?: 'open' | 'fixed';
}

export interface FindingPage {
  items: StoredFinding[];
  nextCursor: string | null;
}

/**
 * The submission that last saw the finding of a ref_findings row (aliased `r`) on its ref (the refs row,
 * aliased `ref`). Ingest does not rewrite a row when a submission only sees its finding again (migration
 * 0014): then the ref's latest submission, which has an occurrence of it, is the last sighting;
 * otherwise the row's own column is.
 */
function lastSeenOnRef(r: string, ref: string): string {
  return `CASE WHEN EXISTS (SELECT 1 FROM occurrences lo WHERE lo.submission_id = ${ref}.last_submission_id AND lo.finding_id = ${r}.finding_id)
    THEN ${ref}.last_submission_id ELSE ${r}.last_seen_submission END`;
}

/** lastSeenOnRef as a value of its own, looking up the row's ref. */
export function lastSeenSubmissionOf(r: string): string {
  return `(SELECT ${lastSeenOnRef(r, 'lref')} FROM refs lref WHERE lref.project_id = ${r}.project_id AND lref.ref = ${r}.ref)`;
}

/**
 * When a scan last reported the finding (aliased `f`): its latest sighting on any ref. The findings row
 * is left alone when nothing about the finding changed (migration 0014); rows only ever written before
 * that keep their own date. The ref is joined, not looked up as a value: used as a join key, the
 * lookup ran twice per row. "Last seen" is most of the findings API's database time.
 */
const LAST_SEEN_AT = `COALESCE((SELECT max(ls.created_at) FROM ref_findings lr
  JOIN refs lref ON lref.project_id = lr.project_id AND lref.ref = lr.ref
  JOIN submissions ls ON ls.id = ${lastSeenOnRef('lr', 'lref')}
  WHERE lr.finding_id = f.id), f.last_seen_at) AS last_seen_at`;

/** What a stored finding (aliased `f`) is read with; storedFindingText writes it. Its data stays JSON text. */
export const STORED_FINDING_COLUMNS = `f.id, f.tools, f.data::text AS data_json, f.first_seen_at, ${LAST_SEEN_AT}`;

export interface StoredFindingRow {
  id: string;
  tools: string[];
  data_json: string;
  first_seen_at: Date;
  last_seen_at: Date;
}

/**
 * A stored finding as the API shows it (a StoredFinding: its data, then its id, sources and sightings,
 * and its state on a ref when there is one), as JSON text spliced onto the data's own text. The findings
 * API passes it through unparsed: parsing, spreading and re-serialising each finding was most of that
 * route's CPU. A Finding has none of these keys, so none is repeated.
 */
export function storedFindingText(r: StoredFindingRow, state?: 'open' | 'fixed' | null): string {
  const data = r.data_json.trimEnd();
  const open = data.slice(0, -1).trimEnd();
  return `${open}${open.endsWith('{') ? '' : ','}"id":${JSON.stringify(r.id)},"sources":${JSON.stringify(r.tools)},"firstSeenAt":"${new Date(r.first_seen_at).toISOString()}","lastSeenAt":"${new Date(r.last_seen_at).toISOString()}"${state ? `,"state":"${state}"` : ''}}`;
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string') return [value[0], value[1]];
  } catch {
    // fall through
  }
  throw new AppError('VALIDATION_FAILED', 'The cursor is not valid: pass the nextCursor of the previous page unchanged.');
}

/** The FROM … WHERE of a filtered findings query (shared by the page query and the grouped view). */
function findingConditions(projectId: string, filter: FindingFilter) {
  const where: string[] = ['f.project_id = $1'];
  const params: unknown[] = [projectId];
  const add = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  let join = '';
  if (filter.ref) {
    join = `JOIN ref_findings r ON r.finding_id = f.id AND r.project_id = f.project_id AND r.ref = ${add(filter.ref)}`;
    if (filter.status === 'fixed') where.push(`r.state = 'fixed'`);
    else where.push(`r.state = 'open'`);
  }
  if (filter.severity) {
    const severities = severitiesMatching(filter.severity);
    if (!severities) throw new AppError('VALIDATION_FAILED', `severity "${filter.severity}" is not valid: use e.g. high, >=high, <medium.`);
    // On severity_rank, the column of the page order's index: a contiguous range (one severity, ">=high")
    // is then a range of that index in page order, instead of a walk past every more severe finding.
    const ranks = severities.map(severityRank).sort((a, b) => a - b);
    const contiguous = ranks.every((r, i) => i === 0 || r === ranks[i - 1]! + 1);
    where.push(contiguous ? `f.severity_rank BETWEEN ${add(ranks[0])} AND ${add(ranks.at(-1))}` : `f.severity_rank = ANY(${add(ranks)}::smallint[])`);
  }
  if (filter.tool) where.push(`${add(filter.tool)} = ANY(f.tools)`);
  if (filter.category) {
    if (!(CATEGORIES as readonly string[]).includes(filter.category)) {
      throw new AppError('VALIDATION_FAILED', `category must be one of ${CATEGORIES.join(', ')}.`);
    }
    where.push(`f.category = ${add(filter.category)}`);
  }
  if (filter.status && !(filter.ref && filter.status === 'fixed')) {
    if (!(FINDING_STATUSES as readonly string[]).includes(filter.status)) {
      throw new AppError('VALIDATION_FAILED', `status must be one of ${FINDING_STATUSES.join(', ')}.`);
    }
    where.push(`f.status = ${add(filter.status)}`);
  }
  if (filter.q) {
    const like = add(`%${filter.q.replace(/[\\%_]/g, (c) => '\\' + c)}%`);
    // f.search_text (migration 0013: the same fields, one per line, trigram-indexed) finds the candidates
    // without reading each row's JSON; the per-field test then keeps the result exact (a q spanning a
    // line break must not match across two fields).
    where.push(`f.search_text ILIKE ${like}`);
    where.push(`(f.title ILIKE ${like} OR f.rule_id ILIKE ${like} OR (f.data->>'vulnerabilityIds') ILIKE ${like} OR (f.data->'package'->>'name') ILIKE ${like} OR (f.data->'location'->>'path') ILIKE ${like})`);
  }
  if (filter.new !== undefined) {
    // "new" is relative to the latest submission: of the ref when given, else of the project.
    const latest = filter.ref
      ? `(SELECT last_submission_id FROM refs WHERE project_id = $1 AND ref = ${add(filter.ref)})`
      : `(SELECT id FROM submissions WHERE project_id = $1 ORDER BY created_at DESC LIMIT 1)`;
    where.push(
      `${filter.new ? '' : 'NOT '}EXISTS (SELECT 1 FROM occurrences o WHERE o.finding_id = f.id AND o.submission_id = ${latest} AND o.change = 'new')`,
    );
  }
  // kev=true is the partial index's own predicate (migration 0013); false must also keep findings without the key (NULL).
  if (filter.kev !== undefined) where.push(filter.kev ? `jsonb_typeof(f.data->'kev') = 'object'` : `jsonb_typeof(f.data->'kev') IS DISTINCT FROM 'object'`);
  if (filter.epssMin !== undefined) where.push(`COALESCE((f.data->'epss'->>'score')::float8, -1) >= ${add(filter.epssMin)}`);
  if (filter.fixAvailable !== undefined) where.push(`${filter.fixAvailable ? '' : 'NOT '}(jsonb_array_length(COALESCE(f.data->'fixedVersions', '[]'::jsonb)) > 0)`);
  return { where, params, add, join };
}

/** A page of findings as JSON text: each item is storedFindingText's, unparsed. */
export interface FindingPageJson {
  items: string[];
  nextCursor: string | null;
}

/** The findings matching the filter, most severe first, a page at a time (keyset: `nextCursor`). */
export async function queryFindingsJson(q: Queryable, projectId: string, filter: FindingFilter): Promise<FindingPageJson> {
  const { where, params, join } = findingConditions(projectId, filter);
  const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
  type PageRow = StoredFindingRow & { severity_rank: number; state: 'open' | 'fixed' | null };
  /** Up to `take` findings matching the filter and `more` (conditions on the parameters after the filter's), in page order. */
  const read = async (more: (add: (value: unknown) => string) => string[], take: number) => {
    const values = [...params];
    const add = (value: unknown) => `$${values.push(value)}`;
    const conditions = [...where, ...more(add)];
    const sql = `SELECT ${STORED_FINDING_COLUMNS}, f.severity_rank, ${filter.ref ? 'r.state' : 'NULL AS state'}
         FROM findings f ${join}
        WHERE ${conditions.join(' AND ')}
        ORDER BY f.severity_rank DESC, f.id ASC
        LIMIT ${add(take)}`;
    // The API's hot path: planned once per connection and filter shape. Text search is planned per term
    // (a rare one wants the trigram index; a generic plan cannot know), and serially: its parallel plan
    // (chosen when the planner underestimates the matches) took three processes and 42 ms where one took 12.
    return (await q.query<PageRow>(sql, values, filter.q ? { serial: true } : { prepare: true })).rows;
  };
  let rows: PageRow[];
  if (filter.cursor) {
    // After the cursor: the rest of its severity (ids above its id), then, if the page is not full, the
    // lower severities — each a range of the page-order index. As one OR they were read from the start
    // of the cursor's severity, so a page cost as much as every page before it.
    const [rank, id] = decodeCursor(filter.cursor);
    rows = await read((add) => [`f.severity_rank = ${add(rank)}`, `f.id > ${add(id)}::uuid`], limit + 1);
    if (rows.length <= limit) rows.push(...(await read((add) => [`f.severity_rank < ${add(rank)}`], limit + 1 - rows.length)));
  } else {
    rows = await read(() => [], limit + 1);
  }
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    items: shown.map((r) => storedFindingText(r, r.state)),
    nextCursor: rows.length > limit && last ? Buffer.from(JSON.stringify([last.severity_rank, last.id])).toString('base64url') : null,
  };
}

/** As queryFindingsJson, with each item parsed. */
export async function queryFindings(q: Queryable, projectId: string, filter: FindingFilter): Promise<FindingPage> {
  const page = await queryFindingsJson(q, projectId, filter);
  return { items: page.items.map((item) => JSON.parse(item) as StoredFinding), nextCursor: page.nextCursor };
}

/** A page as the findings API answers it, assembled from the items' text. */
export function findingPageBody(page: FindingPageJson): string {
  return `{"items":[${page.items.join(',')}],"nextCursor":${JSON.stringify(page.nextCursor)}}`;
}

export const FINDING_GROUPINGS = ['vulnerability', 'package', 'path'] as const;
export type FindingGrouping = (typeof FINDING_GROUPINGS)[number];

/**
 * Stored generated columns (migration 0013), so grouping a large project does not read every row's JSON:
 * vulnerability = COALESCE(data->'vulnerabilityIds'->>0, rule_id), package = data->'package'->>'name',
 * path = COALESCE(data->'location'->>'path', …->>'image', …->>'resource').
 */
const GROUP_KEYS: Record<FindingGrouping, string> = {
  vulnerability: 'f.group_vulnerability',
  package: 'f.group_package',
  path: 'f.group_path',
};

export interface FindingGroup {
  key: string | null;
  count: number;
  severity: string;
  tools: string[];
}

/** Matching findings grouped by vulnerability, package or path: worst first, a page at a time (offset: groups are few). */
export async function groupFindings(
  q: Queryable,
  projectId: string,
  filter: Omit<FindingFilter, 'cursor' | 'limit'>,
  by: FindingGrouping,
  page: { offset: number; limit: number },
): Promise<{ groups: FindingGroup[]; hasMore: boolean }> {
  const { where, params, join } = findingConditions(projectId, filter);
  const key = GROUP_KEYS[by];
  const limit = Math.min(Math.max(page.limit, 1), 500);
  // First the page of groups with plain aggregates only (count, max): one hash aggregate however many
  // groups there are — grouping by vulnerability makes nearly one group per finding.
  const { rows } = await q.query<{ key: string | null; n: number; rank: number }>(
    `SELECT ${key} AS key, count(*)::int AS n, max(f.severity_rank)::int AS rank
       FROM findings f ${join}
      WHERE ${where.join(' AND ')}
      GROUP BY 1
      ORDER BY rank DESC, n DESC, key ASC NULLS LAST
      LIMIT ${limit + 1} OFFSET ${Math.max(0, Math.floor(page.offset))}`,
    params,
  );
  const shown = rows.slice(0, limit);
  // Then the tools of just those groups.
  const keys = shown.map((r) => r.key).filter((k): k is string => k !== null);
  const withNull = shown.some((r) => r.key === null);
  const tools = new Map<string | null, Set<string>>(shown.map((r) => [r.key, new Set<string>()]));
  if (shown.length) {
    const { rows: toolRows } = await q.query<{ key: string | null; tools: string[] }>(
      `SELECT DISTINCT ${key} AS key, f.tools FROM findings f ${join}
        WHERE ${where.join(' AND ')} AND (${key} = ANY($${params.length + 1}::text[])${withNull ? ` OR ${key} IS NULL` : ''})`,
      [...params, keys],
    );
    for (const r of toolRows) for (const t of r.tools) tools.get(r.key)?.add(t);
  }
  const severityOfRank = new Map(SEVERITIES.map((s) => [severityRank(s), s] as const));
  return {
    groups: shown.map((r) => ({ key: r.key, count: r.n, severity: severityOfRank.get(r.rank) ?? 'info', tools: [...(tools.get(r.key) ?? [])].sort() })),
    hasMore: rows.length > limit,
  };
}

export interface FindingRecord extends StoredFinding {
  projectId: string;
  vulnKey: string | null;
}

/** One stored finding by id (undefined when there is none). */
export async function getFinding(q: Queryable, id: string): Promise<FindingRecord | undefined> {
  const { rows } = await q.query<StoredFindingRow & { project_id: string; vuln_key: string | null }>(
    `SELECT ${STORED_FINDING_COLUMNS}, f.project_id, f.vuln_key FROM findings f WHERE f.id = $1`,
    [id],
  );
  const r = rows[0];
  if (!r) return undefined;
  return { ...(JSON.parse(storedFindingText(r)) as StoredFinding), projectId: r.project_id, vulnKey: r.vuln_key };
}

export interface FindingSighting {
  tool: string;
  /** Which key merged this tool's view into the finding: 'fingerprint' or 'alias:<id>'. */
  matchedBy: string;
  submissionId: string;
  ref: string;
  at: string;
  duplicates: number;
}

/** The latest sighting of a finding by each tool (which tool saw it, and how it was merged). */
export async function findingSightings(q: Queryable, findingId: string): Promise<FindingSighting[]> {
  const { rows } = await q.query<{ tool: string; matched_by: string; submission_id: string; ref: string; created_at: Date; duplicates: number }>(
    `SELECT DISTINCT ON (o.tool) o.tool, o.matched_by, o.submission_id, s.ref, s.created_at, o.duplicates
       FROM occurrences o JOIN submissions s ON s.id = o.submission_id
      WHERE o.finding_id = $1
      ORDER BY o.tool, s.created_at DESC`,
    [findingId],
  );
  return rows.map((r) => ({ tool: r.tool, matchedBy: r.matched_by, submissionId: r.submission_id, ref: r.ref, at: new Date(r.created_at).toISOString(), duplicates: r.duplicates }));
}

export interface FindingRefState {
  ref: string;
  state: 'open' | 'fixed';
  firstSeenSubmission: string;
  lastSeenSubmission: string;
  fixedInSubmission: string | null;
  reopenedCount: number;
  updatedAt: string;
}

/** The finding's state on every ref: first and last seen, fixed in, reopened how often. */
export async function findingRefStates(q: Queryable, projectId: string, findingId: string): Promise<FindingRefState[]> {
  const { rows } = await q.query<{ ref: string; state: 'open' | 'fixed'; first_seen_submission: string; last_seen_submission: string; fixed_in_submission: string | null; reopened_count: number; updated_at: Date }>(
    `SELECT r.ref, r.state, r.first_seen_submission, ${lastSeenSubmissionOf('r')} AS last_seen_submission, r.fixed_in_submission, r.reopened_count, r.updated_at
       FROM ref_findings r WHERE r.project_id = $1 AND r.finding_id = $2 ORDER BY r.ref`,
    [projectId, findingId],
  );
  return rows.map((r) => ({
    ref: r.ref,
    state: r.state,
    firstSeenSubmission: r.first_seen_submission,
    lastSeenSubmission: r.last_seen_submission,
    fixedInSubmission: r.fixed_in_submission,
    reopenedCount: r.reopened_count,
    updatedAt: new Date(r.updated_at).toISOString(),
  }));
}

/** Stored finding ids for fingerprints (a verdict names findings by fingerprint; pages link by id). */
export async function findingIdsByFingerprint(q: Queryable, projectId: string, fingerprints: readonly string[]): Promise<Map<string, string>> {
  if (fingerprints.length === 0) return new Map();
  const { rows } = await q.query<{ id: string; fingerprint: string }>(
    `SELECT id, fingerprint FROM findings WHERE project_id = $1 AND fingerprint = ANY($2::text[])`,
    [projectId, [...new Set(fingerprints)]],
  );
  return new Map(rows.map((r) => [r.fingerprint, r.id]));
}

export interface ChangedFinding {
  id: string;
  severity: string;
  ruleId: string;
  vulnerabilityId: string | null;
  title: string;
}

/** What a submission changed: findings it saw as new or reopened, or that it fixed; worst first, at most `limit`. */
export async function submissionChanges(q: Queryable, submissionId: string, change: 'new' | 'reopened' | 'fixed', limit: number): Promise<ChangedFinding[]> {
  const source =
    change === 'fixed'
      ? `SELECT r.finding_id FROM ref_findings r WHERE r.fixed_in_submission = $1`
      : `SELECT o.finding_id FROM occurrences o WHERE o.submission_id = $1 AND o.change = '${change}'`;
  const { rows } = await q.query<{ id: string; severity: string; rule_id: string; vuln: string | null; title: string }>(
    `SELECT f.id, f.severity, f.rule_id, f.data->'vulnerabilityIds'->>0 AS vuln, f.title
       FROM findings f WHERE f.id IN (${source})
      ORDER BY f.severity_rank DESC, f.id LIMIT ${Math.min(Math.max(Math.floor(limit), 1), 1000)}`,
    [submissionId],
  );
  return rows.map((r) => ({ id: r.id, severity: r.severity, ruleId: r.rule_id, vulnerabilityId: r.vuln, title: r.title }));
}

/** Every id in the global alias groups of these ids (CVE ↔ GHSA ↔ XRAY …): the key that merged tools' views. */
export async function aliasGroupOf(q: Queryable, ids: readonly string[]): Promise<{ alias: string; source: string }[]> {
  if (ids.length === 0) return [];
  const { rows } = await q.query<{ alias: string; source: string }>(
    `SELECT a.alias, a.source FROM vulnerability_aliases a
      WHERE a.group_id IN (SELECT group_id FROM vulnerability_aliases WHERE alias = ANY($1::text[]))
      ORDER BY a.alias LIMIT 200`,
    [[...ids]],
  );
  return rows;
}
