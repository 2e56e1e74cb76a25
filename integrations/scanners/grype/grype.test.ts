// Grype parser: corpus MANIFEST assertions (DefectDojo, analysis-model), then written fixtures.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanners } from '../../index.js';
import { parseReport, type ParsedReport } from '../../../src/ingest/parse-report.js';
import { ReportInput } from '../../../src/plugins/report-input.js';
import { corpusInput, describeCorpus } from '../../../test/helpers/corpus.js';

const corpus = (file: string): ParsedReport => parseReport(scanners, corpusInput('anchore_grype', file));
const fixture = (file: string): ParsedReport => parseReport(scanners, new ReportInput(readFileSync(join(import.meta.dirname, 'fixtures', file)), file));
const unique = (r: ParsedReport) => new Set(r.findings.map((f) => f.fingerprint)).size;

describeCorpus('grype on the corpus', () => {
  it('no_vuln.json and the empty golden: 0 (DefectDojo)', () => {
    expect(corpus('no_vuln.json').findings).toHaveLength(0);
    expect(corpus('TestEmptyJsonPresenter.golden').findings).toHaveLength(0);
  });

  it('check_all_fields.json: 6 matches, 5 findings after ingest merges the repeated Django match (DefectDojo: 5)', () => {
    const r = corpus('check_all_fields.json');
    expect(r.findings).toHaveLength(6);
    expect(unique(r)).toBe(5);
    const krb = r.findings.find((f) => f.ruleId === 'CVE-2004-0971')!;
    expect(krb).toMatchObject({ severity: 'info', toolSeverity: 'Negligible', vulnerabilityIds: ['CVE-2004-0971'], package: { name: 'libgssapi-krb5-2', version: '1.17-3+deb10u3' } });
    const redis = r.findings.find((f) => f.ruleId === 'CVE-2021-32626')!;
    expect(redis).toMatchObject({ severity: 'high', vulnerabilityIds: ['CVE-2021-32626'], package: { name: 'redis', version: '4.0.2' }, fixedVersions: ['fix_1', 'fix_2'] });
    expect(redis.cvss?.map((c) => c.vector)).toContain('CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H');
    for (const pkg of ['libc-bin', 'libc6']) {
      expect(r.findings.find((f) => f.ruleId === 'CVE-2021-33574' && f.package?.name === pkg)).toMatchObject({ severity: 'critical', package: { version: '2.28-10' } });
    }
    const django = r.findings.filter((f) => f.ruleId === 'GHSA-v6rh-hp5x-86rv');
    expect(django).toHaveLength(2);
    // DefectDojo lists [GHSA, CVE]; ScanHub orders CVE first so the alias group's CVE is canonical.
    expect(django[0]).toMatchObject({ severity: 'high', vulnerabilityIds: ['CVE-2021-44420', 'GHSA-v6rh-hp5x-86rv'], fixedVersions: ['3.2.10'], package: { name: 'Django', version: '3.2.9' } });
  });

  it('the fabricated id variants keep exactly the related ids they list (DefectDojo re-import tests)', () => {
    expect(corpus('check_all_fields_with_ids_fabricated.json').findings[0]!.vulnerabilityIds).toEqual(['CVE-2021-44420', 'GHSA-v6rh-hp5x-86rv']);
    expect(corpus('check_all_fields_no_ids_fabricated.json').findings[0]!.vulnerabilityIds).toEqual(['GHSA-v6rh-hp5x-86rv']);
    expect(corpus('check_all_fields_different_ids_fabricated.json').findings[0]!.vulnerabilityIds).toEqual(['CVE-2021-1234', 'CVE-2021-5678', 'GHSA-v6rh-hp5x-86rv']);
  });

  it('same_cve_different_paths.json: 2 matches, one finding in the image after ingest (DefectDojo: 1 with 2 occurrences)', () => {
    const r = corpus('same_cve_different_paths.json');
    expect(r.findings).toHaveLength(2);
    expect(new Set(r.findings.map((f) => f.location?.path))).toEqual(new Set(['/usr/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libc.so.6']));
    expect(unique(r)).toBe(1);
  });

  it('fix_not_available.json / issue_9942.json: 1, no fixed versions (DefectDojo)', () => {
    for (const file of ['fix_not_available.json', 'issue_9942.json']) {
      const r = corpus(file);
      expect(r.findings).toHaveLength(1);
      expect(r.findings[0]!.fixedVersions).toEqual([]);
    }
  });

  it('many_vulns.json: 1509 (DefectDojo), CVE-2011-3389 medium in libgnutls-openssl27', () => {
    const r = corpus('many_vulns.json');
    expect(r.findings).toHaveLength(1509);
    expect(r.findings.every((f) => f.vulnerabilityIds.length >= 1)).toBe(true);
    const beast = r.findings.find((f) => f.ruleId === 'CVE-2011-3389' && f.package?.name === 'libgnutls-openssl27')!;
    expect(beast).toMatchObject({ severity: 'medium', vulnerabilityIds: ['CVE-2011-3389'], package: { version: '3.6.7-4+deb10u5' }, location: { path: '/var/lib/dpkg/status' } });
    expect(r.toolVersion).toBe('0.7.0');
  });

  it('many_vulns3.json: 327, many_vulns4.json: 9 (DefectDojo)', () => {
    const r3 = corpus('many_vulns3.json');
    expect(r3.findings).toHaveLength(327);
    expect(r3.findings.find((f) => f.ruleId === 'CVE-2011-3389' && f.package?.name === 'libgnutls30')).toMatchObject({ severity: 'medium', package: { version: '3.6.7-4+deb10u5' } });
    const r4 = corpus('many_vulns4.json');
    expect(r4.findings).toHaveLength(9);
    expect(r4.findings.find((f) => f.ruleId === 'CVE-1999-1338')).toMatchObject({ severity: 'medium', vulnerabilityIds: ['CVE-1999-1338'], package: { name: 'delegate', version: '3.2.0' } });
  });

  it('many_vulns_with_epss_values.json: 15 matches; EPSS stays out of the model', () => {
    const r = corpus('many_vulns_with_epss_values.json');
    expect(r.findings).toHaveLength(15);
    expect(JSON.stringify(r.findings)).not.toContain('epss');
  });

  it('grype-report-wo-description.json: 33 (analysis-model), gitea GHSA critical, curl without description', () => {
    const r = corpus('grype-report-wo-description.json');
    expect(r.findings).toHaveLength(33);
    expect(r.findings.find((f) => f.ruleId === 'GHSA-pg38-r834-g45j')).toMatchObject({ severity: 'critical', location: { path: '/usr/local/bin/environment-to-ini' }, package: { name: 'code.gitea.io/gitea', version: '(devel)' } });
    expect(r.findings.find((f) => f.ruleId === 'CVE-2023-38039')).toMatchObject({ severity: 'high', package: { name: 'curl', version: '8.2.1-r0' }, location: { path: '/lib/apk/db/installed' } });
  });

  it('presenter goldens: image and directory sources', () => {
    const img = corpus('TestJsonImgsPresenter.golden');
    expect(img.findings).toHaveLength(2);
    expect(img.findings[0]!.location?.image).toBeDefined();
    const dir = corpus('TestJsonDirsPresenter.golden');
    expect(dir.findings).toHaveLength(2);
    expect(dir.findings.every((f) => f.location?.image === undefined)).toBe(true);
    expect(img.findings.find((f) => f.ruleId === 'CVE-1999-0001')).toMatchObject({ severity: 'low', fixedVersions: ['1.2.1', '2.1.3', '3.4.0'] });
  });
});

describe('grype fixtures', () => {
  it('0 findings', () => {
    expect(fixture('empty.json')).toMatchObject({ tool: 'grype', format: 'grype-json', toolVersion: '0.79.0', findings: [] });
  });

  it('field by field, the severity rule, and a skipped match', () => {
    const r = fixture('many.json');
    expect(r.dbUpdatedAt).toBe('2026-11-19T01:31:08Z');
    expect(r.target).toBe('registry.example.test/team/app:1.4');
    expect(r.findings).toHaveLength(3);
    expect(r.findings[0]).toMatchObject({
      ruleId: 'GHSA-8q59-q68h-6hv4',
      severity: 'critical',
      vulnerabilityIds: ['CVE-2020-14343', 'GHSA-8q59-q68h-6hv4'],
      package: { name: 'PyYAML', version: '5.3', ecosystem: 'python', purl: 'pkg:pypi/pyyaml@5.3' },
      fixedVersions: ['5.4'],
      location: { path: '/app/requirements.txt', image: 'registry.example.test/team/app:1.4', layer: 'sha256:abc' },
      references: ['https://github.com/advisories/GHSA-8q59-q68h-6hv4', 'https://nvd.nist.gov/vuln/detail/CVE-2020-14343'],
    });
    expect(r.findings[0]!.cvss).toHaveLength(2);
    expect(r.findings[1]).toMatchObject({ severity: 'high', toolSeverity: 'Unknown', fixedVersions: [] }); // Unknown: CVSS 7.5 decides
    expect(r.findings[2]).toMatchObject({ severity: 'info', toolSeverity: 'Negligible' }); // Negligible stays info
    expect(r.warnings).toEqual([{ pointer: '/matches/3', message: 'Skipped a match without vulnerability.id or artifact.name.' }]);
  });
});
