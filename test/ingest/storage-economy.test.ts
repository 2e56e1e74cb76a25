// What migration 0014 changed in how ingest stores findings, and what must not change for readers:
// an unchanged finding is not rewritten, an occurrence equal to its finding stores no copy yet keeps
// the view it had when the finding later changes, "last seen" still advances, and deleting a project,
// a submission or a ref still takes the rows that hang off them. On PGlite and PostgreSQL.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { scanners } from '../../integrations/index.js';
import { ingestSubmission } from '../../src/ingest/submit.js';
import { submissionFindings } from '../../src/assess/assess.js';
import { findingRefStates, getFinding, queryFindings } from '../../src/store/repositories/findings.js';
import { createProject } from '../../src/store/repositories/projects.js';
import type { Database } from '../../src/store/db.js';
import { projectRoot } from '../helpers/corpus.js';
import { describeEachBackend } from '../helpers/db.js';
import { openTestDatabase } from '../helpers/db.js';

type TrivyReport = { Results: { Target: string; Vulnerabilities: { VulnerabilityID: string; Title?: string; Description?: string }[] }[] };
const demoTrivy = () => JSON.parse(readFileSync(join(projectRoot, 'test/apps/demo-reports/trivy-image.json'), 'utf8')) as TrivyReport;

describeEachBackend('ingest storage (migration 0014)', (backend) => {
  let db: Database;
  let projectId: string;
  beforeEach(async () => {
    db = await openTestDatabase(backend);
    projectId = (await db.transaction((tx) => createProject(tx, 'team/storage', 'test'))).id;
  });
  afterEach(async () => {
    await db.close();
  });

  const submit = (report: TrivyReport, ref = 'main') =>
    ingestSubmission({ db, scanners }, { projectId, ref, reports: [{ filename: 'trivy.json', content: Buffer.from(JSON.stringify(report)) }], actor: 'test' });
  const rowVersions = async () =>
    new Map((await db.query<{ id: string; v: string }>(`SELECT id, xmin::text AS v FROM findings WHERE project_id = $1`, [projectId])).rows.map((r) => [r.id, r.v]));

  it('does not rewrite unchanged findings on re-submission, and stores each single-tool view once', async () => {
    const report = demoTrivy();
    const first = await submit(report);
    const before = await rowVersions();
    expect(before.size).toBe(first.counts.total);

    const again = await submit(report);
    expect(again.counts).toMatchObject({ new: 0, existing: first.counts.total, fixed: 0 });
    expect(await rowVersions()).toEqual(before);

    const { rows } = await db.query<{ copies: number; occurrences: number }>(
      `SELECT count(data)::int AS copies, count(*)::int AS occurrences FROM occurrences WHERE submission_id = ANY($1::uuid[])`,
      [[first.id, again.id]],
    );
    expect(rows[0]).toEqual({ copies: 0, occurrences: 2 * first.counts.total });
    // Readers see the finding's data through the NULL.
    const views = (await submissionFindings(db, again.id)).findings;
    expect(views.size).toBe(first.counts.total);
    for (const v of views.values()) expect(v.finding.title).toBeTruthy();
  });

  it('keeps what an earlier submission reported when the tool later reports the finding differently', async () => {
    const original = demoTrivy();
    const vuln = original.Results.flatMap((r) => r.Vulnerabilities)[0]!;
    const first = await submit(original);
    const changed = demoTrivy();
    const target = changed.Results.flatMap((r) => r.Vulnerabilities).find((v) => v.VulnerabilityID === vuln.VulnerabilityID)!;
    target.Title = 'A title the scanner database rewrote';
    const before = await rowVersions();
    const second = await submit(changed);
    expect(second.counts.new).toBe(0);

    const after = await rowVersions();
    const rewritten = [...after].filter(([id, v]) => before.get(id) !== v);
    expect(rewritten).toHaveLength(1);
    const [findingId] = rewritten[0]!;
    expect((await getFinding(db, findingId))!.title).toBe('A title the scanner database rewrote');
    expect((await submissionFindings(db, second.id)).findings.get(findingId)!.finding.title).toBe('A title the scanner database rewrote');
    // The first submission still shows what was reported then: its occurrence got its own copy before the change.
    expect((await submissionFindings(db, first.id)).findings.get(findingId)!.finding.title).toBe(vuln.Title);
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM occurrences WHERE finding_id = $1 AND data IS NOT NULL`, [findingId]);
    expect(rows[0]!.n).toBe(1);
  });

  it('advances "last seen" with every submission that reports the finding, on any ref', async () => {
    const report = demoTrivy();
    await submit(report);
    const firstSeen = (await queryFindings(db, projectId, { limit: 1 })).items[0]!;
    await new Promise((r) => setTimeout(r, 20));
    const later = await submit(report, 'feature/x');
    const seen = (await getFinding(db, firstSeen.id))!;
    expect(seen.firstSeenAt).toBe(firstSeen.firstSeenAt);
    expect(seen.lastSeenAt).toBe(later.createdAt);
    expect(Date.parse(seen.lastSeenAt)).toBeGreaterThan(Date.parse(firstSeen.lastSeenAt));
    expect((await queryFindings(db, projectId, { limit: 500 })).items.every((f) => f.lastSeenAt === later.createdAt)).toBe(true);
  });

  it('keeps the last sighting when a later submission does not see the finding (its tool did not run, or it was fixed)', async () => {
    const report = demoTrivy();
    await submit(report);
    const seen = await submit(report);
    const semgrep = readFileSync(join(projectRoot, 'test/apps/demo-reports/semgrep.json'));
    const other = await ingestSubmission({ db, scanners }, { projectId, ref: 'main', reports: [{ filename: 'semgrep.json', content: semgrep }], actor: 'test' });
    expect(other.counts.fixed).toBe(0);
    const trivyFinding = (await queryFindings(db, projectId, { tool: 'trivy', limit: 1 })).items[0]!;
    expect((await getFinding(db, trivyFinding.id))!.lastSeenAt).toBe(seen.createdAt);
    expect((await findingRefStates(db, projectId, trivyFinding.id)).map((r) => [r.ref, r.state, r.lastSeenSubmission])).toEqual([['main', 'open', seen.id]]);

    // Fixed: the report without that vulnerability; its last sighting stays the submission before.
    const vulnId = trivyFinding.vulnerabilityIds[0]!;
    const without = demoTrivy();
    for (const r of without.Results) r.Vulnerabilities = r.Vulnerabilities.filter((v) => v.VulnerabilityID !== vulnId);
    const fixing = await submit(without);
    expect(fixing.counts.fixed).toBeGreaterThan(0);
    const states = await findingRefStates(db, projectId, trivyFinding.id);
    expect(states.map((r) => [r.state, r.lastSeenSubmission, r.fixedInSubmission])).toEqual([['fixed', seen.id, fixing.id]]);
    // Others are seen by the fixing submission.
    const still = (await queryFindings(db, projectId, { tool: 'trivy', limit: 500 })).items.filter((f) => !f.vulnerabilityIds.includes(vulnId));
    expect(still.length).toBeGreaterThan(0);
    expect(still.every((f) => f.lastSeenAt === fixing.createdAt)).toBe(true);
  });

  it('removes occurrences, ref history and aliases with their submission, ref or project', async () => {
    const report = demoTrivy();
    const main = await submit(report);
    await submit(report, 'feature/x');
    const count = async (table: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
    expect(await count('finding_aliases')).toBeGreaterThan(0);

    await db.query(`UPDATE refs SET last_submission_id = NULL WHERE last_submission_id = $1`, [main.id]);
    await db.query(`DELETE FROM submissions WHERE id = $1`, [main.id]);
    expect(await count('occurrences')).toBe(main.counts.total);

    await db.query(`DELETE FROM refs WHERE project_id = $1 AND ref = 'feature/x'`, [projectId]);
    expect((await db.query<{ ref: string }>(`SELECT DISTINCT ref FROM ref_findings`)).rows).toEqual([{ ref: 'main' }]);

    await db.query(`DELETE FROM projects WHERE id = $1`, [projectId]);
    for (const table of ['findings', 'occurrences', 'ref_findings', 'finding_aliases']) expect(await count(table)).toBe(0);
  });
});
