import { describe, expect, it } from 'vitest';
import { EXPORT_FORMATS, exportCsv, exportFindings, exportJson, exportJunit, exportSarif, gitlabContainerScanning, gitlabDependencyScanning, gitlabSast } from './index.js';
import { allFindings, baseContext } from '../../../test/helpers/export-fixtures.js';

describe('exportFindings', () => {
  it('dispatches every listed format to its exporter', () => {
    const expected = {
      csv: exportCsv(allFindings, baseContext),
      json: exportJson(allFindings, baseContext),
      sarif: exportSarif(allFindings, baseContext),
      junit: exportJunit(allFindings, baseContext),
      'gitlab-container-scanning': gitlabContainerScanning(allFindings, baseContext),
      'gitlab-dependency-scanning': gitlabDependencyScanning(allFindings, baseContext),
      'gitlab-sast': gitlabSast(allFindings, baseContext),
    };
    expect([...EXPORT_FORMATS].sort()).toEqual(Object.keys(expected).sort());
    for (const format of EXPORT_FORMATS) expect(exportFindings(format, allFindings, baseContext)).toEqual(expected[format]);
    // The three GitLab reports differ from each other.
    expect(new Set(EXPORT_FORMATS.map((f) => exportFindings(f, allFindings, baseContext).body)).size).toBe(EXPORT_FORMATS.length);
  });

  it('throws on an unknown format, naming the valid ones', () => {
    expect(() => exportFindings('xlsx', allFindings, baseContext)).toThrow(
      'Unknown export format "xlsx": use one of csv, json, sarif, junit, gitlab-container-scanning, gitlab-dependency-scanning, gitlab-sast.',
    );
    expect(() => exportFindings('toString', [], baseContext)).toThrow(/Unknown export format/);
  });
});
