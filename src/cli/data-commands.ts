// `scanhub db update|bundle|import|status|keygen`: ScanHub's own vulnerability data from the CLI.
// A refusal (bad bundle, bad key, an update already running) is an AppError with status < 500,
// which run() prints as one line on stderr with exit code 2; a source that failed to update sets
// exit code 3 after every result is printed.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { BundleError, createBundle, generateDataKeyPair, importBundle } from '../data/bundle.js';
import { dataFreshness } from '../data/enrich.js';
import { DataKeyError, dataOptionsFromConfig, DATA_SOURCES, isDataSource, type DataConfigFields, type DataOptions } from '../data/options.js';
import { runManualUpdate, UpdateRunningError, type UpdateResult } from '../data/update.js';
import { AppError } from '../errors.js';
import { openDatabase, type Database } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { EXIT } from './exit-codes.js';
import { syncXrayDatabases } from '../data/scanner-db.js';
import { reassessAfterUpdate } from '../data/reassess.js';
import { SCANNER_DB_TOOLS, updateScannerDatabase, type ScannerDbTool } from '../data/scanner-updates.js';
import { loadSecretBox } from '../security/keyring.js';
import { createOutbound } from '../security/outbound.js';
import { createLogger } from '../logger.js';

export interface DataCommandDeps {
  /** The data settings; default: from loadConfig(). */
  options?: () => DataOptions;
  /** Opens the configured database, migrated; default: loadConfig() → openDatabase → migrate. */
  openDatabase?: () => Promise<Database>;
  /** Where output goes; default process.stdout. */
  write?: (text: string) => void;
  /** The clock (tests). */
  now?: () => Date;
}

function usage(message: string): never {
  throw new AppError('VALIDATION_FAILED', message.replace(/\s+/g, ' ').trim());
}

/** Adds the data subcommands to the `db` command group. */
export function registerDataCommands(db: Command, deps: DataCommandDeps = {}): void {
  const options = deps.options ?? (() => dataOptionsFromConfig(loadConfig() as Config & DataConfigFields));
  const write = deps.write ?? ((text: string) => void process.stdout.write(text));
  const now = deps.now ?? (() => new Date());
  const open =
    deps.openDatabase ??
    (async () => {
      const config = loadConfig();
      const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
      try {
        await migrate(database);
      } catch (error) {
        await database.close();
        throw error;
      }
      return database;
    });
  const withDb = async <T>(fn: (database: Database) => Promise<T>): Promise<T> => {
    const database = await open();
    try {
      return await fn(database);
    } catch (error) {
      if (error instanceof BundleError || error instanceof DataKeyError) usage(error.message);
      if (error instanceof UpdateRunningError) throw new AppError('CONFLICT', error.message);
      throw error;
    } finally {
      await database.close();
    }
  };

  db.command('update')
    .description('Update ScanHub\'s vulnerability data (CISA KEV, FIRST EPSS, OSV) from the configured URLs')
    .option('--source <source>', `${DATA_SOURCES.join(', ')} or all`, 'all')
    .option('--force', 'accept a set much smaller than the installed one')
    .option('--json', 'print the results as JSON')
    .option('--tool <tool>', "instead: update a scanner's own database — xray (DB sync on every JFrog integration), trivy, grype or dependency-check (their update command on this machine)")
    .option('--cache-dir <dir>', 'with --tool trivy|grype|dependency-check: the shared database cache (mount or mirror it for a CI fleet)')
    .action(async (opts: { source: string; force?: boolean; json?: boolean; tool?: string; cacheDir?: string }) => {
      if (opts.tool !== undefined && (SCANNER_DB_TOOLS as readonly string[]).includes(opts.tool)) {
        const result = await withDb((database) => updateScannerDatabase(database, opts.tool as ScannerDbTool, { cacheDir: opts.cacheDir, now }));
        write(opts.json ? JSON.stringify({ results: [result] }, null, 2) + '\n' : `${result.tool}: ${result.outcome}${result.reason ? ` (${result.reason})` : ''} in ${result.ms} ms\n`);
        if (result.outcome !== 'updated') process.exitCode = EXIT.error;
        return;
      }
      if (opts.tool !== undefined) {
        if (opts.tool !== 'xray') usage(`--tool must be xray, ${SCANNER_DB_TOOLS.join(', ')}`);
        const config = loadConfig();
        const results = await withDb((database) =>
          syncXrayDatabases(database, { secrets: loadSecretBox(config, createLogger('warn')), outbound: createOutbound(config) }, { trigger: true, now: now() }),
        );
        write(opts.json ? JSON.stringify({ results }, null, 2) + '\n' : results.map((r) => `xray ${r.instance}: ${r.outcome}${r.lastUpdated ? `, data updated ${r.lastUpdated}` : ''}${r.reason ? ` (${r.reason})` : ''}\n`).join('') || 'no JFrog integration configured\n');
        if (results.some((r) => r.outcome === 'failed')) process.exitCode = EXIT.error;
        return;
      }
      if (opts.source !== 'all' && !isDataSource(opts.source)) usage(`--source must be one of ${DATA_SOURCES.join(', ')} or all`);
      const sources = opts.source === 'all' ? DATA_SOURCES : DATA_SOURCES.filter((s) => s === opts.source);
      const { results, reassessed } = await withDb(async (database) => {
        const updated = await runManualUpdate(database, options(), { sources, trigger: 'cli', force: opts.force, now: now() });
        return { results: updated, reassessed: await reassessAfterUpdate(database, updated, now()) };
      });
      write(
        opts.json
          ? JSON.stringify({ results, reassessed }, null, 2) + '\n'
          : results.map(describeResult).join('') +
              (reassessed.evaluated ? `re-assessed ${reassessed.evaluated} verdict(s): ${reassessed.changed.length} changed, ${reassessed.kevAdded.length} KEV addition(s) in projects\n` : ''),
      );
      if (results.some((r) => r.outcome === 'failed')) process.exitCode = EXIT.error;
    });

  db.command('status')
    .description('Show each vulnerability-data source: version, dates, rows, checksum, age and last outcome')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const o = options();
      const items = await withDb((database) => dataFreshness(database, now(), o.staleAfterMs));
      if (opts.json) return write(JSON.stringify({ items }, null, 2) + '\n');
      for (const f of items) {
        const age = f.ageDays === null ? 'never loaded' : `${f.ageDays} d old${f.stale ? ' (STALE)' : ''}`;
        write(
          `${f.source.padEnd(5)} ${(f.version ?? '-').padEnd(28)} rows ${String(f.rows).padStart(7)}  ${age}` +
            `  fetched ${f.fetchedAt ?? '-'}  sha256 ${f.checksum?.slice(0, 12) ?? '-'}` +
            (f.lastOutcome ? `  last: ${f.lastOutcome}${f.lastReason ? ` (${f.lastReason})` : ''}` : '') +
            '\n',
        );
      }
    });

  db.command('bundle')
    .description('Pack every installed source with a signed manifest for an offline installation (SCANHUB_DATA_SIGNING_KEY)')
    .requiredOption('-o, --output <file>', 'bundle file to write, e.g. bundle.tar.gz')
    .action(async (opts: { output: string }) => {
      const o = options();
      if (!o.signingKey) usage('SCANHUB_DATA_SIGNING_KEY is not set: it signs the bundle (`scanhub db keygen` makes a key pair).');
      const { bundle, manifest } = await withDb((database) => createBundle(database, { signingKey: o.signingKey!, now: now() }));
      try {
        writeFileSync(opts.output, bundle);
      } catch (error) {
        usage(`cannot write ${opts.output}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      write(`wrote ${opts.output} (${bundle.length} bytes): ${manifest.sources.map((s) => `${s.source} ${s.version} (${s.rows} rows)`).join(', ')}\n`);
    });

  db.command('import')
    .description('Verify a signed bundle against SCANHUB_DATA_PUBLIC_KEY and install its data')
    .argument('<bundle>', 'bundle file made by `scanhub db bundle`')
    .option('--force', 'accept data older than installed (the signature is always checked)')
    .action(async (file: string, opts: { force?: boolean }) => {
      const o = options();
      if (!o.publicKey) usage('SCANHUB_DATA_PUBLIC_KEY is not set: it verifies bundles (`scanhub db keygen` makes a key pair).');
      let content: Buffer;
      try {
        content = readFileSync(file);
      } catch (error) {
        usage(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      const result = await withDb((database) =>
        importBundle(database, content, { publicKey: o.publicKey, maxUncompressedBytes: o.maxUncompressedBytes, minRatio: o.minKevRatio, force: opts.force, now: now() }),
      );
      write(`imported bundle created ${result.createdAt}: ${result.sources.map((s) => `${s.source} ${s.version} (${s.rows} rows, ${s.outcome})`).join(', ')}\n`);
    });

  db.command('keygen')
    .description('Print a new Ed25519 key pair for signing bundles: SCANHUB_DATA_SIGNING_KEY (private) and SCANHUB_DATA_PUBLIC_KEY')
    .option('--pem <prefix>', 'also write <prefix>.key (private, 0600) and <prefix>.pub PEM files')
    .action((opts: { pem?: string }) => {
      const pair = generateDataKeyPair();
      if (opts.pem) {
        writeFileSync(`${opts.pem}.key`, pair.privatePem, { mode: 0o600 });
        writeFileSync(`${opts.pem}.pub`, pair.publicPem);
      }
      write(`SCANHUB_DATA_SIGNING_KEY=${pair.privateKey}\nSCANHUB_DATA_PUBLIC_KEY=${pair.publicKey}\n`);
    });
}

function describeResult(r: UpdateResult): string {
  const detail =
    r.outcome === 'failed'
      ? `FAILED: ${r.reason ?? 'unknown'} (installed data kept)`
      : `${r.outcome}${r.version ? ` ${r.version}` : ''}${r.rows !== undefined ? `, ${r.rows} rows` : ''}${r.reason ? ` (${r.reason})` : ''}` +
        (r.kevAdded?.length ? `, ${r.kevAdded.length} new in KEV` : '');
  return `${r.source.padEnd(5)} ${detail}\n`;
}
