// Assessing one stored submission: its unique merged findings, the baseline that says what is new,
// the exceptions in force, and the effective policy → a verdict. Reads only, so dry runs reuse it.
import type { Finding } from '../domain/finding.js';
import { matchExceptions, type StoredException } from '../domain/exceptions.js';
import { PolicyEvaluation, type AppliedException, type AssessedFinding, type Verdict } from '../domain/policy/evaluate.js';
import type { Policy } from '../domain/policy/schema.js';
import { mergeFindingViews, withFingerprint } from '../domain/merge.js';
import { DEFAULT_DATA_OPTIONS, dataFreshness, enrichFindings } from '../data/index.js';
import { scannerDatabaseAges } from '../data/scanner-db.js';
import type { Queryable } from '../store/db.js';
import { loadExceptions } from '../store/repositories/exceptions.js';

/**
 * KEV, EPSS and aliases from ScanHub's vulnerability data, onto the findings the policy sees and into
 * the stored findings (reports, alerts and the API show them).
 */
async function enrich(q: Queryable, projectId: string, assessed: AssessedFinding[]): Promise<void> {
  if (assessed.length === 0) return;
  const enrichment = await enrichFindings(q, assessed.map((a) => a.finding));
  const fingerprints: string[] = [];
  const extras: string[] = [];
  assessed.forEach((a, i) => {
    const e = enrichment[i];
    if (!e || (!e.kev && !e.epss && e.aliases.length === 0)) return;
    if (e.kev) a.kev = true;
    if (e.epss) a.epss = e.epss.score;
    fingerprints.push(a.finding.fingerprint);
    extras.push(JSON.stringify({ kev: e.kev ?? null, epss: e.epss ?? null, aliases: e.aliases }));
  });
  if (fingerprints.length === 0) return;
  await q.query(
    // Only findings whose enrichment changed: rewriting an unchanged row costs a new row version and index entries.
    `UPDATE findings f SET data = f.data || e.extra FROM (SELECT unnest($2::text[]) AS fp, unnest($3::text[])::jsonb AS extra) e
      WHERE f.project_id = $1 AND f.fingerprint = e.fp
        AND (f.data->'kev', f.data->'epss', f.data->'aliases') IS DISTINCT FROM (e.extra->'kev', e.extra->'epss', e.extra->'aliases')`,
    [projectId, fingerprints, extras],
  );
}

export interface SubmissionVerdict extends Verdict {
  /** ScanHub's vulnerability-data sources and their age when the verdict was made. */
  data?: { source: string; version: string | null; checkedAt: string | null; ageDays: number | null; stale: boolean }[];
  policy: { id: string | null; version: number | null; origin: string };
  baseline: { ref: string; submissionId: string | null };
}

interface OccurrenceRow {
  finding_id: string;
  fingerprint: string;
  tool: string;
  report_index: number;
  change: string | null;
  data: Finding;
  first_seen_at: Date;
}

const toApplied = (e: StoredException): AppliedException => ({
  id: e.id,
  kind: e.kind,
  reason: e.reason,
  owner: e.owner,
  ...(e.expiresAt ? { expiresAt: e.expiresAt.toISOString() } : {}),
});

export interface SubmissionFinding {
  finding: Finding;
  sources: string[];
  change: string | null;
  firstSeenAt: Date;
}

/** One tool's view of one finding in a submission, in (report_index, tool) order. */
export interface OccurrenceView {
  findingId: string;
  fingerprint: string;
  tool: string;
  change: string | null;
  data: Finding;
  firstSeenAt: Date;
}

/** One entry per stored finding, the tools' views merged in occurrence order. */
export function mergeOccurrenceViews(occurrences: Iterable<OccurrenceView>): Map<string, SubmissionFinding> {
  const findings = new Map<string, SubmissionFinding>();
  for (const o of occurrences) {
    const view = withFingerprint(o.data, o.fingerprint);
    const existing = findings.get(o.findingId);
    if (existing) {
      existing.finding = mergeFindingViews(existing.finding, view);
      existing.sources.push(o.tool);
    } else {
      findings.set(o.findingId, { finding: view, sources: [o.tool], change: o.change, firstSeenAt: o.firstSeenAt });
    }
  }
  return findings;
}

/** The findings of one submission, one per stored finding (tools' views merged). */
export async function submissionFindings(q: Queryable, submissionId: string): Promise<{ findings: Map<string, SubmissionFinding> }> {
  const { rows } = await q.query<OccurrenceRow>(
    `SELECT o.finding_id, f.fingerprint, o.tool, o.report_index, o.change, COALESCE(o.data, f.data) AS data, f.first_seen_at
       FROM occurrences o JOIN findings f ON f.id = o.finding_id
      WHERE o.submission_id = $1`,
    [submissionId],
  );
  // In report order, as ingest assessed them; sorted here, not by the server (it sorted the JSON along, on disk past work_mem).
  rows.sort((a, b) => a.report_index - b.report_index || (a.tool < b.tool ? -1 : a.tool > b.tool ? 1 : 0));
  const views = rows.map((r) => ({ findingId: r.finding_id, fingerprint: r.fingerprint, tool: r.tool, change: r.change, data: r.data, firstSeenAt: new Date(r.first_seen_at) }));
  return { findings: mergeOccurrenceViews(views) };
}

async function latestSubmission(q: Queryable, projectId: string, ref: string): Promise<string | null> {
  const { rows } = await q.query<{ last_submission_id: string | null }>(`SELECT last_submission_id FROM refs WHERE project_id = $1 AND ref = $2`, [projectId, ref]);
  return rows[0]?.last_submission_id ?? null;
}

export interface AssessOptions {
  projectId: string;
  submissionId: string;
  ref: string;
  targetRef?: string | null | undefined;
  toolsRun: string[];
  dataUpdatedAt?: Date | undefined;
  policy: { policy: Policy; id: string | null; version: number | null; origin: string };
  now: Date;
  /**
   * The submission's findings when the caller holds them already (ingest, which has just written
   * them: reading 100,000 occurrences back would cost as much as writing them); else read from the store.
   */
  findings?: Map<string, SubmissionFinding> | undefined;
}

export async function assessSubmission(q: Queryable, o: AssessOptions): Promise<SubmissionVerdict> {
  const findings = o.findings ?? (await submissionFindings(q, o.submissionId)).findings;
  const assessment = await SubmissionAssessment.begin(q, o);
  await assessment.add(findings.values());
  return assessment.finish();
}

/**
 * One submission's assessment, fed a batch of findings at a time: ingest of a streamed report adds
 * each window of findings as it is written, without holding them all. Exceptions are loaded once.
 */
export class SubmissionAssessment {
  readonly #q: Queryable;
  readonly #o: Omit<AssessOptions, 'findings'>;
  readonly #exceptions: StoredException[];
  readonly #policy: PolicyEvaluation;

  private constructor(q: Queryable, o: Omit<AssessOptions, 'findings'>, exceptions: StoredException[]) {
    this.#q = q;
    this.#o = o;
    this.#exceptions = exceptions;
    this.#policy = new PolicyEvaluation(o.policy.policy, { now: o.now, toolsRun: o.toolsRun, dataUpdatedAt: o.dataUpdatedAt });
  }

  static async begin(q: Queryable, o: Omit<AssessOptions, 'findings'>): Promise<SubmissionAssessment> {
    return new SubmissionAssessment(q, o, await loadExceptions(q, o.projectId));
  }

  /** Matches exceptions, enriches (KEV/EPSS, onto the stored findings too) and counts against the rules. */
  async add(findings: Iterable<SubmissionFinding>): Promise<void> {
    // "new" was decided at ingest against the baseline: a merge request's target branch, else the ref itself.
    const assessed: AssessedFinding[] = [];
    for (const f of findings) {
      const isNew = f.change === 'new' || f.change === 'reopened';
      const match = matchExceptions(this.#exceptions, f.finding, this.#o.now);
      assessed.push({
        finding: f.finding,
        sources: f.sources,
        isNew,
        firstSeenAt: f.firstSeenAt,
        ...(match.active ? { exception: toApplied(match.active) } : {}),
        expiredExceptions: match.expired.map(toApplied),
      });
    }
    await enrich(this.#q, this.#o.projectId, assessed);
    this.#policy.add(assessed);
  }

  /** The verdict; `dataUpdatedAt` when it was only known once every report was read (ingest). */
  async finish(dataUpdatedAt?: Date): Promise<SubmissionVerdict> {
    const q = this.#q;
    const o = this.#o;
    const verdict = this.#policy.finish(dataUpdatedAt ?? o.dataUpdatedAt);
    // No verdict hides how old its data is: ScanHub's own sources travel with it.
    const data = [
      ...(await dataFreshness(q, o.now)).map((f) => ({ source: f.source, version: f.version, checkedAt: f.checkedAt, ageDays: f.ageDays, stale: f.stale })),
      ...(await scannerDatabaseAges(q, o.now, DEFAULT_DATA_OPTIONS.staleAfterMs)),
    ];
    return {
      ...verdict,
      data,
      policy: { id: o.policy.id, version: o.policy.version, origin: o.policy.origin },
      baseline: { ref: o.targetRef ?? o.ref, submissionId: o.targetRef ? await latestSubmission(q, o.projectId, o.targetRef) : null },
    };
  }
}
