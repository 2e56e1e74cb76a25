import { describe, expect, it } from 'vitest';
import { parsedFindingSchema, type NormalisedFinding } from './finding.js';
import { fingerprint, imageRepository, packageIdentity, vulnerabilityKey } from './identity.js';

const vuln = (over: Partial<NormalisedFinding> = {}): NormalisedFinding =>
  parsedFindingSchema.parse({
    tool: 'trivy',
    ruleId: 'CVE-2023-4863',
    category: 'vulnerability',
    severity: 'critical',
    title: 'libwebp heap overflow',
    vulnerabilityIds: ['CVE-2023-4863', 'GHSA-j7hp-h8jx-5ppr'],
    package: { name: 'libwebp', version: '1.2.4-r2', purl: 'pkg:apk/alpine/libwebp@1.2.4-r2' },
    location: { image: 'registry.test/team/app:1.4', path: 'registry.test/team/app:1.4 (alpine 3.17)' },
    ...over,
  });

const code = (over: Partial<NormalisedFinding> = {}): NormalisedFinding =>
  parsedFindingSchema.parse({
    tool: 'semgrep',
    ruleId: 'python.lang.security.audit.eval',
    category: 'code',
    severity: 'high',
    title: 'eval',
    location: { path: 'app/main.py', startLine: 12, endLine: 12 },
    snippet: 'return eval(value)',
    ...over,
  });

describe('imageRepository', () => {
  it.each([
    ['registry:5000/team/app:1.4', 'registry:5000/team/app'],
    ['team/app@sha256:abcd', 'team/app'],
    ['alpine:3.10 (alpine 3.10.2)', 'alpine'],
    ['docker.io/library/nginx:1.25', 'nginx'],
    ['registry:5000/team/app', 'registry:5000/team/app'],
  ])('%s → %s', (ref, repo) => expect(imageRepository(ref)).toBe(repo));
});

describe('packageIdentity', () => {
  it('meets across purl spellings and ecosystems', () => {
    expect(packageIdentity({ name: 'PyYAML', purl: 'pkg:pypi/PyYAML@5.3' })).toBe(packageIdentity({ name: 'pyyaml', ecosystem: 'pip' }));
    expect(packageIdentity({ name: 'lodash', purl: 'pkg:npm/lodash@4.17.20' })).toBe(packageIdentity({ name: 'lodash', ecosystem: 'node-pkg' }));
    expect(packageIdentity({ name: 'openssl', purl: 'pkg:deb/debian/openssl@1.1' })).toBe(packageIdentity({ name: 'openssl', purl: 'pkg:deb/ubuntu/openssl@1.1' }));
    expect(packageIdentity({ name: 'a', ecosystem: 'npm' })).not.toBe(packageIdentity({ name: 'a', ecosystem: 'pypi' }));
  });
});

describe('fingerprint', () => {
  it('is the same for one vulnerability whatever the tool, tag or id order', () => {
    const a = vuln();
    const b = vuln({ tool: 'grype', vulnerabilityIds: ['GHSA-j7hp-h8jx-5ppr', 'CVE-2023-4863'], ruleId: 'GHSA-j7hp-h8jx-5ppr', location: { image: 'registry.test/team/app:1.5' } });
    expect(fingerprint(a)).toBe(fingerprint(b));
    expect(vulnerabilityKey(a)).toBe(vulnerabilityKey(b));
  });

  it('differs by installed version, package and target', () => {
    const base = fingerprint(vuln());
    expect(fingerprint(vuln({ package: { name: 'libwebp', version: '1.2.4-r3', purl: 'pkg:apk/alpine/libwebp@1.2.4-r3' } }))).not.toBe(base);
    expect(fingerprint(vuln({ package: { name: 'libwebp2', version: '1.2.4-r2' } }))).not.toBe(base);
    expect(fingerprint(vuln({ location: { image: 'registry.test/team/other:1.4' } }))).not.toBe(base);
  });

  it("takes a manifest as the target, never the path of the package's own archive", () => {
    const okhttp = (tool: string, path: string) =>
      vuln({ tool, ruleId: 'CVE-2016-2402', vulnerabilityIds: ['CVE-2016-2402'], package: { name: 'com.squareup.okhttp:okhttp', version: '2.6.0', purl: 'pkg:maven/com.squareup.okhttp/okhttp@2.6.0' }, location: { path } });
    // Dependency-Check names the build machine's Maven cache, Nexus IQ the path inside the application.
    const dc = okhttp('dependency-check', '.m2\\repository\\com\\squareup\\okhttp\\okhttp\\2.6.0\\okhttp-2.6.0.jar');
    const iq = okhttp('nexus-iq', 'WEB-INF/lib/okhttp-2.6.0.jar');
    expect(fingerprint(dc)).toBe(fingerprint(iq));
    expect(vulnerabilityKey(dc)).toBe(vulnerabilityKey(iq));
    // Two manifests of a monorepo stay two findings.
    expect(fingerprint(okhttp('trivy', 'services/a/pom.xml'))).not.toBe(fingerprint(okhttp('trivy', 'services/b/pom.xml')));
  });

  it('survives a code finding moving to another line, not a change of code', () => {
    const base = fingerprint(code());
    expect(fingerprint(code({ location: { path: 'app/main.py', startLine: 40, endLine: 40 }, snippet: '  return   eval(value)\n' }))).toBe(base);
    expect(fingerprint(code({ snippet: 'return eval(other)' }))).not.toBe(base);
    expect(fingerprint(code({ location: { path: 'app/other.py', startLine: 12 } }))).not.toBe(base);
    expect(fingerprint(code({ location: { path: './app/main.py', startLine: 12 } }))).toBe(base);
  });

  it("prefers the tool's stable fingerprint for code", () => {
    const a = code({ toolFingerprint: 'abc', snippet: 'x = 1' });
    const b = code({ toolFingerprint: 'abc', snippet: 'y = 2', location: { path: 'app/main.py', startLine: 99 } });
    expect(fingerprint(a)).toBe(fingerprint(b));
  });

  it('uses the line only as a last resort, combined with rule and path', () => {
    const a = code({ snippet: undefined, location: { path: 'a.py', startLine: 1 } });
    const b = code({ snippet: undefined, location: { path: 'a.py', startLine: 2 } });
    expect(fingerprint(a)).not.toBe(fingerprint(b));
  });
});
