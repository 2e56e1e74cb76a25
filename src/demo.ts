// The demo project a newcomer sees on first start: real reports shipped in test/apps/demo-reports
// (output of the real scanners run on the sample apps there), submitted through the real pipeline.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoDir } from './paths.js';
import type { ScannerPlugin } from './plugins/scanner.js';
import type { Database } from './store/db.js';
import { createProject, findProject } from './store/repositories/projects.js';
import { ingestSubmission } from './ingest/submit.js';
import { detectTool } from './ingest/parse-report.js';
import { ReportInput } from './plugins/report-input.js';

export const DEMO_PROJECT = 'demo/shop';

/** Seeds the demo project once; returns its name when it did, undefined when it existed already. */
export async function seedDemo(db: Database, scanners: readonly ScannerPlugin[], dir = demoDir): Promise<string | undefined> {
  if (!existsSync(dir) || (await findProject(db, DEMO_PROJECT))) return undefined;
  const files = readdirSync(dir).filter((f) => /\.(json|xml|sarif)$/.test(f)).sort();
  const reports = files.map((f) => ({ filename: f, content: readFileSync(join(dir, f)) }));
  // Only what a registered plugin reads: the demo must never stop the server from starting.
  const supported = reports.filter((r) => detectTool(scanners, new ReportInput(r.content, r.filename)));
  if (supported.length === 0) return undefined;
  const project = await db.transaction((tx) => createProject(tx, DEMO_PROJECT, 'system:demo'));
  await ingestSubmission({ db, scanners }, { projectId: project.id, ref: 'main', reports: supported, actor: 'system:demo' });
  return project.name;
}
