import { describe, expect, it } from 'vitest';
import type { StoredFinding } from '../../store/repositories/findings.js';
import { buildSarif, exportSarif, httpUrl, sarifLevel, securitySeverityScore, toUriReference, type SarifLog } from './sarif.js';
import { allFindings, awsSecret, baseContext, hostileFinding, infoFinding, npmGhsa, opensslCve, pypiNoPath, semgrepSqli } from '../../../test/helpers/export-fixtures.js';
import { sarifValidator, schemasAvailable } from '../../../test/helpers/export-schemas.js';

const validate = schemasAvailable ? sarifValidator() : undefined;

function parse(findings: readonly StoredFinding[]): SarifLog {
  return JSON.parse(exportSarif(findings, baseContext).body) as SarifLog;
}

function resultFor(log: SarifLog, f: StoredFinding) {
  const r = log.runs[0].results.find((x) => x.partialFingerprints['scanhub/v1'] === f.fingerprint);
  if (!r) throw new Error(`no result for ${f.ruleId}`);
  return r;
}

describe('sarif helpers', () => {
  it('maps severity to level', () => {
    expect(sarifLevel('critical')).toBe('error');
    expect(sarifLevel('high')).toBe('error');
    expect(sarifLevel('medium')).toBe('warning');
    expect(sarifLevel('low')).toBe('note');
    expect(sarifLevel('info')).toBe('note');
  });

  it('uses the highest CVSS score, else the severity bucket', () => {
    expect(securitySeverityScore(opensslCve)).toBe(9.1);
    expect(securitySeverityScore({ severity: 'high', cvss: undefined })).toBe(8.0);
    expect(securitySeverityScore({ severity: 'low', cvss: [{ version: '3.1' }] })).toBe(3.0);
  });

  it('turns paths into relative URI references', () => {
    expect(toUriReference('src/db/orders.ts')).toBe('src/db/orders.ts');
    expect(toUriReference('./src/a b.ts')).toBe('src/a%20b.ts');
    expect(toUriReference('src\\win\\x.cs')).toBe('src/win/x.cs');
    expect(toUriReference('C:/work/x.ts')).toBe('C%3A/work/x.ts');
    expect(toUriReference('shop:1.4')).toBe('shop%3A1.4');
    expect(toUriReference('registry.example.com/shop:1.4')).toBe('registry.example.com/shop:1.4');
    expect(toUriReference('src/100%.ts')).toBe('src/100%25.ts');
    expect(toUriReference('')).toBeUndefined();
    expect(toUriReference('src/caf\u00e9.ts')).toBe('src/caf%C3%A9.ts');
    expect(toUriReference('bad\uD800.ts')).toBe('bad%EF%BF%BD.ts');
    expect(toUriReference('file:///src/my dir/a%20b.js')).toBe('file:///src/my%20dir/a%20b.js');
  });

  it('accepts only absolute http(s) URLs as help links', () => {
    expect(httpUrl('https://nvd.nist.gov/vuln/detail/CVE-2024-0727')).toBe('https://nvd.nist.gov/vuln/detail/CVE-2024-0727');
    expect(httpUrl('javascript:alert(1)')).toBeUndefined();
    expect(httpUrl('/relative')).toBeUndefined();
  });
});

describe('exportSarif', () => {
  const out = exportSarif(allFindings, baseContext);
  const log = JSON.parse(out.body) as SarifLog;
  const run = log.runs[0];

  it.skipIf(!validate)('is valid against the SARIF 2.1.0 schema (mixed and empty)', () => {
    expect(validate!(log), validate!.errorsText()).toBe(true);
    expect(validate!(parse([])), validate!.errorsText()).toBe(true);
  });

  it.skipIf(!validate)('detects an invalid log (the validator is live)', () => {
    const broken = structuredClone(log) as unknown as { runs: { results: { level: string }[] }[] };
    broken.runs[0]!.results[0]!.level = 'fatal';
    expect(validate!(broken)).toBe(false);
    const badUri = structuredClone(log) as unknown as { runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
    badUri.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation.uri = 'a b|c';
    expect(validate!(badUri)).toBe(false);
  });

  it('has one run from the ScanHub driver with one rule per ruleId', () => {
    expect(out.contentType).toMatch(/^application\/sarif\+json/);
    expect(out.fileExtension).toBe('sarif');
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    expect(run.tool.driver.name).toBe('ScanHub');
    expect(run.tool.driver.semanticVersion).toBe('0.1.0');
    const ids = run.tool.driver.rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(new Set(allFindings.map((f) => f.ruleId)).size);
    expect(run.results).toHaveLength(allFindings.length);
    for (const r of run.results) expect(run.tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
    expect(run.automationDetails.id).toBe('scanhub/shop/sub-42');
  });

  it('gives rules a security-severity string, security and CWE tags, and an http helpUri', () => {
    const rule = (id: string) => run.tool.driver.rules.find((r) => r.id === id)!;
    expect(rule('CVE-2024-0727').properties['security-severity']).toBe('9.1');
    expect(rule('GHSA-952p-6rrq-rcjv').properties['security-severity']).toBe('8.0');
    expect(rule(semgrepSqli.ruleId).properties['security-severity']).toBe('5.5');
    expect(rule('=cmd|calc').properties['security-severity']).toBe('3.0');
    expect(rule('DS002').properties['security-severity']).toBe('0.0');
    for (const r of run.tool.driver.rules) {
      expect(r.properties['security-severity']).toMatch(/^\d+\.\d$/);
      expect(r.properties.tags).toContain('security');
    }
    expect(rule(semgrepSqli.ruleId).properties.tags).toContain('external/cwe/cwe-89');
    expect(rule('CVE-2024-0727').helpUri).toBe('https://nvd.nist.gov/vuln/detail/CVE-2024-0727');
    expect(rule('=cmd|calc').helpUri).toBeUndefined(); // javascript: reference dropped
    expect(rule('CVE-2024-0727').shortDescription.text).toBe(opensslCve.title);
    expect(rule('CVE-2024-0727').defaultConfiguration.level).toBe('error');
  });

  it('maps severity to level on every result', () => {
    expect(resultFor(log, opensslCve).level).toBe('error');
    expect(resultFor(log, npmGhsa).level).toBe('error');
    expect(resultFor(log, semgrepSqli).level).toBe('warning');
    expect(resultFor(log, hostileFinding).level).toBe('note');
    expect(resultFor(log, infoFinding).level).toBe('note');
  });

  it('locates results by path and region, or by image / manifest when there is no path', () => {
    const sqli = resultFor(log, semgrepSqli).locations![0]!;
    expect(sqli.physicalLocation).toEqual({
      artifactLocation: { uri: 'src/db/orders.ts' },
      region: { startLine: 42, endLine: 44, startColumn: 5, endColumn: 31 },
    });
    const image = resultFor(log, opensslCve).locations![0]!;
    expect(image.physicalLocation).toEqual({ artifactLocation: { uri: 'registry.example.com/shop:1.4' } });
    expect(image.logicalLocations).toContainEqual({ name: 'registry.example.com/shop:1.4', kind: 'image' });
    expect(resultFor(log, npmGhsa).locations![0]!.physicalLocation?.artifactLocation.uri).toBe('package-lock.json');
    expect(resultFor(log, pypiNoPath).locations![0]!.physicalLocation?.artifactLocation.uri).toBe('requirements.txt');
    // Path without a known line: no region; startLine 0 is "unknown", not line 0.
    expect(resultFor(log, infoFinding).locations![0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'Dockerfile' } });
    expect(resultFor(log, hostileFinding).locations![0]!.physicalLocation?.region).toBeUndefined();
    expect(resultFor(log, awsSecret).locations![0]!.physicalLocation?.region).toEqual({ startLine: 3 });
  });

  it('carries fingerprints, tools, ids and package in the result', () => {
    const r = resultFor(log, opensslCve);
    expect(r.partialFingerprints).toEqual({ 'scanhub/v1': opensslCve.fingerprint });
    expect(r.properties).toMatchObject({
      tools: ['trivy', 'grype'],
      sources: ['trivy', 'grype'],
      vulnerabilityIds: ['CVE-2024-0727'],
      package: opensslCve.package,
      fixedVersions: ['3.0.13'],
    });
    expect(r.message.text.split('\n')[0]).toBe(opensslCve.title);
    expect(r.message.text).toContain('Fixed in: 3.0.13');
    expect(resultFor(log, infoFinding).properties.tools).toEqual(['trivy']); // falls back to the finding's tool
  });

  it.skipIf(!validate)('stays schema-valid for awkward paths, images and packages', () => {
    const odd: StoredFinding[] = [
      { ...semgrepSqli, fingerprint: '2'.repeat(64), location: { path: 'C:\\work\\my app\\ü.ts', startLine: 7, startColumn: 0 } },
      { ...opensslCve, fingerprint: '3'.repeat(64), location: { image: 'localhost:5000/shop@sha256:abcdef' } },
      { ...pypiNoPath, fingerprint: '4'.repeat(64), package: { name: 'org.apache:log4j core', version: '2.14.1' } },
      { ...infoFinding, fingerprint: '5'.repeat(64), location: { resource: 'aws_s3_bucket.logs' } },
      { ...infoFinding, fingerprint: '6'.repeat(64), location: undefined },
    ];
    const built = buildSarif(odd, baseContext);
    expect(validate!(built), validate!.errorsText()).toBe(true);
    const uris = built.runs[0].results.map((r) => r.locations?.[0]?.physicalLocation?.artifactLocation.uri);
    // Order: critical, then the two mediums by rule id (PYSEC… < javascript…), then the infos.
    expect(uris).toEqual(['localhost%3A5000/shop@sha256:abcdef', 'org.apache%3Alog4j%20core@2.14.1', 'C%3A/work/my%20app/%C3%BC.ts', 'aws_s3_bucket.logs', undefined]);
    expect(built.runs[0].results[2]!.locations?.[0]?.physicalLocation?.region).toEqual({ startLine: 7 });
  });

  it('marks triaged findings as suppressed', () => {
    const accepted = { ...semgrepSqli, status: 'accepted_risk' as const };
    const r = buildSarif([accepted], baseContext).runs[0].results[0]!;
    expect(r.suppressions).toEqual([{ kind: 'external', status: 'accepted', justification: 'Risk accepted in ScanHub' }]);
    expect(buildSarif([semgrepSqli], baseContext).runs[0].results[0]!.suppressions).toBeUndefined();
    if (validate) expect(validate(buildSarif([accepted], baseContext)), validate.errorsText()).toBe(true);
  });

  it('uses the worst severity of a shared rule for its level and score', () => {
    const low = { ...semgrepSqli, severity: 'low' as const, fingerprint: '2'.repeat(64) };
    const high = { ...semgrepSqli, severity: 'high' as const, fingerprint: '3'.repeat(64) };
    const rules = buildSarif([low, high], baseContext).runs[0].tool.driver.rules;
    expect(rules).toHaveLength(1);
    expect(rules[0]!.defaultConfiguration.level).toBe('error');
    expect(rules[0]!.properties['security-severity']).toBe('8.0');
  });

  it('is deterministic and independent of input order', () => {
    expect(exportSarif([...allFindings].reverse(), baseContext).body).toBe(out.body);
  });
});
