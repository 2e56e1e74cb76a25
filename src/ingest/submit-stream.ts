// Ingest of reports too large to hold whole (issue #12: a 500 MB report in bounded memory). The same
// steps and the same single transaction as ingestSubmission, with what grows with the report kept in
// PostgreSQL instead of the heap:
//   1. each report's bytes stream from the upload store through the JSON splitter, a batch of items
//      at a time, into normalised findings (parse-stream.ts);
//   2. the findings go to a staging table of the transaction, keyed by what makes items one finding
//      (the vulnerability key — package, version, target — or else the fingerprint);
//   3. the staging table is read back in windows of whole keys, and each window is merged, written,
//      classified and assessed exactly as an in-memory report is (WindowWriter).
// Memory is then one window and one batch, whatever the report's size; the verdict and counts equal
// those of the in-memory path (tested on the same reports).
import { ReportFormatError } from '../errors.js';
import type { Finding } from '../domain/finding.js';
import { vulnerabilityKey } from '../domain/identity.js';
import { ReportInput } from '../plugins/report-input.js';
import { concatChunks } from './upload.js';
import type { Queryable } from '../store/db.js';
import { disambiguateRepeatedCode, parseReport, type ParsedReport } from './parse-report.js';
import { detectStreamedReport, streamReport, type OpenChunks, type StreamedReport } from './parse-stream.js';
import { beginSubmission, finishSubmission, ingestOnce, requestHash, type IngestDeps, type ReportSummary, type RequestFields, type SubmissionResult } from './submit.js';

/** A stored report, read a chunk at a time through the transaction's connection. */
export interface StoredReport {
  filename: string;
  tool?: string | undefined;
  sha256: Buffer;
  chunks: (q: Queryable) => AsyncIterable<Buffer>;
}

/** Items per window read back from staging (extended to the end of the last key). */
const WINDOW_ITEMS = 5_000;
/** Staged rows per INSERT. */
const STAGE_ROWS = 2_000;

type Reader = { kind: 'stream'; found: StreamedReport; open: OpenChunks } | { kind: 'whole'; parsed: ParsedReport };

/** How each report will be read: streamed when its plugin names its items, else whole (as small reports are). */
async function chooseReaders(deps: IngestDeps, tx: Queryable, reports: readonly StoredReport[]): Promise<Reader[]> {
  const readers: Reader[] = [];
  for (const r of reports) {
    const open: OpenChunks = () => r.chunks(tx);
    try {
      const found = await detectStreamedReport(deps.scanners, open, r.filename, r.tool);
      if (found?.plugin.streamItems?.length) {
        readers.push({ kind: 'stream', found, open });
        continue;
      }
      readers.push({ kind: 'whole', parsed: parseReport(deps.scanners, new ReportInput(await concatChunks(open()), r.filename), r.tool) });
    } catch (error) {
      if (error instanceof ReportFormatError) throw error.toAppError(r.filename);
      throw error;
    }
  }
  return readers;
}

class Staging {
  #seq = 0;
  /** The INSERT the server is running while the next batch is parsed (at most one). */
  #inFlight: Promise<unknown> | undefined;
  readonly #tx: Queryable;

  private constructor(tx: Queryable) {
    this.#tx = tx;
  }

  static async create(tx: Queryable): Promise<Staging> {
    // Dropped with the transaction, whatever its outcome. "C" collation: the windows page by byte order.
    await tx.query(`CREATE TEMP TABLE ingest_staging (group_key text COLLATE "C" NOT NULL, seq integer NOT NULL, report_index integer NOT NULL, data text NOT NULL) ON COMMIT DROP`);
    return new Staging(tx);
  }

  /** Sends the findings; returns once the previous batch is stored (a failure surfaces here or at the next call). */
  async add(findings: readonly Finding[], reportIndex: number): Promise<void> {
    for (let i = 0; i < findings.length; i += STAGE_ROWS) {
      const batch = findings.slice(i, i + STAGE_ROWS);
      const params = [batch.map((f) => vulnerabilityKey(f) ?? f.fingerprint), this.#seq, reportIndex, batch.map((f) => JSON.stringify(f)).join('\n')];
      this.#seq += batch.length;
      await this.#inFlight;
      const sent = this.#tx.query(
        `INSERT INTO ingest_staging (group_key, seq, report_index, data)
         SELECT x.group_key, $2 + x.n - 1, $3, x.data FROM unnest($1::text[], string_to_array($4::text, E'\\n')) WITH ORDINALITY AS x(group_key, data, n)`,
        params,
      );
      sent.catch(() => undefined); // awaited at the next call or in windows(): not an unhandled rejection meanwhile
      this.#inFlight = sent;
    }
  }

  /** The staged findings in windows that never split a key, in report order within a key. */
  async *windows(): AsyncGenerator<{ finding: Finding; reportIndex: number }[]> {
    await this.#inFlight;
    await this.#tx.query(`CREATE INDEX ON ingest_staging (group_key, seq)`);
    await this.#tx.query(`ANALYZE ingest_staging`);
    let last = '';
    for (;;) {
      const { rows } = await this.#tx.query<{ group_key: string; report_index: number; data: string }>(
        `SELECT group_key, report_index, data FROM ingest_staging
          WHERE group_key > $1 AND group_key <= (SELECT max(group_key) FROM (SELECT group_key FROM ingest_staging WHERE group_key > $1 ORDER BY group_key LIMIT $2) w)
          ORDER BY group_key, seq`,
        [last, WINDOW_ITEMS],
      );
      if (rows.length === 0) return;
      last = rows[rows.length - 1]!.group_key;
      yield rows.map((r) => ({ finding: JSON.parse(r.data) as Finding, reportIndex: r.report_index }));
    }
  }
}

/** The same code repeated in one file is told apart per report (parseReport does it over a whole report; a window holds each fingerprint's every item). */
function disambiguateByReport(window: { finding: Finding; reportIndex: number }[]): void {
  const byReport = new Map<number, Finding[]>();
  for (const { finding, reportIndex } of window) {
    const list = byReport.get(reportIndex);
    if (list) list.push(finding);
    else byReport.set(reportIndex, [finding]);
  }
  for (const findings of byReport.values()) disambiguateRepeatedCode(findings);
}

export async function ingestStoredSubmission(deps: IngestDeps, req: RequestFields & { reports: StoredReport[] }): Promise<SubmissionResult> {
  const hash = requestHash(req, req.reports);
  return ingestOnce(deps, req, hash, async () => {
    const result = await deps.db.transaction(async (tx) => {
      const readers = await chooseReaders(deps, tx, req.reports);
      const tools = [...new Set(readers.map((r) => (r.kind === 'stream' ? r.found.plugin.id : r.parsed.tool)))].sort();
      const run = await beginSubmission(tx, deps, req, hash, tools);
      const staging = await Staging.create(tx);
      const summaries: Omit<ReportSummary, 'duplicatesMerged'>[] = [];
      for (const [reportIndex, reader] of readers.entries()) {
        const filename = req.reports[reportIndex]!.filename;
        if (reader.kind === 'whole') {
          await staging.add(reader.parsed.findings, reportIndex);
          const { findings, ...summary } = reader.parsed;
          summaries.push({ filename, ...summary, findings: findings.length });
          continue;
        }
        try {
          const summary = await streamReport(reader.found, reader.open, filename, (findings) => staging.add(findings, reportIndex));
          summaries.push({ filename, ...summary });
        } catch (error) {
          if (error instanceof ReportFormatError) throw error.toAppError(filename);
          throw error;
        }
      }
      for await (const window of staging.windows()) {
        disambiguateByReport(window);
        await run.writer.addWindow(window);
      }
      const reports: ReportSummary[] = summaries.map((s, i) => ({
        filename: s.filename,
        tool: s.tool,
        format: s.format,
        toolVersion: s.toolVersion,
        findings: s.findings,
        duplicatesMerged: run.writer.duplicatesByReport.get(i) ?? 0,
        warnings: s.warnings,
        dbUpdatedAt: s.dbUpdatedAt,
        target: s.target,
      }));
      return finishSubmission(tx, deps, req, run, reports);
    });
    return { result, reports: result.reports };
  });
}
