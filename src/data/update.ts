// Updating ScanHub's vulnerability data from its sources (or mirrors): conditional fetch → checksum
// → parse and validate → atomic install → record. A failure at any step leaves the installed set as
// it was and is recorded with its reason (and a data.update_failed event). Scheduled runs take a
// lease on a database row so that one worker across all instances updates at a time.
import { randomUUID } from 'node:crypto';
import { createOutbound, type Outbound } from '../security/outbound.js';
import type { Database } from '../store/db.js';
import { recordEvent } from '../store/events.js';
import { dataFreshness } from './enrich.js';
import { displayUrl, FetchError, fetchConditional, sha256, type FetchResult } from './fetch.js';
import { DataFormatError, parseSource } from './formats.js';
import { DATA_SOURCES, type DataOptions, type DataSource } from './options.js';
import {
  DataValidationError,
  installDataSet,
  markChecked,
  readFetchStates,
  readSources,
  recordUpdate,
  saveFetchStates,
  sourceLabel,
  type FetchState,
  type UpdateOutcome,
  type UpdateTrigger,
} from './store.js';

export interface UpdateResult {
  source: DataSource;
  outcome: UpdateOutcome;
  version?: string | undefined;
  rows?: number | undefined;
  checksum?: string | undefined;
  /** Why it failed, or why nothing changed ("not modified"). */
  reason?: string | undefined;
  /** KEV: CVE ids that joined the catalog with this update (re-assessment input). */
  kevAdded?: string[] | undefined;
}

export interface UpdateRequest {
  sources?: readonly DataSource[] | undefined;
  trigger?: UpdateTrigger | undefined;
  /** Accept a set much smaller than the installed one. */
  force?: boolean | undefined;
  now?: Date | undefined;
  /** Outbound HTTP; created from the options when absent. */
  outbound?: Outbound | undefined;
}

export function sourceUrls(options: DataOptions, source: DataSource): string[] {
  return source === 'kev' ? [options.kevUrl] : source === 'epss' ? [options.epssUrl] : [...options.osvUrls];
}

/** Updates the given sources (all by default) one after the other; never throws for a source's failure. */
export async function updateSources(db: Database, options: DataOptions, request: UpdateRequest = {}): Promise<UpdateResult[]> {
  const outbound = request.outbound ?? createOutbound({ outboundAllow: options.outboundAllow, caBundle: options.caBundle });
  // Mirror URLs come from the operator's configuration: trusted (not user-set through the API).
  // The size limit is enforced while streaming (fetchConditional), with its own message.
  const http = outbound.client({ userSet: false, timeoutMs: options.fetchTimeoutMs, maxContentLength: -1, decompress: true });
  const results: UpdateResult[] = [];
  for (const source of request.sources ?? DATA_SOURCES) {
    results.push(await updateOne(db, options, source, http, request));
  }
  return results;
}

async function updateOne(db: Database, options: DataOptions, source: DataSource, http: ReturnType<Outbound['client']>, request: UpdateRequest): Promise<UpdateResult> {
  const startedAt = request.now ?? new Date();
  const trigger = request.trigger ?? 'cli';
  const urls = sourceUrls(options, source);
  try {
    if (urls.length === 0) throw new DataValidationError(`${sourceLabel(source)}: no URL configured`);
    const states = await readFetchStates(db, urls);
    const installed = (await readSources(db)).find((s) => s.source === source)!;
    const fetchOptions = (url: string, conditional: boolean) => ({
      timeoutMs: options.fetchTimeoutMs,
      maxBytes: options.maxDownloadBytes,
      // Validators only while a set is installed: without one, a 304 would leave nothing to serve.
      ...(conditional && installed.generation ? { etag: states.get(url)?.etag, lastModified: states.get(url)?.lastModified } : {}),
    });
    let fetched: FetchResult[] = [];
    for (const url of urls) fetched.push(await fetchConditional(http, url, fetchOptions(url, true)));
    if (fetched.every((f) => f.status === 'not-modified')) {
      await db.transaction(async (tx) => {
        await markChecked(tx, source, startedAt);
        await recordUpdate(tx, { source, trigger, outcome: 'unchanged', version: installed.version ?? undefined, rows: installed.rows, checksum: installed.checksum ?? undefined, reason: 'not modified (304)', startedAt });
      });
      return { source, outcome: 'unchanged', version: installed.version ?? undefined, rows: installed.rows, checksum: installed.checksum ?? undefined, reason: 'not modified (304)' };
    }
    // Several URLs (OSV): one changed, so the set is rebuilt from all — fetch the unchanged ones in full.
    fetched = await Promise.all(fetched.map(async (f) => (f.status === 'ok' ? f : fetchConditional(http, f.url, fetchOptions(f.url, false)))));
    const bodies = fetched.map((f) => {
      if (f.status !== 'ok') throw new FetchError(`GET ${displayUrl(f.url)}: answered 304 to an unconditional request`);
      return f;
    });
    const checksum = bodies.length === 1 ? bodies[0]!.checksum : sha256(Buffer.from(bodies.map((b) => b.checksum).join('\n')));
    const newStates: FetchState[] = bodies.map((b) => ({ url: b.url, source, etag: b.etag, lastModified: b.lastModified, checksum: b.checksum }));
    if (installed.generation && installed.checksum === checksum) {
      await db.transaction(async (tx) => {
        await saveFetchStates(tx, newStates, startedAt);
        await markChecked(tx, source, startedAt);
        await recordUpdate(tx, { source, trigger, outcome: 'unchanged', version: installed.version ?? undefined, rows: installed.rows, checksum, reason: 'same content', startedAt });
      });
      return { source, outcome: 'unchanged', version: installed.version ?? undefined, rows: installed.rows, checksum, reason: 'same content' };
    }
    const set = parseSource(
      source,
      bodies.map((b) => ({ name: displayUrl(b.url).split('/').slice(-2).join('/'), body: b.body })),
      options.maxUncompressedBytes,
    );
    const installedNow = await db.transaction(async (tx) => {
      const result = await installDataSet(tx, set, { checksum, fetchedAt: startedAt, origin: 'download', minRatio: options.minKevRatio, force: request.force });
      // Validators are stored with the set they describe: a refused body is fetched again next time.
      await saveFetchStates(tx, newStates, startedAt);
      await recordUpdate(tx, { source, trigger, outcome: 'updated', version: set.version, rows: result.rows, checksum, startedAt });
      return result;
    });
    return { source, outcome: 'updated', version: set.version, rows: installedNow.rows, checksum, ...(source === 'kev' ? { kevAdded: installedNow.kevAdded } : {}) };
  } catch (error) {
    const known = error instanceof FetchError || error instanceof DataFormatError || error instanceof DataValidationError;
    const reason = oneLine(known ? (error as Error).message : `unexpected error: ${(error as Error).message}`);
    await recordUpdate(db, { source, trigger, outcome: 'failed', reason, startedAt }).catch(() => {});
    return { source, outcome: 'failed', reason };
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 1000);
}

// ─── One updater at a time ──────────────────────────────────────────────────────────────────────

export interface LockOptions {
  holder: string;
  now: Date;
  leaseMs: number;
  /** Scheduled runs: skip when a run finished less than this long ago. */
  minIntervalMs?: number | undefined;
}

/** Takes the update lease; false when another holder has it (or ran within minIntervalMs). */
export async function acquireUpdateLock(db: Database, lock: LockOptions): Promise<boolean> {
  const until = new Date(lock.now.getTime() + lock.leaseMs);
  const ranBefore = new Date(lock.now.getTime() - (lock.minIntervalMs ?? 0));
  const { rows } = await db.query<{ holder: string }>(
    `UPDATE data_update_lock SET holder = $1, locked_until = $2
      WHERE name = 'update' AND locked_until < $3 AND ($5::boolean IS FALSE OR last_run_at IS NULL OR last_run_at <= $4)
      RETURNING holder`,
    [lock.holder, until, lock.now, ranBefore, lock.minIntervalMs !== undefined],
  );
  return rows.length === 1;
}

/** Frees the lease; `lastRunAt` (scheduled runs) sets when the schedule counts from, null leaves it. */
export async function releaseUpdateLock(db: Database, holder: string, lastRunAt: Date | null): Promise<void> {
  await db.query(`UPDATE data_update_lock SET locked_until = '-infinity', last_run_at = COALESCE($2, last_run_at) WHERE name = 'update' AND holder = $1`, [holder, lastRunAt]);
}

export class UpdateRunningError extends Error {
  override name = 'UpdateRunningError';
  constructor() {
    super('Another vulnerability-data update is running; try again when it has finished.');
  }
}

/** A manual update (CLI, API): under the same lease, refused with UpdateRunningError while one runs. */
export async function runManualUpdate(db: Database, options: DataOptions, request: UpdateRequest = {}): Promise<UpdateResult[]> {
  const holder = `${request.trigger ?? 'cli'}:${randomUUID()}`;
  const now = request.now ?? new Date();
  if (!(await acquireUpdateLock(db, { holder, now, leaseMs: options.lockLeaseMs }))) throw new UpdateRunningError();
  try {
    return await updateSources(db, options, request);
  } finally {
    // A manual update does not move the schedule: the daily run of every source still happens.
    await releaseUpdateLock(db, holder, null);
  }
}

export type ScheduledRun = { ran: false; reason: string } | { ran: true; results: UpdateResult[] };

/**
 * The scheduler's entry point: every source, by at most one worker across instances. Skips when
 * another worker holds the lease or the last scheduled run is less than options.updateIntervalMs
 * old (so the scheduler may call it on every tick). After a run in which a source failed, the next
 * is due options.retryAfterMs later. A source still stale after the run raises data.stale.
 */
export async function runScheduledUpdate(db: Database, options: DataOptions, now: Date, extra: { outbound?: Outbound; holder?: string } = {}): Promise<ScheduledRun> {
  const holder = extra.holder ?? `schedule:${randomUUID()}`;
  if (!(await acquireUpdateLock(db, { holder, now, leaseMs: options.lockLeaseMs, minIntervalMs: options.updateIntervalMs }))) {
    return { ran: false, reason: 'another worker holds the update lock, or the last scheduled run is recent' };
  }
  let failed = true;
  try {
    const results = await updateSources(db, options, { trigger: 'schedule', now, outbound: extra.outbound });
    failed = results.some((r) => r.outcome === 'failed');
    for (const f of await dataFreshness(db, now, options.staleAfterMs)) {
      if (f.stale) await recordEvent(db, 'data.stale', null, { source: f.source, version: f.version, checkedAt: f.checkedAt, ageDays: f.ageDays });
    }
    return { ran: true, results };
  } finally {
    const countFrom = failed ? new Date(now.getTime() - options.updateIntervalMs + options.retryAfterMs) : now;
    await releaseUpdateLock(db, holder, countFrom);
  }
}
