// Synthetic scanner reports in the tools' real formats (Trivy JSON v2, Semgrep JSON, SARIF 2.1.0,
// Xray summary v2), of any size, for the benchmark and the reliability tests. Deterministic: the
// same n gives the same bytes; every finding is distinct (package/version/CVE or rule/path/line).
import { closeSync, openSync, writeSync } from 'node:fs';

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;

/** A Trivy v2 report of one image with `n` vulnerabilities spread over n/10 packages. */
export function trivyReport(n: number, image = 'registry.example.com/bench/app:1.0'): string {
  const vulns = [];
  for (let i = 0; i < n; i++) {
    const pkg = `lib${Math.floor(i / 10)}`;
    vulns.push({
      VulnerabilityID: `CVE-2024-${String(10000 + i)}`,
      PkgID: `${pkg}@1.${i % 7}.0`,
      PkgName: pkg,
      PkgIdentifier: { PURL: `pkg:npm/${pkg}@1.${i % 7}.0` },
      InstalledVersion: `1.${i % 7}.0`,
      FixedVersion: i % 3 === 0 ? '' : `1.${i % 7}.1`,
      Status: i % 3 === 0 ? 'affected' : 'fixed',
      Severity: SEVERITIES[i % 4],
      Title: `Synthetic vulnerability ${i} in ${pkg}`,
      Description: `A synthetic description of vulnerability ${i}, long enough to look like a real advisory text for benchmarking.`,
      PrimaryURL: `https://avd.aquasec.com/nvd/cve-2024-${10000 + i}`,
      CweIDs: [`CWE-${79 + (i % 20)}`],
      CVSS: { nvd: { V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', V3Score: 9.8 - (i % 40) / 10 } },
      References: [`https://nvd.nist.gov/vuln/detail/CVE-2024-${10000 + i}`],
    });
  }
  return JSON.stringify({
    SchemaVersion: 2,
    CreatedAt: '2026-11-20T10:00:00Z',
    ArtifactName: image,
    ArtifactType: 'container_image',
    Metadata: { OS: { Family: 'debian', Name: '12.5' }, ImageID: 'sha256:' + 'b'.repeat(64), RepoTags: [image] },
    Results: [{ Target: 'Node.js', Class: 'lang-pkgs', Type: 'node-pkg', Vulnerabilities: vulns }],
  });
}

/** A Semgrep JSON report with `n` results over n/20 files. */
export function semgrepReport(n: number): string {
  const results = [];
  for (let i = 0; i < n; i++) {
    results.push({
      check_id: `bench.rules.rule-${i % 50}`,
      path: `src/module${Math.floor(i / 20)}/file.py`,
      start: { line: 10 + (i % 20), col: 5, offset: 100 + i },
      end: { line: 10 + (i % 20), col: 40, offset: 135 + i },
      extra: {
        message: `Synthetic finding ${i}`,
        severity: ['ERROR', 'WARNING', 'INFO'][i % 3],
        lines: `    value_${i} = eval(request.args.get("q${i}"))`,
        metadata: { cwe: [`CWE-${95 + (i % 5)}: Synthetic`], confidence: 'HIGH' },
        fingerprint: `fp-${i}`,
      },
    });
  }
  return JSON.stringify({ version: '1.185.0', results, errors: [], paths: { scanned: [] } });
}

/** A SARIF 2.1.0 log of one run with `n` results over 50 rules. */
export function sarifReport(n: number): string {
  const rules = Array.from({ length: 50 }, (_, r) => ({ id: `BENCH${r}`, name: `BenchRule${r}`, shortDescription: { text: `Bench rule ${r}` }, properties: { tags: ['security', `external/cwe/cwe-${89 + (r % 10)}`] } }));
  const results = [];
  for (let i = 0; i < n; i++) {
    results.push({
      ruleId: `BENCH${i % 50}`,
      level: ['error', 'warning', 'note'][i % 3],
      message: { text: `Synthetic result ${i}` },
      locations: [{ physicalLocation: { artifactLocation: { uri: `src/pkg${Math.floor(i / 20)}/Main.java` }, region: { startLine: 1 + (i % 300), snippet: { text: `call${i}(input)` } } } }],
      partialFingerprints: { primaryLocationLineHash: `h${i}` },
    });
  }
  return JSON.stringify({ $schema: 'https://json.schemastore.org/sarif-2.1.0.json', version: '2.1.0', runs: [{ tool: { driver: { name: 'BenchScanner', version: '1.0', rules } }, results }] });
}

/** An Xray artifact summary (v2 shape) of one image with `n` issues. */
export function xraySummary(n: number): string {
  const issues = [];
  for (let i = 0; i < n; i++) {
    const pkg = `lib${Math.floor(i / 10)}`;
    issues.push({
      issue_id: `XRAY-${100000 + i}`,
      summary: `Synthetic Xray issue ${i}`,
      description: `Synthetic issue ${i} in ${pkg}`,
      issue_type: 'security',
      severity: ['Critical', 'High', 'Medium', 'Low'][i % 4],
      provider: 'JFrog',
      cves: [{ cve: `CVE-2024-${String(10000 + i)}`, cvss_v3: '9.8/CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      created: '2026-11-20T10:00:00Z',
      impact_path: [`default/docker-local/bench/app/1.0/sha256__${'c'.repeat(64)}/${pkg}:1.${i % 7}.0`],
      components: [{ component_id: `npm://${pkg}:1.${i % 7}.0`, fixed_versions: [`1.${i % 7}.1`] }],
    });
  }
  return JSON.stringify({
    artifacts: [{ general: { name: 'bench/app:1.0', path: 'default/docker-local/bench/app/1.0/', pkg_type: 'Docker', sha256: 'c'.repeat(64), component_id: 'bench/app:1.0' }, issues, licenses: [] }],
  });
}

/**
 * A Trivy v2 report of about `targetBytes` bytes written straight to `path` (never held whole), with
 * advisory-sized vulnerabilities (a paragraph of description, several references: ~1.5 KB each, as
 * real Trivy output has). Returns the number of vulnerabilities and the bytes written.
 */
export function writeLargeTrivyReport(path: string, targetBytes: number): { findings: number; bytes: number } {
  const fd = openSync(path, 'w');
  const image = 'registry.example.com/bench/big:1.0';
  const head = JSON.stringify({ SchemaVersion: 2, CreatedAt: '2026-11-20T10:00:00Z', ArtifactName: image, ArtifactType: 'container_image', Metadata: { OS: { Family: 'debian', Name: '12.5' }, RepoTags: [image] } });
  let bytes = writeSync(fd, `${head.slice(0, -1)},"Results":[{"Target":"${image} (debian 12.5)","Class":"os-pkgs","Type":"debian","Vulnerabilities":[`);
  const paragraph = 'A crafted input reaching the parser can corrupt memory, which an attacker may use to execute code in the context of the process or to cause a denial of service. ';
  let i = 0;
  while (bytes < targetBytes - 1024) {
    const parts: string[] = [];
    for (let k = 0; k < 1_000; k++, i++) {
      const pkg = `libbig${Math.floor(i / 8)}`;
      const id = `CVE-${2015 + (i % 10)}-${String(100000 + i)}`;
      parts.push(
        JSON.stringify({
          VulnerabilityID: id,
          PkgID: `${pkg}@2.${i % 9}.1-1`,
          PkgName: pkg,
          PkgIdentifier: { PURL: `pkg:deb/debian/${pkg}@2.${i % 9}.1-1?distro=debian-12.5` },
          InstalledVersion: `2.${i % 9}.1-1`,
          FixedVersion: i % 4 === 0 ? '' : `2.${i % 9}.2-1`,
          Status: i % 4 === 0 ? 'affected' : 'fixed',
          Layer: { DiffID: `sha256:${(i % 16).toString(16).repeat(64)}` },
          SeveritySource: 'nvd',
          PrimaryURL: `https://avd.aquasec.com/nvd/${id.toLowerCase()}`,
          DataSource: { ID: 'debian', Name: 'Debian Security Tracker', URL: 'https://salsa.debian.org/security-tracker-team/security-tracker' },
          Title: `${pkg}: memory corruption in the parser of ${pkg} (${i})`,
          Description: `${paragraph}${paragraph}${paragraph}Affected: ${pkg} before 2.${i % 9}.2.`,
          Severity: SEVERITIES[i % 4],
          CweIDs: [`CWE-${119 + (i % 20)}`],
          CVSS: { nvd: { V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', V3Score: 9.8 - (i % 40) / 10 }, redhat: { V3Vector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', V3Score: 7.8 } },
          References: [
            `https://access.redhat.com/security/cve/${id}`,
            `https://nvd.nist.gov/vuln/detail/${id}`,
            `https://security-tracker.debian.org/tracker/${id}`,
            `https://ubuntu.com/security/notices/USN-${6000 + (i % 900)}-1`,
            `https://www.cve.org/CVERecord?id=${id}`,
          ],
          PublishedDate: '2024-03-01T15:15:07.593Z',
          LastModifiedDate: '2024-06-10T17:16:14.000Z',
        }),
      );
    }
    bytes += writeSync(fd, (i > 1_000 ? ',' : '') + parts.join(','));
  }
  bytes += writeSync(fd, ']}]}');
  closeSync(fd);
  return { findings: i, bytes };
}
