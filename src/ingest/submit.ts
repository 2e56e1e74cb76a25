// The ingest pipeline for one submission: parse every report (no I/O), then in ONE transaction
// merge into the project's findings, classify against the ref's history and record the result.
// A failure anywhere leaves nothing behind; the same idempotency key twice yields one result.
// The steps after parsing work on a window of findings (WindowWriter): a report held in memory is
// one window; one too large to hold is read back from staging window by window (submit-stream.ts).
import { createHash, hash as oneShotHash, randomUUID } from 'node:crypto';
import { AppError, ReportFormatError } from '../errors.js';
import type { Finding } from '../domain/finding.js';
import { severityRank } from '../domain/severity.js';
import { vulnerabilityKey } from '../domain/identity.js';
import type { Database, Queryable } from '../store/db.js';
import { ReportInput } from '../plugins/report-input.js';
import type { ParseWarning, ScannerPlugin } from '../plugins/scanner.js';
import { parseReport } from './parse-report.js';
import { planMerge, type PlannedFinding, type StoredFindingRef } from './merge-plan.js';
import { recordAliasGroups } from './alias-groups.js';
import { audit } from '../store/audit.js';
import { mergeOccurrenceViews, SubmissionAssessment, type OccurrenceView, type SubmissionVerdict } from '../assess/assess.js';
import { effectivePolicy } from '../assess/policies.js';
import { recordSubmissionEvents } from '../store/events.js';
import { findingsIngested, ingestDuration, submissionsIngested } from '../observability/metrics.js';
import { enqueue } from '../jobs/queue.js';

export interface UploadedReport {
  filename: string;
  content: Buffer;
  /** The tool named by the request; otherwise the report's format is detected. */
  tool?: string | undefined;
}

export interface SubmissionRequest {
  projectId: string;
  ref: string;
  commit?: string | undefined;
  reports: UploadedReport[];
  idempotencyKey?: string | undefined;
  /** A merge request's target branch: "new" is then measured against its latest submission. */
  targetRef?: string | undefined;
  /** A client-chosen submission id (UUID): a second request with it replays the first. */
  id?: string | undefined;
  actor: string;
  /** What was scanned when no pipeline sent it (e.g. a pushed image and its digest). */
  source?: Record<string, unknown> | undefined;
}

export interface SubmissionCounts {
  new: number;
  existing: number;
  fixed: number;
  reopened: number;
  total: number;
}

export interface ReportSummary {
  filename: string;
  tool: string;
  format: string;
  toolVersion?: string | undefined;
  findings: number;
  duplicatesMerged: number;
  warnings: ParseWarning[];
  dbUpdatedAt?: string | undefined;
  target?: string | undefined;
}

export interface SubmissionResult {
  id: string;
  projectId: string;
  ref: string;
  commit: string | null;
  status: 'completed';
  tools: string[];
  counts: SubmissionCounts;
  reports: ReportSummary[];
  createdAt: string;
  replayed: boolean;
  targetRef: string | null;
  verdict: SubmissionVerdict | null;
  /** When retention dropped its findings (migration 0018; its verdict and counts stay), or null. */
  detailPrunedAt: string | null;
}

export interface IngestDeps {
  db: Database;
  scanners: readonly ScannerPlugin[];
  /** Test seam: called inside the transaction after every write and before COMMIT. */
  beforeCommit?: ((submissionId: string) => Promise<void> | void) | undefined;
  /** The clock (injected in tests: exception expiry, data age). */
  now?: (() => Date) | undefined;
}

/** The request's identity for idempotency: its ref and commit, and each report's name, tool and SHA-256. */
export function requestHash(req: RequestFields, reports: readonly { filename: string; tool?: string | undefined; sha256: Buffer }[]): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([req.ref, req.commit ?? null, req.targetRef ?? null]));
  for (const r of reports) {
    h.update(JSON.stringify([r.filename, r.tool ?? null]));
    h.update(r.sha256);
  }
  return h.digest('hex');
}

interface SubmissionRow {
  id: string;
  project_id: string;
  ref: string;
  commit_sha: string | null;
  tools: string[];
  counts: SubmissionCounts;
  reports: ReportSummary[];
  request_hash: string;
  created_at: Date;
  target_ref: string | null;
  verdict: SubmissionVerdict | null;
  detail_pruned_at: Date | null;
}

const SUBMISSION_COLUMNS = 'id, project_id, ref, commit_sha, tools, counts, reports, request_hash, created_at, target_ref, verdict, detail_pruned_at';

function toResult(row: SubmissionRow, replayed: boolean): SubmissionResult {
  return {
    id: row.id,
    projectId: row.project_id,
    ref: row.ref,
    commit: row.commit_sha,
    status: 'completed',
    tools: row.tools,
    counts: row.counts,
    reports: row.reports,
    createdAt: new Date(row.created_at).toISOString(),
    replayed,
    targetRef: row.target_ref,
    verdict: row.verdict,
    detailPrunedAt: row.detail_pruned_at ? new Date(row.detail_pruned_at).toISOString() : null,
  };
}

/** A stored submission by id, or undefined. */
export async function loadSubmission(q: Queryable, id: string): Promise<SubmissionResult | undefined> {
  const { rows } = await q.query<SubmissionRow>(
    `SELECT ${SUBMISSION_COLUMNS} FROM submissions WHERE id = $1`,
    [id],
  );
  return rows[0] ? toResult(rows[0], false) : undefined;
}

async function findReplay(q: Queryable, req: RequestFields, hash: string): Promise<SubmissionResult | undefined> {
  if (!req.idempotencyKey && !req.id) return undefined;
  const { rows } = await q.query<SubmissionRow>(
    `SELECT ${SUBMISSION_COLUMNS} FROM submissions
      WHERE (project_id = $1 AND idempotency_key = $2) OR id = $3::uuid`,
    [req.projectId, req.idempotencyKey ?? null, req.id ?? null],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (row.request_hash !== hash || row.project_id !== req.projectId) {
    throw new AppError('IDEMPOTENCY_CONFLICT', 'That idempotency key (or submission id) was already used for a different request. Use a new key for new content.');
  }
  return toResult(row, true);
}

/** The submission an Idempotency-Key already produced in a project, as a replay. */
export async function loadSubmissionByKey(q: Queryable, projectId: string, idempotencyKey: string): Promise<SubmissionResult | undefined> {
  const { rows } = await q.query<SubmissionRow>(
    `SELECT ${SUBMISSION_COLUMNS} FROM submissions WHERE project_id = $1 AND idempotency_key = $2`,
    [projectId, idempotencyKey],
  );
  return rows[0] && toResult(rows[0], true);
}

/** Parses every report; the first unreadable one fails the whole submission before anything is written. */
export function parseSubmissionReports(scanners: readonly ScannerPlugin[], reports: readonly UploadedReport[]) {
  if (reports.length === 0) throw new AppError('NO_REPORTS', 'Attach at least one report file (multipart field "report").');
  return reports.map((r) => {
    try {
      return { upload: r, parsed: parseReport(scanners, new ReportInput(r.content, r.filename), r.tool) };
    } catch (error) {
      if (error instanceof ReportFormatError) throw error.toAppError(r.filename);
      throw error;
    }
  });
}

export async function ingestSubmission(deps: IngestDeps, req: SubmissionRequest): Promise<SubmissionResult> {
  const hash = requestHash(req, req.reports.map((r) => ({ ...r, sha256: createHash('sha256').update(r.content).digest() })));
  return ingestOnce(deps, req, hash, async () => {
    const parsed = parseSubmissionReports(deps.scanners, req.reports);
    const tools = [...new Set(parsed.map((p) => p.parsed.tool))].sort();
    const incoming = parsed.flatMap((p, reportIndex) => p.parsed.findings.map((finding) => ({ finding, reportIndex })));
    const result = await deps.db.transaction(async (tx) => {
      const run = await beginSubmission(tx, deps, req, hash, tools);
      await run.writer.addWindow(incoming);
      const reports: ReportSummary[] = parsed.map((p, i) => ({
        filename: p.upload.filename,
        tool: p.parsed.tool,
        format: p.parsed.format,
        toolVersion: p.parsed.toolVersion,
        findings: p.parsed.findings.length,
        duplicatesMerged: run.writer.duplicatesByReport.get(i) ?? 0,
        warnings: p.parsed.warnings,
        dbUpdatedAt: p.parsed.dbUpdatedAt,
        target: p.parsed.target,
      }));
      return finishSubmission(tx, deps, req, run, reports);
    });
    return { result, reports: result.reports };
  });
}

/** A submission request without its reports (they are held in memory, or stored in chunks). */
export type RequestFields = Omit<SubmissionRequest, 'reports'>;

/**
 * The envelope of every ingest: a repeated request replays the first; `ingest` writes the submission
 * (in one transaction of its own); two identical requests racing leave one submission, the loser
 * replaying the winner's result.
 */
export async function ingestOnce(
  deps: IngestDeps,
  req: RequestFields,
  hash: string,
  ingest: () => Promise<{ result: SubmissionResult; reports: readonly { tool: string; findings: number }[] }>,
): Promise<SubmissionResult> {
  if (req.id !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(req.id)) {
    throw new AppError('VALIDATION_FAILED', 'The submission id must be a UUID.');
  }
  const replay = await findReplay(deps.db, req, hash);
  if (replay) return replay;
  const stopTimer = ingestDuration.startTimer();
  try {
    const { result, reports } = await ingest();
    stopTimer();
    submissionsIngested.inc({ outcome: result.verdict?.outcome ?? 'none' });
    for (const r of reports) findingsIngested.inc({ tool: r.tool }, r.findings);
    return result;
  } catch (error) {
    if ((error as { code?: string }).code === '23505' && (req.idempotencyKey || req.id)) {
      const again = await findReplay(deps.db, req, hash);
      if (again) return again;
    }
    throw error;
  }
}

/** A submission being written, inside its transaction: its id, its ref's lock and its window writer. */
export interface OpenSubmission {
  submissionId: string;
  tools: string[];
  writer: WindowWriter;
  assessment: SubmissionAssessment;
  policy: Awaited<ReturnType<typeof effectivePolicy>>;
  now: Date;
}

/**
 * Locks the ref (submissions to one ref are serialised: "previous submission" is well defined),
 * records the submission and opens its assessment. The caller then adds its findings, window by
 * window, and finishes it.
 */
export async function beginSubmission(tx: Queryable, deps: IngestDeps, req: RequestFields, hash: string, tools: string[]): Promise<OpenSubmission> {
  await tx.query(`INSERT INTO refs (project_id, ref) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [req.projectId, req.ref]);
  const { rows: refRows } = await tx.query<{ last_submission_id: string | null }>(
    `SELECT last_submission_id FROM refs WHERE project_id = $1 AND ref = $2 FOR UPDATE`,
    [req.projectId, req.ref],
  );
  const previousSubmission = refRows[0]?.last_submission_id ?? null;
  const submissionId = req.id ?? randomUUID();
  // Its report summaries and counts are known once every finding is written (finishSubmission).
  await tx.query(
    `INSERT INTO submissions (id, project_id, ref, commit_sha, status, idempotency_key, request_hash, tools, reports, counts, source)
     VALUES ($1, $2, $3, $4, 'completed', $5, $6, $7, '[]'::jsonb, '{}'::jsonb, $8)`,
    [submissionId, req.projectId, req.ref, req.commit ?? null, req.idempotencyKey ?? null, hash, tools, req.source ? JSON.stringify(req.source) : null],
  );
  const now = deps.now?.() ?? new Date();
  const policy = await effectivePolicy(tx, req.projectId);
  // The data date is per report, known at the end: the policy's data-age rule reads it in finish.
  const assessment = await SubmissionAssessment.begin(tx, { projectId: req.projectId, submissionId, ref: req.ref, targetRef: req.targetRef, toolsRun: tools, policy, now });
  const writer = new WindowWriter(tx, { projectId: req.projectId, ref: req.ref, targetRef: req.targetRef, submissionId, previousSubmission, tools }, assessment);
  return { submissionId, tools, policy, now, assessment, writer };
}

/** Completes a submission whose findings are all written: fixed findings, verdict, events, CI write-back, audit. */
export async function finishSubmission(tx: Queryable, deps: IngestDeps, req: RequestFields, run: OpenSubmission, reports: ReportSummary[]): Promise<SubmissionResult> {
  const { submissionId, tools, now, policy } = run;
  const counts = await run.writer.finish();
  const dates = reports.map((r) => (r.dbUpdatedAt ? new Date(r.dbUpdatedAt) : undefined)).filter((d): d is Date => !!d && !Number.isNaN(d.getTime()));
  const verdict = await run.assessment.finish(dates.length ? new Date(Math.min(...dates.map((d) => d.getTime()))) : undefined);
  // The scanners' own database dates, as their reports state them (Trivy/Grype DB build, Dependency-Check data).
  for (const r of reports) {
    if (!r.dbUpdatedAt || Number.isNaN(Date.parse(r.dbUpdatedAt))) continue;
    const ageMs = now.getTime() - Date.parse(r.dbUpdatedAt);
    (verdict.data ??= []).push({ source: `${r.tool} database`, version: r.toolVersion ?? null, checkedAt: new Date(r.dbUpdatedAt).toISOString(), ageDays: Math.max(0, Math.floor(ageMs / 86_400_000)), stale: ageMs > 72 * 3_600_000 });
  }
  const { rows } = await tx.query<SubmissionRow>(
    `UPDATE submissions SET counts = $2, verdict = $3, policy_id = $4, target_ref = $5, reports = $6 WHERE id = $1
     RETURNING id, project_id, ref, commit_sha, tools, counts, reports, request_hash, created_at, target_ref, verdict`,
    [submissionId, JSON.stringify(counts), JSON.stringify(verdict), policy.id, req.targetRef ?? null, JSON.stringify(reports)],
  );
  await recordSubmissionEvents(tx, req.projectId, submissionId, req.ref, counts, verdict, now);
  // A pipeline's verdict goes back to its CI (MR note, commit status) — queued with the submission.
  if (req.source?.kind === 'ci' && req.source.ciProvider === 'gitlab') await enqueue(tx, 'ci.publish', { submissionId }, { dedupeKey: submissionId });
  await tx.query(`UPDATE refs SET last_submission_id = $3, updated_at = now() WHERE project_id = $1 AND ref = $2`, [req.projectId, req.ref, submissionId]);
  await audit(tx, { actor: req.actor, action: 'submission.create', targetType: 'submission', targetId: submissionId, after: { ref: req.ref, tools, counts } });
  await deps.beforeCommit?.(submissionId);
  return toResult(rows[0]!, false);
}

/**
 * Writes a submission's findings a window at a time. A window must hold every item that merges
 * into one finding (the same fingerprint, or an alias under the same vulnerability key): the whole
 * report when it is held in memory; a run of group keys when a streamed report is read back from
 * its staging table. Each window is planned against the store, written, classified against the
 * ref's history and assessed; finish() then marks what this submission no longer sees as fixed.
 */
export class WindowWriter {
  readonly duplicatesByReport = new Map<number, number>();
  readonly counts: SubmissionCounts = { new: 0, existing: 0, fixed: 0, reopened: 0, total: 0 };
  readonly #tx: Queryable;
  readonly #s: ClassifyContext;
  readonly #assessment: SubmissionAssessment;

  constructor(tx: Queryable, s: ClassifyContext, assessment: SubmissionAssessment) {
    this.#tx = tx;
    this.#s = s;
    this.#assessment = assessment;
  }

  async addWindow(incoming: { finding: Finding; reportIndex: number }[]): Promise<void> {
    const tx = this.#tx;
    const { projectId, tools } = this.#s;
    const plan = await planAgainstStore(tx, projectId, incoming);
    for (const f of plan.findings) {
      for (const o of f.occurrences.values()) {
        if (o.duplicates > 1) this.duplicatesByReport.set(o.reportIndex, (this.duplicatesByReport.get(o.reportIndex) ?? 0) + o.duplicates - 1);
      }
    }
    const firstSeen = await writeFindings(tx, projectId, plan);
    const changes = await classifyAgainstRef(tx, this.#s, plan.findings, this.counts);
    await recordAliasGroups(tx, plan.findings.map((f) => [...f.aliases]), tools.join(','));
    await this.#assessment.add(mergeOccurrenceViews(occurrenceViews(plan.findings, changes, firstSeen)).values());
  }

  /** Marks as fixed what this submission no longer sees, records last sightings; returns the counts. */
  async finish(): Promise<SubmissionCounts> {
    this.counts.fixed = await closeRefHistory(this.#tx, this.#s);
    return this.counts;
  }
}

/** A stored finding the submission touches, as read under its row lock. */
type StoredRow = StoredFindingRef & { data_hash: string | null; first_seen_at: Date };

/** The merge plan, and what the store already holds of the findings it touches (their hash and first sighting). */
async function planAgainstStore(tx: Queryable, projectId: string, incoming: { finding: Finding; reportIndex: number }[]) {
  const keyed = incoming.map((i) => ({ ...i, vulnKey: vulnerabilityKey(i.finding) }));
  const fingerprints = [...new Set(incoming.map((i) => i.finding.fingerprint))];
  const { rows: stored } = await tx.query<StoredFindingRef>(
    `SELECT id, fingerprint, tools FROM findings WHERE project_id = $1 AND fingerprint = ANY($2::text[])`,
    [projectId, fingerprints],
  );
  const keys = [...new Set(keyed.map((i) => i.vulnKey).filter((k): k is string => !!k))];
  const { rows: aliasRows } = keys.length
    ? await tx.query<{ vuln_key: string; alias: string; finding_id: string }>(
        `SELECT vuln_key, alias, finding_id FROM finding_aliases WHERE project_id = $1 AND vuln_key = ANY($2::text[])`,
        [projectId, keys],
      )
    : { rows: [] };
  const storedIds = new Set(stored.map((s) => s.id));
  const aliasFindingIds = [...new Set(aliasRows.map((r) => r.finding_id))].filter((id) => !storedIds.has(id));
  if (aliasFindingIds.length) {
    const { rows } = await tx.query<StoredFindingRef>(`SELECT id, fingerprint, tools FROM findings WHERE id = ANY($1::uuid[])`, [aliasFindingIds]);
    stored.push(...rows);
  }
  const plan = planMerge(
    keyed,
    stored,
    aliasRows.map((r) => ({ vulnKey: r.vuln_key, alias: r.alias, findingId: r.finding_id })),
  );
  // Lock the stored findings this submission touches, in one order (no deadlock between two submissions),
  // and read their hash and tools again under the lock: what writeFindings decides to skip stays as read
  // until COMMIT, so an occurrence that leans on its finding's data (NULL) leans on what it reported.
  const touched = plan.findings.filter((f) => !f.isNewToProject).map((f) => f.id);
  const { rows: locked } = touched.length
    ? await tx.query<StoredRow>(`SELECT id, fingerprint, tools, data_hash, first_seen_at FROM findings WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`, [touched])
    : { rows: [] };
  return {
    ...plan,
    stored: new Map(locked.map((s) => [s.id, s])),
    knownAliases: new Set(aliasRows.map((r) => `${r.vuln_key}|${r.alias}`)),
  };
}

/**
 * Rows per statement. Every write passes its rows as parallel arrays unnested by the server (one
 * statement per batch, no per-row queries, no giant JSON document to parse — jsonb stops at 255 MB),
 * so memory and parameter size stay bounded whatever the report size. A batch's JSON documents travel
 * as ONE text parameter, newline-separated (JSON.stringify escapes every control character, so a
 * newline never occurs inside one): the server splits it with string_to_array, and the client skips
 * pg's per-element array escaping of multi-megabyte strings (it dominated the profile).
 */
const BATCH_ROWS = 5_000;

/**
 * Writes items batch by batch, preparing the next batch's parameters (JSON, hashes, arrays: CPU) while
 * the server executes the previous statement, instead of one waiting for the other. `prepare` may
 * return undefined for a batch with nothing to write.
 */
async function inBatches<T, P>(items: readonly T[], prepare: (batch: readonly T[]) => P | undefined, send: (prepared: P) => Promise<unknown>): Promise<void> {
  let inFlight: Promise<unknown> | undefined;
  for (let i = 0; i < items.length; i += BATCH_ROWS) {
    const prepared = prepare(items.slice(i, i + BATCH_ROWS));
    await inFlight; // a rejection surfaces here: no statement is sent after a failed one
    inFlight = prepared === undefined ? undefined : send(prepared);
  }
  await inFlight;
}

/** A text[] literal for one row of an unnested column (unnest flattens a 2-D array, so rows carry their arrays as text). */
function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** The hash of a finding's tool data as written (before enrichment): equal hashes, nothing to rewrite. */
const dataHash = (json: string) => oneShotHash('sha1', json, 'base64url');

/**
 * Writes the project's findings and returns when each was first seen (the stored date for those
 * already known). A stored finding whose data hash and tools are unchanged (as read under its row
 * lock, planAgainstStore) is not sent at all — most of a re-submission: the row, its indexes and its
 * trigram entries stay as they are. Every stored finding that is sent has changed, so the upsert
 * needs no condition of its own.
 */
async function writeFindings(
  tx: Queryable,
  projectId: string,
  { findings, stored, knownAliases }: { findings: PlannedFinding[]; stored: ReadonlyMap<string, StoredRow>; knownAliases: ReadonlySet<string> },
): Promise<Map<string, Date>> {
  const firstSeen = new Map<string, Date>();
  for (const s of stored.values()) firstSeen.set(s.id, new Date(s.first_seen_at));
  // Batch by batch: at most two batches' JSON are held, the one being written and the next.
  await inBatches(
    findings,
    (slice) => {
      const rowsOfBatch: { f: PlannedFinding; json: string; hash: string }[] = [];
      for (const f of slice) {
        const json = JSON.stringify(f.data);
        const hash = dataHash(json);
        const s = stored.get(f.id);
        if (!s || s.data_hash !== hash || !f.tools.every((t) => s.tools.includes(t))) rowsOfBatch.push({ f, json, hash });
      }
      if (rowsOfBatch.length === 0) return undefined;
      const batch = rowsOfBatch.map((r) => r.f);
      return [
        projectId,
        batch.map((f) => f.id),
        batch.map((f) => f.fingerprint),
        batch.map((f) => f.data.category),
        batch.map((f) => f.data.severity),
        batch.map((f) => severityRank(f.data.severity)),
        batch.map((f) => f.data.status),
        batch.map((f) => f.data.ruleId),
        batch.map((f) => f.data.title),
        batch.map((f) => f.vulnKey ?? null),
        batch.map((f) => textArrayLiteral([...f.tools].sort())),
        rowsOfBatch.map((r) => r.json).join('\n'),
        rowsOfBatch.map((r) => r.hash),
      ];
    },
    async (params) => {
      const { rows } = await tx.query<{ id: string; first_seen_at: Date }>(
        `INSERT INTO findings AS f (id, project_id, fingerprint, category, severity, severity_rank, status, rule_id, title, vuln_key, tools, data, data_hash)
         SELECT x.id, $1, x.fingerprint, x.category, x.severity, x.severity_rank, x.status, x.rule_id, x.title, x.vuln_key, x.tools::text[], x.data, x.data_hash
           FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::smallint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], string_to_array($12::text, E'\\n')::jsonb[], $13::text[])
                AS x(id, fingerprint, category, severity, severity_rank, status, rule_id, title, vuln_key, tools, data, data_hash)
         ON CONFLICT (id) DO UPDATE SET
           category = EXCLUDED.category, severity = EXCLUDED.severity, severity_rank = EXCLUDED.severity_rank,
           status = EXCLUDED.status, rule_id = EXCLUDED.rule_id, title = EXCLUDED.title,
           vuln_key = COALESCE(f.vuln_key, EXCLUDED.vuln_key),
           tools = ARRAY(SELECT DISTINCT t FROM unnest(f.tools || EXCLUDED.tools) AS t ORDER BY t),
           data = EXCLUDED.data, data_hash = EXCLUDED.data_hash
         RETURNING id, first_seen_at`,
        params,
      );
      for (const r of rows) firstSeen.set(r.id, new Date(r.first_seen_at));
    },
  );
  // Only aliases the store does not hold yet (it was read for the plan; a concurrent writer's are skipped by ON CONFLICT).
  const aliases = findings.flatMap((f) =>
    f.vulnKey ? [...f.aliases].filter((alias) => !knownAliases.has(`${f.vulnKey}|${alias}`)).map((alias) => ({ vulnKey: f.vulnKey!, alias, findingId: f.id })) : [],
  );
  await inBatches(
    aliases,
    (batch) => [projectId, batch.map((a) => a.vulnKey), batch.map((a) => a.alias), batch.map((a) => a.findingId)],
    (params) =>
      tx.query(
        `INSERT INTO finding_aliases (project_id, vuln_key, alias, finding_id)
         SELECT $1, x.vuln_key, x.alias, x.finding_id FROM unnest($2::text[], $3::text[], $4::uuid[]) AS x(vuln_key, alias, finding_id)
         ON CONFLICT DO NOTHING`,
        params,
      ),
  );
  return firstSeen;
}

/**
 * Each tool's view of each finding in this submission, with its change against the ref's baseline
 * (set on insert: no second pass). A view that is exactly the finding's data is stored as NULL
 * (migration 0014: one copy of the JSON, not two).
 */
async function writeOccurrences(tx: Queryable, submissionId: string, findings: PlannedFinding[], changes: Map<string, string>): Promise<void> {
  const occurrences = findings.flatMap((f) => [...f.occurrences.values()].map((o) => ({ f, o })));
  await inBatches(
    occurrences,
    (batch) => [
      submissionId,
      batch.map(({ f }) => f.id),
      batch.map(({ o }) => o.tool),
      batch.map(({ o }) => o.reportIndex),
      batch.map(({ o }) => o.duplicates),
      batch.map(({ f }) => f.matchedBy),
      batch.map(({ f }) => changes.get(f.id) ?? null),
      batch.map(({ o }) => (o.isFindingData ? '' : JSON.stringify(o.finding))).join('\n'),
    ],
    (params) =>
      tx.query(
        `INSERT INTO occurrences (submission_id, finding_id, tool, report_index, duplicates, matched_by, change, data)
         SELECT $1, x.finding_id, x.tool, x.report_index, x.duplicates, x.matched_by, x.change, x.data
           FROM unnest($2::uuid[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[], string_to_array($8::text, E'\\n', '')::jsonb[])
                AS x(finding_id, tool, report_index, duplicates, matched_by, change, data)`,
        params,
      ),
  );
}

/** What assessment would read back from the occurrences just written, in the same (report_index, tool) order. */
function occurrenceViews(findings: readonly PlannedFinding[], changes: ReadonlyMap<string, string>, firstSeen: ReadonlyMap<string, Date>): OccurrenceView[] {
  const views = findings.flatMap((f) =>
    [...f.occurrences.values()].map((o) => ({
      reportIndex: o.reportIndex,
      findingId: f.id,
      fingerprint: f.fingerprint,
      tool: o.tool,
      change: changes.get(f.id) ?? null,
      data: o.finding,
      firstSeenAt: firstSeen.get(f.id)!,
    })),
  );
  return views.sort((a, b) => a.reportIndex - b.reportIndex || (a.tool < b.tool ? -1 : a.tool > b.tool ? 1 : 0));
}

type RefHistory = { finding_id: string; state: 'open' | 'fixed'; tools: string[] }[];

export interface Classification {
  counts: SubmissionCounts;
  changes: Map<string, 'new' | 'existing' | 'reopened'>;
  fixedIds: string[];
}

/**
 * Against a ref's history: new = never open there; existing = open there; reopened = fixed there and
 * back now; fixed = open there, absent now, and reported by a tool that ran this time.
 */
export function classify(history: RefHistory, findings: readonly { id: string }[], tools: readonly string[]): Classification {
  const byId = new Map(history.map((h) => [h.finding_id, h]));
  const counts: SubmissionCounts = { new: 0, existing: 0, fixed: 0, reopened: 0, total: findings.length };
  const changes = new Map<string, 'new' | 'existing' | 'reopened'>();
  for (const f of findings) {
    const h = byId.get(f.id);
    const change = !h ? 'new' : h.state === 'fixed' ? 'reopened' : 'existing';
    counts[change] += 1;
    changes.set(f.id, change);
  }
  const fixedIds = history
    .filter((h) => h.state === 'open' && !changes.has(h.finding_id) && h.tools.some((t) => tools.includes(t)))
    .map((h) => h.finding_id);
  counts.fixed = fixedIds.length;
  return { counts, changes, fixedIds };
}

/** The submission as its ref's history sees it. */
interface ClassifyContext {
  projectId: string;
  ref: string;
  targetRef: string | undefined;
  submissionId: string;
  previousSubmission: string | null;
  tools: string[];
}

/** The history rows of these findings on a ref (a window's worth: the ref may hold a million). */
async function refHistory(tx: Queryable, projectId: string, ref: string, findingIds: string[]): Promise<RefHistory> {
  const { rows } = await tx.query<RefHistory[number]>(`SELECT finding_id, state, tools FROM ref_findings WHERE project_id = $1 AND ref = $2 AND finding_id = ANY($3::uuid[])`, [
    projectId,
    ref,
    findingIds,
  ]);
  return rows;
}

/**
 * Records a window of the submission in its ref's history (its occurrences carry their change), adds
 * its new/existing/reopened to `counts` and returns the changes. A merge request (targetRef) is
 * counted against its target branch — what the change adds or fixes — while its own branch history
 * is still kept for the next push.
 *
 * A finding seen again, still open, by the same tools, is not rewritten: its last sighting is then the
 * ref's latest submission, which has an occurrence of it (lastSeenSubmissionOf reads it so).
 */
async function classifyAgainstRef(tx: Queryable, s: ClassifyContext, findings: PlannedFinding[], counts: SubmissionCounts): Promise<Map<string, string>> {
  const { projectId, ref, targetRef, submissionId, tools } = s;
  const ids = findings.map((f) => f.id);
  const own = await refHistory(tx, projectId, ref, ids);
  const ownClass = classify(own, findings, tools);
  const reported = targetRef && targetRef !== ref ? classify(await refHistory(tx, projectId, targetRef, ids), findings, tools) : ownClass;
  counts.new += reported.counts.new;
  counts.existing += reported.counts.existing;
  counts.reopened += reported.counts.reopened;
  counts.total += reported.counts.total;
  await writeOccurrences(tx, submissionId, findings, reported.changes);
  const ownById = new Map(own.map((h) => [h.finding_id, h]));
  const rows = findings.flatMap((f) => {
    const h = ownById.get(f.id);
    const rowTools = [...new Set([...(h?.tools ?? []), ...f.tools])];
    return h && h.state === 'open' && rowTools.length === h.tools.length ? [] : [{ id: f.id, tools: rowTools }];
  });
  await inBatches(
    rows,
    (batch) => [projectId, ref, submissionId, batch.map((r) => r.id), batch.map((r) => textArrayLiteral(r.tools))],
    (params) =>
      tx.query(
        `INSERT INTO ref_findings AS r (project_id, ref, finding_id, state, tools, first_seen_submission, last_seen_submission)
         SELECT $1, $2, x.finding_id, 'open', x.tools::text[], $3, $3 FROM unnest($4::uuid[], $5::text[]) AS x(finding_id, tools)
         ON CONFLICT (project_id, ref, finding_id) DO UPDATE SET
           state = 'open', tools = EXCLUDED.tools, last_seen_submission = $3, fixed_in_submission = NULL,
           reopened_count = r.reopened_count + CASE WHEN r.state = 'fixed' THEN 1 ELSE 0 END, updated_at = now()`,
        params,
      ),
  );
  return reported.changes;
}

/**
 * Once every window is written: a finding open on the ref, reported by a tool that ran this time and
 * absent from this submission is fixed; one the previous submission saw and this one does not gets
 * that submission as its last sighting. Returns the fixed count as reported (against the target
 * branch for a merge request, which is only counted: its history is the target's own pushes' to write).
 */
async function closeRefHistory(tx: Queryable, s: ClassifyContext): Promise<number> {
  const { projectId, ref, targetRef, submissionId, previousSubmission, tools } = s;
  if (previousSubmission) {
    await tx.query(
      `UPDATE ref_findings r SET last_seen_submission = $3
         FROM (SELECT finding_id FROM occurrences WHERE submission_id = $3 EXCEPT SELECT finding_id FROM occurrences WHERE submission_id = $4) gone
        WHERE r.project_id = $1 AND r.ref = $2 AND r.finding_id = gone.finding_id AND r.last_seen_submission <> $3`,
      [projectId, ref, previousSubmission, submissionId],
    );
  }
  const absent = `state = 'open' AND tools && $4::text[] AND NOT EXISTS (SELECT 1 FROM occurrences o WHERE o.submission_id = $3 AND o.finding_id = r.finding_id)`;
  const { rows: fixed } = await tx.query<{ n: number }>(
    `WITH f AS (UPDATE ref_findings r SET state = 'fixed', fixed_in_submission = $3, updated_at = now()
                 WHERE r.project_id = $1 AND r.ref = $2 AND ${absent} RETURNING 1)
     SELECT count(*)::int AS n FROM f`,
    [projectId, ref, submissionId, tools],
  );
  if (!targetRef || targetRef === ref) return fixed[0]!.n;
  const { rows } = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ref_findings r WHERE r.project_id = $1 AND r.ref = $2 AND ${absent}`, [
    projectId,
    targetRef,
    submissionId,
    tools,
  ]);
  return rows[0]!.n;
}
