// The `scanhub` command. Each subcommand is small; errors end in one line on stderr and an exit code.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, CommanderError } from 'commander';
import { scanners } from '../../integrations/index.js';
import { loadConfig, ConfigError } from '../config/load.js';
import { AppError, ReportFormatError } from '../errors.js';
import { parseReport } from '../ingest/parse-report.js';
import { decodeUpload } from '../ingest/upload.js';
import { createLogger } from '../logger.js';
import { ReportInput } from '../plugins/report-input.js';
import { startServer } from '../server.js';
import { EXIT } from './exit-codes.js';
import { apiGet, fetchScanConfig, submitReports } from './submit.js';
import { registerCiCommand } from './ci.js';
import { registerDataCommands } from './data-commands.js';
import { isReportFormat, REPORT_FORMATS } from '../reports/render.js';
import { parsePolicy, PolicyError } from '../domain/policy/parse.js';
import { formatVerdict, gateReports } from '../assess/offline-gate.js';
import { openDatabase, type Database } from '../store/db.js';
import { audit } from '../store/audit.js';
import { loadSecretBox } from '../security/keyring.js';
import { generateSecretKey } from '../security/secrets.js';
import { rotateSealedSecrets, sealedByKey } from '../store/repositories/integrations.js';
import { migrate } from '../store/migrate.js';
import { createToken, ROLES, type Role } from '../security/tokens.js';
import { getProject } from '../store/repositories/projects.js';

/** An expiry given as "90d" or an ISO date/time; in the future. */
function parseExpiry(value: string): Date {
  const days = /^(\d{1,5})d$/.exec(value);
  const date = days ? new Date(Date.now() + Number(days[1]) * 86_400_000) : new Date(value);
  if (Number.isNaN(date.getTime())) fail(EXIT.usage, `--expires: "${value}" is neither a date (2027-01-31) nor a number of days (90d)`);
  if (date.getTime() <= Date.now()) fail(EXIT.usage, '--expires is in the past');
  return date;
}

/** Opens the configured database, migrated, for one command. */
async function withDatabase<T>(fn: (db: Database) => Promise<T>, config = loadConfig()): Promise<T> {
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(database);
    return await fn(database);
  } finally {
    await database.close();
  }
}

class CliExit extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

function fail(code: number, message: string): never {
  throw new CliExit(code, message);
}

export function buildProgram(): Command {
  const program = new Command();
  program.name('scanhub').description('Security-findings hub for CI/CD').exitOverride().showHelpAfterError();

  program
    .command('serve')
    .description('Run the HTTP API, pages and workers (PORT, DATABASE_URL, SCANHUB_DATA_DIR …)')
    .option('--port <port>', 'port to listen on (overrides PORT)')
    .option('--role <role>', 'api (HTTP only), worker (jobs and schedules; probes and metrics only) or all (overrides SCANHUB_ROLE)')
    .action(async (opts: { port?: string; role?: string }) => {
      const config = loadConfig(process.env, { ...(opts.port ? { port: opts.port } : {}), ...(opts.role ? { role: opts.role } : {}) });
      const log = createLogger(config.logLevel);
      const running = await startServer(config, log);
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log.info({ signal }, 'shutting down');
          void running.close().then(resolve);
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });

  program
    .command('parse')
    .description('Parse a report into the findings model and print it as JSON (no server, no database)')
    .option('--tool <id>', `scanner plugin id (${scanners.map((s) => s.id).join(', ')}); detected when absent`)
    .argument('<file>', 'report file')
    .action((file: string, opts: { tool?: string }) => {
      let content: Buffer;
      try {
        content = readFileSync(file);
      } catch (error) {
        fail(EXIT.usage, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      try {
        const report = parseReport(scanners, new ReportInput(decodeUpload(content, basename(file), 2 ** 31 - 1), basename(file)), opts.tool);
        process.stdout.write(
          JSON.stringify({ tool: report.tool, format: report.format, toolVersion: report.toolVersion, findings: report.findings, warnings: report.warnings }, null, 2) + '\n',
        );
      } catch (error) {
        if (error instanceof ReportFormatError) {
          const where = error.pointer ? ` (at ${error.pointer})` : '';
          const supported = error.code === 'REPORT_FORMAT_UNKNOWN' ? ` Supported: ${scanners.map((s) => s.id).join(', ')}.` : '';
          fail(EXIT.usage, `${basename(file)}: ${error.message}${where}${supported}`);
        }
        if (error instanceof AppError) fail(EXIT.usage, error.message);
        throw error;
      }
    });

  program
    .command('submit')
    .description('Submit reports to a ScanHub server (SCANHUB_URL, SCANHUB_TOKEN)')
    .requiredOption('--project <project>', 'project name or id, e.g. team/app')
    .requiredOption('--ref <ref>', 'branch or ref the reports belong to')
    .option('--commit <sha>', 'commit SHA')
    .option('--tool <id>', 'scanner plugin id for all files (detected when absent)')
    .option('--target-ref <ref>', 'merge request target branch: "new" is measured against its latest submission')
    .option('--idempotency-key <key>', 'resubmitting with the same key returns the first result')
    .argument('<files...>', 'report files')
    .action(async (files: string[], opts: { project: string; ref: string; commit?: string; tool?: string; targetRef?: string; idempotencyKey?: string }) => {
      const config = loadConfig();
      if (!config.url) fail(EXIT.usage, 'SCANHUB_URL is not set (e.g. http://127.0.0.1:8080).');
      if (!config.token) fail(EXIT.usage, 'SCANHUB_TOKEN is not set.');
      const result = await submitReports({ url: config.url, token: config.token, files, ...opts });
      if (!result.ok) fail(result.exitCode, result.message);
      process.stdout.write(JSON.stringify(result.body, null, 2) + '\n');
    });

  program
    .command('gate')
    .description('Evaluate reports against a policy file, offline (no server, no database)')
    .requiredOption('--policy <file>', 'policy YAML (scanhub-policy.yml)')
    .option('--baseline <files...>', 'reports of the baseline (e.g. the target branch); "new" is measured against them')
    .option('--json', 'print the verdict as JSON')
    .option('--warn-exit-code <n>', 'exit code for a warn verdict (default 0)')
    .argument('<reports...>', 'report files')
    .action((files: string[], opts: { policy: string; baseline?: string[]; json?: boolean; warnExitCode?: string }) => {
      const warnCode = opts.warnExitCode === undefined ? EXIT.ok : Number(opts.warnExitCode);
      if (!Number.isInteger(warnCode) || warnCode < 0 || warnCode > 255) fail(EXIT.usage, '--warn-exit-code must be a number from 0 to 255');
      let policyText: string;
      try {
        policyText = readFileSync(opts.policy, 'utf8');
      } catch (error) {
        fail(EXIT.usage, `cannot read policy ${opts.policy}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      let policy;
      try {
        policy = parsePolicy(policyText);
      } catch (error) {
        if (error instanceof PolicyError) fail(EXIT.usage, `${opts.policy}: ${error.message}`);
        throw error;
      }
      const read = (file: string) => {
        let content: Buffer;
        try {
          content = readFileSync(file);
        } catch (error) {
          fail(EXIT.usage, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
        }
        try {
          return parseReport(scanners, new ReportInput(content, basename(file)));
        } catch (error) {
          if (error instanceof ReportFormatError) fail(EXIT.usage, `${basename(file)}: ${error.message}${error.pointer ? ` (at ${error.pointer})` : ''}`);
          throw error;
        }
      };
      const reports = files.map(read);
      const baseline = opts.baseline?.map(read);
      const verdict = gateReports(policy, reports, baseline, new Date());
      process.stdout.write(opts.json ? JSON.stringify(verdict, null, 2) + '\n' : formatVerdict(verdict));
      process.exitCode = verdict.outcome === 'fail' ? EXIT.fail : verdict.outcome === 'error' ? EXIT.error : verdict.outcome === 'warn' ? warnCode : EXIT.ok;
    });

  program
    .command('config')
    .description('Print the scan configuration of a project (SCANHUB_URL, SCANHUB_TOKEN)')
    .requiredOption('--project <project>', 'project name or id')
    .option('--format <format>', 'json or shell', 'json')
    .action(async (opts: { project: string; format: string }) => {
      if (!['json', 'shell'].includes(opts.format)) fail(EXIT.usage, '--format must be json or shell');
      const config = loadConfig();
      if (!config.url || !config.token) fail(EXIT.usage, 'SCANHUB_URL and SCANHUB_TOKEN must be set.');
      const result = await fetchScanConfig({ url: config.url, token: config.token, project: opts.project, format: opts.format as 'json' | 'shell' });
      if (!result.ok) fail(result.exitCode, result.message);
      process.stdout.write(result.body);
    });

  program
    .command('report')
    .description('Download a report: of a submission, or of a project\'s current state (SCANHUB_URL, SCANHUB_TOKEN)')
    .option('--submission <id>', 'submission id (printed by `scanhub submit`)')
    .option('--project <project>', 'project name or id (current state)')
    .option('--ref <ref>', 'with --project: the branch')
    .option('--format <format>', REPORT_FORMATS.join(', '), 'html')
    .requiredOption('-o, --output <file>', 'where to write the report ("-" for stdout)')
    .action(async (opts: { submission?: string; project?: string; ref?: string; format: string; output: string }) => {
      if (!isReportFormat(opts.format)) fail(EXIT.usage, `--format must be one of ${REPORT_FORMATS.join(', ')}`);
      if (Boolean(opts.submission) === Boolean(opts.project)) fail(EXIT.usage, 'give either --submission or --project');
      const config = loadConfig();
      if (!config.url || !config.token) fail(EXIT.usage, 'SCANHUB_URL and SCANHUB_TOKEN must be set.');
      const query = new URLSearchParams({ format: opts.format, ...(opts.ref ? { ref: opts.ref } : {}) });
      const path = opts.submission ? `/submissions/${encodeURIComponent(opts.submission)}/report?${query}` : `/projects/${encodeURIComponent(opts.project!)}/report?${query}`;
      const result = await apiGet({ url: config.url, token: config.token, path });
      if (!result.ok) fail(result.exitCode, result.message);
      if (opts.output === '-') process.stdout.write(result.body);
      else writeFileSync(opts.output, result.body);
    });

  const db = program.command('db').description('Database maintenance');
  db.command('migrate')
    .description('Apply pending migrations and exit')
    .action(async () => {
      const config = loadConfig();
      const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
      try {
        const applied = await migrate(database);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'up to date\n');
      } finally {
        await database.close();
      }
    });

  registerDataCommands(db);

  const token = program.command('token').description('API tokens (stored hashed; printed once)');
  token
    .command('create')
    .description('Create an API token and print it once')
    .requiredOption('--name <name>', 'what the token is for, e.g. "gitlab ci team/app"')
    .option('--role <role>', `one of ${ROLES.join(', ')}`, 'ci')
    .option('--project <project>', 'scope the token to one project')
    .option('--expires <when>', 'expiry: an ISO date (2027-01-31) or a duration in days (90d)')
    .action(async (opts: { name: string; role: string; project?: string; expires?: string }) => {
      if (!(ROLES as readonly string[]).includes(opts.role)) fail(EXIT.usage, `--role must be one of ${ROLES.join(', ')}`);
      const expiresAt = opts.expires === undefined ? null : parseExpiry(opts.expires);
      await withDatabase(async (database) => {
        const project = opts.project ? await getProject(database, opts.project) : undefined;
        const created = await database.transaction(async (tx) => {
          const t = await createToken(tx, { name: opts.name, role: opts.role as Role, projectId: project?.id ?? null, expiresAt });
          await audit(tx, { actor: 'cli', action: 'token.create', targetType: 'token', targetId: t.id, after: { name: opts.name, role: opts.role, project: project?.name ?? null, expiresAt: expiresAt?.toISOString() ?? null } });
          return t;
        });
        process.stdout.write(created.token + '\n');
      });
    });
  token
    .command('list')
    .description('List tokens (never their values)')
    .action(async () =>
      withDatabase(async (database) => {
        const { rows } = await database.query<{ id: string; name: string; role: string; token_prefix: string | null; expires_at: Date | null; revoked_at: Date | null }>(
          `SELECT id, name, role, token_prefix, expires_at, revoked_at FROM api_tokens ORDER BY created_at`,
        );
        for (const r of rows) {
          const state = r.revoked_at ? 'revoked' : r.expires_at && new Date(r.expires_at) < new Date() ? 'expired' : 'active';
          process.stdout.write(`${r.id}  ${(r.token_prefix ?? '').padEnd(12)}  ${r.role.padEnd(10)}  ${state.padEnd(7)}  ${r.name}\n`);
        }
      }),
    );
  token
    .command('revoke')
    .description('Revoke a token by id')
    .argument('<id>', 'token id (from `scanhub token list`)')
    .action(async (id: string) =>
      withDatabase(async (database) => {
        if (!/^[0-9a-f-]{36}$/i.test(id)) fail(EXIT.usage, 'the token id is a UUID, as `scanhub token list` prints it');
        const revoked = await database.transaction(async (tx) => {
          const { rows } = await tx.query<{ name: string }>(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING name`, [id]);
          if (rows[0]) await audit(tx, { actor: 'cli', action: 'token.revoke', targetType: 'token', targetId: id, before: { name: rows[0].name } });
          return rows[0];
        });
        if (!revoked) fail(EXIT.usage, `no active token ${id}`);
        process.stdout.write(`revoked ${id}\n`);
      }),
    );

  const secrets = program.command('secrets').description('The key that encrypts stored credentials');
  secrets
    .command('generate-key')
    .description('Print a new random key for SCANHUB_SECRET_KEY')
    .action(() => {
      process.stdout.write(generateSecretKey() + '\n');
    });
  secrets
    .command('status')
    .description('Show the current key id and how many stored values each key seals')
    .action(async () => {
      const config = loadConfig();
      const box = loadSecretBox(config, createLogger('warn'));
      await withDatabase(async (database) => {
        const counts = await sealedByKey(database);
        process.stdout.write(`current key: ${box?.currentKeyId ?? 'none (SCANHUB_SECRET_KEY unset)'}\n`);
        for (const [keyId, n] of Object.entries(counts)) {
          const note = keyId === box?.currentKeyId ? 'current' : box?.canDecrypt(keyId) ? 'old, readable: run `scanhub secrets rotate`' : 'UNREADABLE: key missing';
          process.stdout.write(`  ${keyId}: ${n} sealed (${note})\n`);
        }
      }, config);
    });
  secrets
    .command('rotate')
    .description('Re-encrypt every stored credential under SCANHUB_SECRET_KEY (old keys in SCANHUB_SECRET_KEYS_OLD)')
    .action(async () => {
      const config = loadConfig();
      const box = loadSecretBox(config, createLogger('warn'));
      if (!box) fail(EXIT.usage, 'set SCANHUB_SECRET_KEY (the new key) and SCANHUB_SECRET_KEYS_OLD (the previous ones) first');
      await withDatabase(async (database) => {
        const { rotated } = await rotateSealedSecrets(database, box);
        await audit(database, { actor: 'cli', action: 'secrets.rotate', targetType: 'secret-key', targetId: box.currentKeyId, after: { rotated } });
        const left = Object.entries(await sealedByKey(database)).filter(([k]) => k !== box.currentKeyId);
        process.stdout.write(`re-encrypted ${rotated} stored value(s) under key ${box.currentKeyId}\n`);
        if (left.length) fail(EXIT.error, `values still sealed under other keys: ${left.map(([k, n]) => `${k} (${n})`).join(', ')}`);
        process.stdout.write('no value is sealed under an old key any more: SCANHUB_SECRET_KEYS_OLD can be removed\n');
      }, config);
    });
  registerCiCommand(program);
  return program;
}

export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CliExit) {
      process.stderr.write(`scanhub: ${error.message}\n`);
      return error.code;
    }
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`scanhub: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof AppError) {
      process.stderr.write(`scanhub: ${error.message}\n`);
      return error.status < 500 ? EXIT.usage : EXIT.error;
    }
    process.stderr.write(`scanhub: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.error;
  }
}
