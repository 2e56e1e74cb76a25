// Finding identity (DESIGN §3): a fingerprint from what survives code and images moving, never a
// line number alone; and the vulnerability key under which alias ids of one problem meet.
import { hash } from 'node:crypto';
import type { FindingPackage, NormalisedFinding } from './finding.js';
import { isCve } from '../plugins/parse-helpers.js';

/** One-shot hashing: a finding needs several, and createHash's object per call showed in ingest profiles. */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}

function hashParts(parts: (string | number | undefined)[]): string {
  return sha256Hex(JSON.stringify(parts.map((p) => (p === undefined ? null : p))));
}

/** The alias group's representative: the first CVE, else the first id, else the rule id. */
export function canonicalVulnId(finding: Pick<NormalisedFinding, 'vulnerabilityIds' | 'ruleId'>): string {
  return finding.vulnerabilityIds.find(isCve) ?? finding.vulnerabilityIds[0] ?? finding.ruleId;
}

/** Package identity independent of tool: purl type/namespace/name, else ecosystem + name. */
export function packageIdentity(pkg: FindingPackage | undefined): string | undefined {
  if (!pkg) return undefined;
  if (pkg.purl) {
    const m = /^pkg:([^/]+)\/([^@?#]+)/i.exec(pkg.purl);
    if (m) {
      const type = m[1]!.toLowerCase();
      let path = decodeURIComponent(m[2]!);
      // Ecosystems whose names are case-insensitive per the purl spec.
      if (['npm', 'pypi', 'github', 'bitbucket', 'composer', 'deb', 'apk', 'golang'].includes(type)) path = path.toLowerCase();
      if (type === 'pypi') path = path.replace(/[-_.]+/g, '-');
      // Distro namespaces (debian, alpine) differ between tools that spell the purl; drop them.
      if (['deb', 'apk', 'rpm'].includes(type)) path = path.split('/').pop() ?? path;
      return `${type}:${path}`;
    }
  }
  const eco = ecosystemType(pkg.ecosystem);
  const name = eco === 'pypi' ? pkg.name.toLowerCase().replace(/[-_.]+/g, '-') : eco === 'npm' ? pkg.name.toLowerCase() : pkg.name;
  return `${eco ?? 'generic'}:${name}`;
}

/** Maps tool ecosystem words onto purl types so that "npm", "node-pkg" and "javascript" meet. */
export function ecosystemType(ecosystem: string | undefined): string | undefined {
  if (!ecosystem) return undefined;
  const e = ecosystem.toLowerCase();
  const map: Record<string, string> = {
    'node-pkg': 'npm', npm: 'npm', yarn: 'npm', pnpm: 'npm', javascript: 'npm', 'package-lock.json': 'npm',
    'python-pkg': 'pypi', pip: 'pypi', pipenv: 'pypi', poetry: 'pypi', python: 'pypi', pypi: 'pypi',
    jar: 'maven', pom: 'maven', maven: 'maven', java: 'maven', 'java-archive': 'maven', gradle: 'maven',
    gomod: 'golang', gobinary: 'golang', 'go-module': 'golang', go: 'golang', golang: 'golang',
    cargo: 'cargo', 'rust-crate': 'cargo', rust: 'cargo', composer: 'composer', php: 'composer',
    bundler: 'gem', gemspec: 'gem', gem: 'gem', ruby: 'gem', nuget: 'nuget', dotnet: 'nuget',
    alpine: 'apk', apk: 'apk', debian: 'deb', ubuntu: 'deb', deb: 'deb', dpkg: 'deb',
    redhat: 'rpm', centos: 'rpm', rpm: 'rpm', amazon: 'rpm', oracle: 'rpm', rocky: 'rpm', alma: 'rpm', suse: 'rpm',
  };
  return map[e] ?? e;
}

/** A package's own archive (a jar in WEB-INF/lib, a wheel, a gem), as opposed to a manifest that pulled it in. */
const PACKAGE_ARCHIVE = /\.(jar|war|ear|aar|hpi|jpi|whl|egg|gem|nupkg)$/i;

/**
 * Where a vulnerable package lives: the image repository (no tag or digest), else the manifest path.
 * A path to the package's own archive is not a target: tools disagree on it (Dependency-Check gives
 * the build machine's ~/.m2 path, Nexus IQ the path inside the application), so within a project the
 * same package@version is one finding, wherever its copies sit.
 */
export function targetIdentity(finding: Pick<NormalisedFinding, 'location'>): string | undefined {
  const image = finding.location?.image;
  if (image) return `image:${imageRepository(image)}`;
  const path = finding.location?.path;
  if (!path || PACKAGE_ARCHIVE.test(path.trim())) return undefined;
  return `path:${normalisePath(path)}`;
}

/** "registry:5000/team/app:1.4@sha256:…" → "registry:5000/team/app"; "alpine:3.10 (alpine 3.10.2)" → "alpine". */
export function imageRepository(ref: string): string {
  let r = ref.trim().split(/\s+/)[0] ?? ref;
  r = r.split('@')[0] ?? r;
  const slash = r.lastIndexOf('/');
  const colon = r.lastIndexOf(':');
  if (colon > slash) r = r.slice(0, colon);
  return r.replace(/^docker\.io\/(library\/)?/, '').replace(/^index\.docker\.io\/(library\/)?/, '');
}

export function normalisePath(path: string): string {
  return path.trim().replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/^\/+/, '');
}

function normaliseCode(code: string): string {
  return code.replace(/\s+/g, ' ').trim();
}

/**
 * The key under which alias ids of one vulnerability meet: package identity + installed version +
 * target. Two findings with the same key and an id in common are the same finding.
 */
export function vulnerabilityKey(finding: NormalisedFinding): string | undefined {
  if (finding.category !== 'vulnerability') return undefined;
  return hashParts(['vuln-key', packageIdentity(finding.package) ?? '', finding.package?.version ?? '', targetIdentity(finding) ?? '']);
}

export function fingerprint(finding: NormalisedFinding): string {
  const path = finding.location?.path ? normalisePath(finding.location.path) : undefined;
  const rule = finding.ruleId.trim().toLowerCase();
  switch (finding.category) {
    case 'vulnerability':
      return hashParts([
        'vulnerability',
        canonicalVulnId(finding),
        packageIdentity(finding.package) ?? path ?? '',
        finding.package?.version ?? '',
        targetIdentity(finding) ?? '',
      ]);
    case 'secret':
      return hashParts([
        'secret',
        rule,
        path ?? finding.location?.image,
        finding.secretHash ?? (finding.snippet ? sha256Hex(normaliseCode(finding.snippet)) : finding.location?.startLine),
      ]);
    case 'misconfiguration':
    case 'license':
      return hashParts([
        finding.category,
        rule,
        path ?? (finding.location?.image ? imageRepository(finding.location.image) : undefined),
        finding.location?.resource,
        packageIdentity(finding.package),
        // Two containers of one resource can fail the same check: the offending block tells them apart.
        finding.snippet && normaliseCode(finding.snippet) !== '' ? sha256Hex(normaliseCode(finding.snippet)) : undefined,
      ]);
    default: {
      // code, malware, other: the tool's stable fingerprint, else the matched code, else the line.
      const anchor = finding.toolFingerprint
        ? `tool:${finding.toolFingerprint}`
        : finding.snippet && normaliseCode(finding.snippet) !== ''
          ? `code:${sha256Hex(normaliseCode(finding.snippet))}`
          : `line:${finding.location?.startLine ?? ''}:${finding.title}`;
      return hashParts([finding.category, rule, path ?? finding.location?.image, anchor]);
    }
  }
}
