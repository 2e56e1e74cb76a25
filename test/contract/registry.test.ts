// Every registered plugin meets the interface: one conformance test over the registry.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../integrations/index.js';
import { ReportInput } from '../../src/plugins/report-input.js';
import { projectRoot } from '../helpers/corpus.js';

describe('scanner registry', () => {
  it('is alphabetical with unique kebab-case ids', () => {
    const ids = scanners.map((s) => s.id);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9-]*$/);
  });

  it('lists every folder under integrations/scanners and nothing else', () => {
    const folders = readdirSync(join(projectRoot, 'integrations/scanners'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(scanners.map((s) => s.id)).toEqual(folders);
  });

  for (const plugin of scanners) {
    describe(plugin.id, () => {
      const dir = join(projectRoot, 'integrations/scanners', plugin.id);

      it('declares its shape', () => {
        expect(plugin.kind).toBe('scanner');
        expect(plugin.name.length).toBeGreaterThan(0);
        expect(plugin.formats.length).toBeGreaterThan(0);
        for (const f of plugin.formats) {
          expect(f.id).toMatch(/^[a-z0-9][a-z0-9.-]*$/);
          expect(f.description.length).toBeGreaterThan(5);
        }
        // Item paths name array elements ("*" last) under keys; the readme says what is streamed.
        for (const pattern of plugin.streamItems ?? []) {
          expect(pattern.at(-1)).toBe('*');
          expect(pattern.every((seg) => typeof seg === 'string' && seg.length > 0)).toBe(true);
        }
        if (plugin.streamItems?.length) expect(readFileSync(join(dir, 'readme.md'), 'utf8')).toContain('## Large reports');
      });

      it('has a readme naming its formats and severity rule, and tests', () => {
        const readme = readFileSync(join(dir, 'readme.md'), 'utf8');
        expect(readme.toLowerCase()).toContain('severity');
        expect(readdirSync(dir).some((f) => f.endsWith('.test.ts'))).toBe(true);
        expect(existsSync(join(dir, 'schema.ts'))).toBe(true);
      });

      it('detect() never throws and declines what is not a report', () => {
        for (const text of ['', '{}', '[]', 'null', '<a/>', 'not a report', '{"foo":1}', '\u0000\u0001']) {
          expect(() => plugin.detect(new ReportInput(text))).not.toThrow();
        }
        expect(plugin.detect(new ReportInput('{"foo":1}'))).toBeNull();
        expect(plugin.detect(new ReportInput('not a report'))).toBeNull();
      });

      it('claims only formats it declares', () => {
        const declared = new Set(plugin.formats.map((f) => f.id));
        const fixtures = join(dir, 'fixtures');
        if (!existsSync(fixtures)) return;
        for (const file of readdirSync(fixtures)) {
          const detection = plugin.detect(new ReportInput(readFileSync(join(fixtures, file)), file));
          if (detection) expect(declared.has(detection.format), `${file}: ${detection.format}`).toBe(true);
        }
      });
    });
  }
});
