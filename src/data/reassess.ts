// Re-assessment after a data update: what is known changed (a CVE joined KEV, an EPSS score moved, a
// fix appeared), so the latest verdict of every project/ref is evaluated again from its stored
// findings — no rescan. A changed outcome updates the verdict and fires gate.changed; every finding
// whose CVE joined KEV fires finding.kev_added for its project.
import { assessSubmission } from '../assess/assess.js';
import { effectivePolicy } from '../assess/policies.js';
import type { Database } from '../store/db.js';
import { recordEvent } from '../store/events.js';
import type { UpdateResult } from './update.js';

export interface ReassessSummary {
  evaluated: number;
  changed: { projectId: string; ref: string; submissionId: string; from: string; to: string }[];
  kevAdded: { projectId: string; cve: string; findings: number }[];
}

export async function reassessAfterUpdate(db: Database, results: readonly UpdateResult[], now: Date): Promise<ReassessSummary> {
  const summary: ReassessSummary = { evaluated: 0, changed: [], kevAdded: [] };
  if (!results.some((r) => r.outcome === 'updated')) return summary;
  const added = [...new Set(results.flatMap((r) => r.kevAdded ?? []))];
  if (added.length) {
    const { rows } = await db.query<{ project_id: string; cve: string; n: number }>(
      `SELECT f.project_id, v.cve, count(*)::int AS n
         FROM findings f CROSS JOIN LATERAL jsonb_array_elements_text(f.data->'vulnerabilityIds') AS v(cve)
        WHERE v.cve = ANY($1::text[]) AND f.status = 'open'
        GROUP BY f.project_id, v.cve`,
      [added],
    );
    for (const r of rows) {
      await recordEvent(db, 'finding.kev_added', r.project_id, { cve: r.cve, findings: r.n, summary: `${r.cve} joined CISA's Known Exploited Vulnerabilities catalogue` }, now);
      summary.kevAdded.push({ projectId: r.project_id, cve: r.cve, findings: r.n });
    }
  }
  const { rows: latest } = await db.query<{ project_id: string; ref: string; id: string; tools: string[]; target_ref: string | null; verdict: { outcome: string } | null }>(
    `SELECT r.project_id, r.ref, s.id, s.tools, s.target_ref, s.verdict
       FROM refs r JOIN submissions s ON s.id = r.last_submission_id WHERE s.status = 'completed' ORDER BY r.project_id, r.ref`,
  );
  for (const s of latest) {
    await db.transaction(async (tx) => {
      const policy = await effectivePolicy(tx, s.project_id);
      const verdict = await assessSubmission(tx, { projectId: s.project_id, submissionId: s.id, ref: s.ref, targetRef: s.target_ref, toolsRun: s.tools, policy, now });
      summary.evaluated++;
      const from = s.verdict?.outcome ?? 'none';
      if (verdict.outcome === from) return;
      await tx.query(`UPDATE submissions SET verdict = $2 WHERE id = $1`, [s.id, JSON.stringify({ ...verdict, reassessedAt: now.toISOString(), previousOutcome: from })]);
      await recordEvent(tx, 'gate.changed', s.project_id, { submissionId: s.id, ref: s.ref, from, to: verdict.outcome, summary: `Verdict changed from ${from} to ${verdict.outcome} after a vulnerability-data update: ${verdict.summary}` }, now);
      summary.changed.push({ projectId: s.project_id, ref: s.ref, submissionId: s.id, from, to: verdict.outcome });
    });
  }
  return summary;
}
