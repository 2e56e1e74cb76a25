// Every plugin ships written fixtures for 0, 1 and many findings (empty*, one*, many*): they parse
// with the plugin, without warnings unless the fixture is about a skipped item, to the promised count.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../integrations/index.js';
import { parseReport } from '../../src/ingest/parse-report.js';
import { ReportInput } from '../../src/plugins/report-input.js';
import { projectRoot } from '../helpers/corpus.js';

describe('written fixtures', () => {
  for (const plugin of scanners) {
    it(`${plugin.id} has empty, one and many fixtures that parse to 0, 1 and ≥ 2 findings`, () => {
      const dir = join(projectRoot, 'integrations/scanners', plugin.id, 'fixtures');
      const files = readdirSync(dir);
      for (const [prefix, check] of [['empty', (n: number) => n === 0], ['one', (n: number) => n === 1], ['many', (n: number) => n >= 2]] as const) {
        const matching = files.filter((f) => f.startsWith(prefix));
        expect(matching.length, `${plugin.id}: no ${prefix}* fixture`).toBeGreaterThan(0);
        for (const file of matching) {
          const report = parseReport(scanners, new ReportInput(readFileSync(join(dir, file)), file));
          expect(report.tool, `${plugin.id}/${file}`).toBe(plugin.id);
          expect(check(report.findings.length), `${plugin.id}/${file}: ${report.findings.length} findings`).toBe(true);
        }
      }
    });
  }
});
