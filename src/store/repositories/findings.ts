// Reading a project's findings with the filters the API, exports and pages share.
import { AppError } from '../../errors.js';
import { CATEGORIES, FINDING_STATUSES, type Finding } from '../../domain/finding.js';
import { severitiesMatching } from '../../domain/severity.js';
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

interface Row {
  id: string;
  tools: string[];
  data: Finding;
  first_seen_at: Date;
  last_seen_at: Date;
  severity_rank: number;
  state: 'open' | 'fixed' | null;
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

export async function queryFindings(q: Queryable, projectId: string, filter: FindingFilter): Promise<FindingPage> {
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
    where.push(`f.severity = ANY(${add(severities)}::text[])`);
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
  if (filter.cursor) {
    const [rank, id] = decodeCursor(filter.cursor);
    where.push(`(f.severity_rank < ${add(rank)} OR (f.severity_rank = ${add(rank)} AND f.id > ${add(id)}::uuid))`);
  }
  const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
  const { rows } = await q.query<Row>(
    `SELECT f.id, f.tools, f.data, f.first_seen_at, f.last_seen_at, f.severity_rank, ${filter.ref ? 'r.state' : 'NULL AS state'}
       FROM findings f ${join}
      WHERE ${where.join(' AND ')}
      ORDER BY f.severity_rank DESC, f.id ASC
      LIMIT ${limit + 1}`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      ...r.data,
      id: r.id,
      sources: r.tools,
      firstSeenAt: new Date(r.first_seen_at).toISOString(),
      lastSeenAt: new Date(r.last_seen_at).toISOString(),
      ...(r.state ? { state: r.state } : {}),
    })),
    nextCursor: rows.length > limit && last ? Buffer.from(JSON.stringify([last.severity_rank, last.id])).toString('base64url') : null,
  };
}
