// Regenerates the configuration table in README.md from the zod config schema (src/config/schema.ts).
// `npm run docs:config` writes it; test/contract/readme.test.ts fails when the README is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDocsTable, replaceConfigSection } from '../src/config/docs.js';
import { packageRoot } from '../src/paths.js';

const path = join(packageRoot, 'README.md');
const before = readFileSync(path, 'utf8');
const after = replaceConfigSection(before, configDocsTable());
if (after !== before) writeFileSync(path, after);
process.stdout.write(after === before ? 'README configuration table is up to date\n' : 'README configuration table regenerated\n');
