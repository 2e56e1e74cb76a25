// Real ScanHub processes for tests: the built CLI (`dist/src/cli/bin.js serve`) on a free loopback
// port, with the environment given; started, probed, stopped (SIGTERM) or killed (SIGKILL).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from './corpus.js';
import { TEST_SECRET_KEY } from './app.js';
import { postgresUrl } from './db.js';

export const bin = join(projectRoot, 'dist/src/cli/bin.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 2xx. */
export async function waitFor(url: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

export interface Instance {
  child: ChildProcess;
  url: string;
  pid: number;
  /** Everything the process wrote (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown, no cleanup. */
  kill(): Promise<void>;
}

/** TEST_DATABASE_URL with every connection in `schema` (a test's or a benchmark's own). */
export function schemaUrl(schema: string): string {
  const url = new URL(postgresUrl!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/** A quiet instance's environment: the test key and an admin token; no demo project, no data downloads, no rate limit. */
export function quietEnv(databaseUrl: string, adminToken: string): NodeJS.ProcessEnv {
  return {
    DATABASE_URL: databaseUrl,
    SCANHUB_SECRET_KEY: TEST_SECRET_KEY,
    SCANHUB_ADMIN_TOKEN: adminToken,
    SCANHUB_DATA_AUTO_UPDATE: 'false',
    SCANHUB_DEMO: 'false',
    SCANHUB_API_RATE_LIMIT: '0',
  };
}

export async function startInstance(args: string[], env: NodeJS.ProcessEnv): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, [bin, 'serve', ...args], { env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([waitFor(`${url}/readyz`), exited.then((code) => Promise.reject(new Error(`scanhub ${args.join(' ')} exited ${code}:\n${out}`)))]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    child,
    url,
    pid: child.pid!,
    output: () => out,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
