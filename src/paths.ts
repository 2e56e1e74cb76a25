// The package root, found from this module whether it runs from src/ (tsx, vitest) or dist/src/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'migrations'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`ScanHub package root not found above ${start}`);
    dir = parent;
  }
}

export const packageRoot = findRoot(dirname(fileURLToPath(import.meta.url)));
export const migrationsDir = join(packageRoot, 'migrations');
export const templatesDir = join(packageRoot, 'templates');
export const demoDir = join(packageRoot, 'test', 'apps', 'demo-reports');

/** ScanHub's own version, from package.json (reports and the API description carry it). */
export const scanhubVersion: string = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
