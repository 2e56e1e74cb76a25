import { describe, expect, it } from 'vitest';
import type { StoredFinding } from '../../store/repositories/findings.js';
import {
  gitlabContainerScanning,
  gitlabDependencyScanning,
  gitlabSast,
  gitlabTimestamp,
  gitlabVulnerabilityId,
  vulnerabilityIdentifier,
  type GitlabReport,
} from './gitlab.js';
import { allFindings, awsSecret, baseContext, hostileFinding, infoFinding, npmGhsa, opensslCve, pypiNoPath, semgrepSqli } from '../../../test/helpers/export-fixtures.js';
import { gitlabValidator, schemasAvailable } from '../../../test/helpers/export-schemas.js';

const validators = schemasAvailable
  ? {
      sast: gitlabValidator('sast'),
      'container-scanning': gitlabValidator('container-scanning'),
      'dependency-scanning': gitlabValidator('dependency-scanning'),
    }
  : undefined;

const reports = [
  ['container-scanning', gitlabContainerScanning, 'container_scanning'],
  ['dependency-scanning', gitlabDependencyScanning, 'dependency_scanning'],
  ['sast', gitlabSast, 'sast'],
] as const;

function parse(body: string): GitlabReport {
  return JSON.parse(body) as GitlabReport;
}

describe('gitlab helpers', () => {
  it('derives a stable RFC 4122 v5 UUID from the fingerprint', () => {
    const id = gitlabVulnerabilityId(opensslCve.fingerprint);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(gitlabVulnerabilityId(opensslCve.fingerprint)).toBe(id);
    expect(gitlabVulnerabilityId(npmGhsa.fingerprint)).not.toBe(id);
    // Cross-checked with Python: uuid.uuid5(UUID('6f1c5b8e-3d2a-4c7e-9b1f-2a8d4e6c0b13'), 'a' * 64).
    expect(id).toBe('27d2d1e0-48c2-5165-8b8f-1fb9875434dd');
    expect(gitlabVulnerabilityId(semgrepSqli.fingerprint)).toBe('16d2dab9-bbac-5b5c-b8ae-73090aa0ab7c');
  });

  it('formats times without zone or fraction', () => {
    expect(gitlabTimestamp(new Date('2024-03-01T12:34:56.789Z'))).toBe('2024-03-01T12:34:56');
  });

  it('types CVE, GHSA and other advisory ids', () => {
    expect(vulnerabilityIdentifier('CVE-2024-0727')).toEqual({
      type: 'cve',
      name: 'CVE-2024-0727',
      value: 'CVE-2024-0727',
      url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-0727',
    });
    expect(vulnerabilityIdentifier('GHSA-952p-6rrq-rcjv')).toMatchObject({ type: 'ghsa', url: 'https://github.com/advisories/GHSA-952p-6rrq-rcjv' });
    expect(vulnerabilityIdentifier('PYSEC-2023-74')).toMatchObject({ type: 'pysec', url: 'https://osv.dev/vulnerability/PYSEC-2023-74' });
  });
});

describe.each(reports)('gitlab %s report', (kind, exporter, scanType) => {
  const validate = validators?.[kind];

  it.skipIf(!validate)('is schema-valid for an empty list and for the mixed fixtures', () => {
    for (const findings of [[], allFindings]) {
      const doc = parse(exporter(findings, baseContext).body);
      expect(validate!(doc), validate!.errorsText()).toBe(true);
    }
  });

  it.skipIf(!validate)('the validator rejects a broken report (it is live)', () => {
    const doc = parse(exporter(allFindings, baseContext).body) as unknown as { scan: { start_time: string } };
    doc.scan.start_time = baseContext.generatedAt.toISOString(); // has Z and milliseconds
    expect(validate!(doc)).toBe(false);
  });

  it('has the version and a ScanHub scan object', () => {
    const out = exporter([], baseContext);
    expect(out.contentType).toMatch(/^application\/json/);
    expect(out.fileExtension).toBe('json');
    const doc = parse(out.body);
    const tool = { id: 'scanhub', name: 'ScanHub', version: '0.1.0', vendor: { name: 'ScanHub' } };
    expect(doc.version).toBe('15.2.1');
    expect(doc.scan).toEqual({
      analyzer: tool,
      scanner: tool,
      type: scanType,
      start_time: '2024-03-01T12:34:56',
      end_time: '2024-03-01T12:34:56',
      status: 'success',
    });
    expect(doc.vulnerabilities).toEqual([]);
  });

  it('takes the schema version as a parameter and rejects a malformed one', () => {
    expect(parse(exporter([], baseContext, '15.1.4').body).version).toBe('15.1.4');
    expect(() => exporter([], baseContext, 'latest')).toThrow(/MAJOR\.MINOR\.PATCH/);
  });

  it('is deterministic and independent of input order', () => {
    expect(exporter([...allFindings].reverse(), baseContext).body).toBe(exporter(allFindings, baseContext).body);
  });
});

describe('gitlab report contents', () => {
  const cs = parse(gitlabContainerScanning(allFindings, baseContext).body);
  const ds = parse(gitlabDependencyScanning(allFindings, baseContext).body);
  const sast = parse(gitlabSast(allFindings, baseContext).body);
  const idOf = (f: StoredFinding) => gitlabVulnerabilityId(f.fingerprint);

  it('routes each finding to the right report', () => {
    expect(cs.vulnerabilities.map((v) => v.id)).toEqual([idOf(opensslCve)]);
    expect(ds.vulnerabilities.map((v) => v.id)).toEqual([idOf(npmGhsa), idOf(pypiNoPath)]);
    // Code findings only: the secret and the misconfiguration are left out.
    expect(sast.vulnerabilities.map((v) => v.id)).toEqual([idOf(semgrepSqli), idOf(hostileFinding)]);
    const all = [...cs.vulnerabilities, ...ds.vulnerabilities, ...sast.vulnerabilities].map((v) => v.id);
    expect(all).not.toContain(idOf(awsSecret));
    expect(all).not.toContain(idOf(infoFinding));
  });

  it('describes a container vulnerability', () => {
    const v = cs.vulnerabilities[0]!;
    expect(v).toMatchObject({
      name: opensslCve.title,
      severity: 'Critical',
      solution: 'Upgrade openssl from 3.0.12-r0 to 3.0.13 or later.',
      location: {
        dependency: { package: { name: 'openssl' }, version: '3.0.12-r0' },
        operating_system: 'alpine 3.19.0',
        image: 'registry.example.com/shop:1.4',
      },
    });
    expect(v.identifiers[0]).toMatchObject({ type: 'cve', value: 'CVE-2024-0727' });
    expect(v.identifiers).toContainEqual({ type: 'cwe', name: 'CWE-476', value: '476', url: 'https://cwe.mitre.org/data/definitions/476.html' });
    // Highest score first.
    expect(v.cvss_vectors?.[0]).toEqual({ vendor: 'redhat', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H' });
    expect(v.description).toContain('Reported by: trivy, grype');
    expect(v.links).toEqual([{ url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-0727' }, { url: 'https://www.openssl.org/news/secadv/20240125.txt' }]);
  });

  it('describes dependency vulnerabilities, guessing the manifest when there is no path', () => {
    const [ghsa, pypi] = ds.vulnerabilities;
    expect(ghsa).toMatchObject({
      severity: 'High',
      location: { file: 'package-lock.json', dependency: { package: { name: 'micromatch' }, version: '4.0.5' } },
    });
    expect(ghsa!.identifiers[0]).toMatchObject({ type: 'ghsa', value: 'GHSA-952p-6rrq-rcjv' });
    expect(pypi!.location).toEqual({ file: 'requirements.txt', dependency: { package: { name: 'requests' }, version: '2.30.0' } });
    expect(pypi!.identifiers.map((i) => i.type)).toEqual(['pysec', 'cve', 'ghsa', 'cwe']);
    expect(pypi!.severity).toBe('Medium');
  });

  it('describes SAST findings with file and lines, rule id as the primary identifier', () => {
    const [sqli, hostile] = sast.vulnerabilities;
    expect(sqli).toMatchObject({ severity: 'Medium', location: { file: 'src/db/orders.ts', start_line: 42, end_line: 44 } });
    expect(sqli!.identifiers[0]).toEqual({ type: 'scanhub_rule_id', name: `semgrep ${semgrepSqli.ruleId}`, value: semgrepSqli.ruleId });
    expect(sqli!.identifiers[1]).toMatchObject({ type: 'cwe', value: '89' });
    expect(sqli!.solution).toBeUndefined();
    expect(hostile!.location).toEqual({ file: '-src/a,b.ts' }); // line 0 = unknown, left out
    expect(hostile!.severity).toBe('Low');
    expect(hostile!.links).toBeUndefined(); // javascript: reference dropped
  });

  it('flags false positives and drops CVSS vectors the schema rejects', () => {
    const f: StoredFinding = {
      ...npmGhsa,
      status: 'false_positive',
      cvss: [
        { version: '4.0', score: 8.7, vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N' },
        { version: '3.1', score: 7.5, vector: 'not a vector' },
      ],
    };
    const doc = parse(gitlabDependencyScanning([f], baseContext).body);
    const v = doc.vulnerabilities[0]!;
    expect(v.flags?.[0]?.type).toBe('flagged-as-likely-false-positive');
    expect(v.cvss_vectors).toBeUndefined();
    if (validators) expect(validators['dependency-scanning'](doc), validators['dependency-scanning'].errorsText()).toBe(true);
  });

  it('falls back to the rule id when a finding has no identifiers, and de-duplicates by fingerprint', () => {
    const bare: StoredFinding = { ...semgrepSqli, cwes: [], vulnerabilityIds: [] };
    const doc = parse(gitlabSast([bare, bare], baseContext).body);
    expect(doc.vulnerabilities).toHaveLength(1);
    expect(doc.vulnerabilities[0]!.identifiers).toEqual([{ type: 'scanhub_rule_id', name: `semgrep ${semgrepSqli.ruleId}`, value: semgrepSqli.ruleId }]);
  });

  it('stays valid with long titles and no package version', () => {
    const long: StoredFinding = {
      ...opensslCve,
      title: 'x'.repeat(400),
      package: { name: 'busybox' },
      fixedVersions: [],
      cvss: undefined,
      fingerprint: '9'.repeat(64),
    };
    const doc = parse(gitlabContainerScanning([long], baseContext).body);
    const v = doc.vulnerabilities[0]!;
    expect([...v.name].length).toBe(255);
    expect(v.location).toMatchObject({ dependency: { package: { name: 'busybox' }, version: '' }, operating_system: 'unknown' }); // no purl or ecosystem to name it
    if (validators) expect(validators['container-scanning'](doc), validators['container-scanning'].errorsText()).toBe(true);
  });
});
