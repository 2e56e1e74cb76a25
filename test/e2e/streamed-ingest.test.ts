// Reports too large to hold whole (issue #12): the upload is stored in chunks (gzip inflated as it is
// stored), and a worker reads it item by item into a staging table and writes it window by window.
// The journey: the same reports ingested in memory into one project and streamed into another give
// the same findings, counts, duplicates and verdict — on a first submission, on a second one that
// fixes and adds findings, and on a merge request counted against its target branch; an unreadable
// streamed report fails the upload with its reason and leaves nothing behind.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { scanners } from '../../integrations/index.js';
import { semgrepReport, sarifReport, trivyReport, xraySummary } from '../../bench/generate.js';
import { createIngestHandler, INGEST_QUEUE } from '../../src/ingest/async.js';
import { startWorker, type Worker } from '../../src/jobs/queue.js';
import { startTestApp, submissionForm, type TestApp } from '../helpers/app.js';
import { describeEachBackend, tableCounts } from '../helpers/db.js';

/** A Trivy report whose second Result repeats part of the first (duplicates merged within the report). */
function trivyWithRepeats(n: number, keep: (i: number) => boolean = () => true): string {
  const doc = JSON.parse(trivyReport(n)) as { Results: { Target: string; Vulnerabilities: unknown[] }[] };
  const vulns = doc.Results[0]!.Vulnerabilities.filter((_, i) => keep(i));
  doc.Results[0]!.Vulnerabilities = vulns;
  doc.Results.push({ ...doc.Results[0]!, Vulnerabilities: vulns.filter((_, i) => i % 5 === 0) });
  return JSON.stringify(doc);
}

interface Submission {
  id: string;
  status: string;
  counts: { new: number; existing: number; fixed: number; reopened: number; total: number };
  reports: { tool: string; findings: number; duplicatesMerged: number; warnings: unknown[] }[];
  verdict: { outcome: string; summary: string; reasons: string[]; counts: Record<string, number>; rules: { id: string; matched: number; findings: { fingerprint: string }[] }[] } | null;
}

describeEachBackend('streamed ingestion of large reports', (backend) => {
  let app: TestApp;
  let worker: Worker;
  beforeAll(async () => {
    // Everything goes to the worker, and the worker streams everything above 1 byte.
    app = await startTestApp(backend, { env: { SCANHUB_ASYNC_INGEST_ABOVE: '1b' } });
    worker = startWorker(app.db, { [INGEST_QUEUE]: createIngestHandler({ db: app.db, scanners, streamAbove: 1 }) }, { id: 'stream-test', autostart: false });
    for (const name of ['whole', 'streamed']) {
      await app.api('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
    }
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await app?.close();
  });

  /**
   * After work that held the event loop (an in-process drain or ingest) longer than the server's
   * keep-alive timeout, both ends' overdue timers must run and close the idle sockets before the next
   * request picks one of them (else: ECONNRESET).
   */
  const settle = () => new Promise((r) => setTimeout(r, 100));
  const get = async (id: string): Promise<Submission> => {
    await settle();
    return (await (await app.api(`/api/v1/submissions/${id}`)).json()) as Submission;
  };

  /** Through the API (every upload goes to the worker) and the worker (which streams every report). */
  async function submit(project: string, fields: Record<string, string>, files: { name: string; content: string | Buffer }[]): Promise<Submission> {
    const res = await app.api(`/api/v1/projects/${project}/submissions`, { method: 'POST', body: submissionForm(fields, files) });
    expect(res.status, await res.clone().text()).toBe(202);
    const { id } = (await res.json()) as { id: string };
    expect(await worker.drain()).toBe(1);
    return get(id);
  }

  async function findingsOf(project: string) {
    const { rows } = await app.db.query<{ fingerprint: string; severity: string; tools: string[]; data_hash: string; state: string | null }>(
      `SELECT f.fingerprint, f.severity, f.tools, f.data_hash, r.state FROM findings f JOIN projects p ON p.id = f.project_id
         LEFT JOIN ref_findings r ON r.finding_id = f.id AND r.ref = 'main'
        WHERE p.name = $1 ORDER BY f.fingerprint`,
      [project],
    );
    return rows;
  }

  const comparable = (s: Submission) => ({
    counts: s.counts,
    reports: s.reports.map((r) => ({ tool: r.tool, findings: r.findings, duplicatesMerged: r.duplicatesMerged, warnings: r.warnings })),
    verdict: { outcome: s.verdict!.outcome, summary: s.verdict!.summary, reasons: s.verdict!.reasons, counts: s.verdict!.counts, rules: s.verdict!.rules.map((r) => [r.id, r.matched, r.findings.map((f) => f.fingerprint)]) },
  });

  /** The same request, ingested in memory (through the in-process pipeline) and streamed (through the worker). */
  async function both(fields: Record<string, string>, files: { name: string; content: string }[]) {
    const { ingestSubmission } = await import('../../src/ingest/submit.js');
    const { rows } = await app.db.query<{ id: string }>(`SELECT id FROM projects WHERE name = 'whole'`);
    const whole = await ingestSubmission(
      { db: app.db, scanners },
      { projectId: rows[0]!.id, ref: fields.ref!, targetRef: fields.targetRef, actor: 'test', reports: files.map((f) => ({ filename: f.name, content: Buffer.from(f.content) })) },
    );
    await settle();
    const streamed = await submit('streamed', fields, files);
    expect(streamed.status).toBe('completed');
    expect(comparable(streamed)).toEqual(comparable(whole as unknown as Submission));
    expect(await findingsOf('streamed')).toEqual(await findingsOf('whole'));
    return streamed;
  }

  it('gives the same findings, counts, duplicates and verdict as an in-memory ingest, submission after submission', async () => {
    const first = await both({ ref: 'main' }, [
      { name: 'trivy.json', content: trivyWithRepeats(6_000) },
      { name: 'semgrep.json', content: semgrepReport(2_500) },
      { name: 'results.sarif', content: sarifReport(1_500) },
      { name: 'xray.json', content: xraySummary(2_000) },
    ]);
    expect(first.counts.total).toBeGreaterThan(10_000);
    expect(first.reports[0]!.duplicatesMerged).toBeGreaterThan(0);
    // The next run: a tenth of the Trivy findings fixed, Semgrep's grown, SARIF not run.
    const second = await both({ ref: 'main' }, [
      { name: 'trivy.json', content: trivyWithRepeats(6_000, (i) => i % 10 !== 3) },
      { name: 'semgrep.json', content: semgrepReport(3_000) },
      { name: 'xray.json', content: xraySummary(2_000) },
    ]);
    expect(second.counts.fixed).toBe(600);
    expect(second.counts.new).toBe(500);
    // A merge request is counted against its target branch.
    const mr = await both({ ref: 'feature', targetRef: 'main' }, [{ name: 'trivy.json', content: trivyWithRepeats(6_000) }]);
    expect(mr.counts.reopened + mr.counts.new).toBeGreaterThan(0);
  }, 300_000);

  it('stores a gzip upload inflated, a chunk at a time, and ingests it', async () => {
    const report = trivyReport(3_000);
    const sub = await submit('streamed', { ref: 'gz' }, [{ name: 'trivy.json.gz', content: gzipSync(report) }]);
    expect(sub.status).toBe('completed');
    expect(sub.reports[0]).toMatchObject({ tool: 'trivy', findings: 3_000 });
  }, 120_000);

  it('fails an unreadable streamed report with where it broke, and writes nothing', async () => {
    const before = await tableCounts(app.db);
    const broken = trivyReport(50).replace('"VulnerabilityID":"CVE-2024-10030"', '"VulnerabilityID":CVE');
    const res = await app.api('/api/v1/projects/streamed/submissions', { method: 'POST', body: submissionForm({ ref: 'main' }, [{ name: 'trivy.json', content: broken }]) });
    const { id } = (await res.json()) as { id: string };
    await worker.drain();
    const failed = (await get(id)) as unknown as { status: string; error: { code: string; message: string } };
    expect(failed.status).toBe('failed');
    expect(failed.error.code).toBe('REPORT_MALFORMED');
    expect(failed.error.message).toContain('/Results/0/Vulnerabilities/30');
    const after = await tableCounts(app.db);
    for (const table of ['submissions', 'findings', 'occurrences', 'ref_findings', 'events']) expect(after[table], table).toBe(before[table]);
  }, 60_000);
});
