// The CLI scanners' own databases, updated where the scanners run: the command each tool documents
// for it, with a shared cache directory so a CI fleet fetches once (mirror it or mount it), and the
// outcome recorded beside Xray's sync status.
import { spawn } from 'node:child_process';
import type { Queryable } from '../store/db.js';

export const SCANNER_DB_TOOLS = ['trivy', 'grype', 'dependency-check'] as const;
export type ScannerDbTool = (typeof SCANNER_DB_TOOLS)[number];

/** argv and environment of each tool's database update, caching under `cacheDir` when given. */
export function updateCommand(tool: ScannerDbTool, cacheDir?: string): { argv: string[]; env: Record<string, string> } {
  switch (tool) {
    case 'trivy':
      return { argv: ['trivy', 'image', '--download-db-only', ...(cacheDir ? ['--cache-dir', cacheDir] : [])], env: {} };
    case 'grype':
      return { argv: ['grype', 'db', 'update'], env: cacheDir ? { GRYPE_DB_CACHE_DIR: cacheDir } : {} };
    case 'dependency-check':
      return { argv: ['dependency-check', '--updateonly', ...(cacheDir ? ['--data', cacheDir] : [])], env: {} };
  }
}

export interface ScannerUpdateResult {
  tool: ScannerDbTool;
  outcome: 'updated' | 'failed' | 'not-installed';
  reason?: string | undefined;
  ms: number;
}

function run(argv: string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutMs });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-2000)));
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ code: null, stderr: error.message, missing: error.code === 'ENOENT' }));
    child.on('close', (code) => resolve({ code, stderr, missing: false }));
  });
}

/** Runs the tool's update and records the outcome (instance "local" of this host or runner). */
export async function updateScannerDatabase(q: Queryable, tool: ScannerDbTool, options: { cacheDir?: string | undefined; timeoutMs?: number; now: () => Date }): Promise<ScannerUpdateResult> {
  const { argv, env } = updateCommand(tool, options.cacheDir);
  const started = Date.now();
  const r = await run(argv, env, options.timeoutMs ?? 30 * 60_000);
  const outcome: ScannerUpdateResult['outcome'] = r.missing ? 'not-installed' : r.code === 0 ? 'updated' : 'failed';
  const reason = outcome === 'updated' ? undefined : r.missing ? `${argv[0]} is not installed on this machine` : `exit ${r.code ?? 'timeout'}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`;
  const now = options.now();
  await q.query(
    `INSERT INTO scanner_databases (tool, instance, last_updated, state, sync_mode, detail, checked_at) VALUES ($1, 'local', $2, $3, 'cli', $4, $5)
     ON CONFLICT (tool, instance) DO UPDATE SET last_updated = COALESCE(EXCLUDED.last_updated, scanner_databases.last_updated), state = EXCLUDED.state, detail = EXCLUDED.detail, checked_at = EXCLUDED.checked_at`,
    [tool, outcome === 'updated' ? now : null, outcome, JSON.stringify({ command: argv.join(' '), reason: reason ?? null }), now],
  );
  return { tool, outcome, reason, ms: Date.now() - started };
}
