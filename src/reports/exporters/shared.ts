// Small pure helpers the exporters share (ordering, counting, display strings).
import { severityRank } from '../../domain/severity.js';
import { SEVERITIES, type Severity } from '../../domain/finding.js';
import type { StoredFinding } from '../../store/repositories/findings.js';

/**
 * A stable order for output: severity (worst first), then rule id, then fingerprint.
 * Exporters sort so the same set of findings always yields the same bytes, whatever order the store returned.
 */
export function sortFindings(findings: readonly StoredFinding[]): StoredFinding[] {
  return [...findings].sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      compareStrings(a.ruleId, b.ruleId) ||
      compareStrings(a.fingerprint, b.fingerprint),
  );
}

/** Locale-independent string comparison (code unit order), so output does not depend on the host's ICU data. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function countBySeverity(findings: readonly StoredFinding[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

/** Highest CVSS base score given for a finding, if any. */
export function maxCvssScore(finding: Pick<StoredFinding, 'cvss'>): number | undefined {
  let max: number | undefined;
  for (const c of finding.cvss ?? []) {
    if (c.score !== undefined && Number.isFinite(c.score) && (max === undefined || c.score > max)) max = c.score;
  }
  return max;
}

/** Tools that reported the finding: the merged sources, or the finding's own tool when sources is empty. */
export function toolsOf(finding: StoredFinding): string[] {
  const tools = finding.sources.length > 0 ? finding.sources : [finding.tool];
  return [...new Set(tools)];
}

/** `name@version` (or just `name`) for a finding's package. */
export function packageLabel(pkg: StoredFinding['package']): string | undefined {
  if (!pkg) return undefined;
  return pkg.version ? `${pkg.name}@${pkg.version}` : pkg.name;
}

/** `path:line`, `path`, the image, or undefined. */
export function locationLabel(location: StoredFinding['location']): string | undefined {
  if (!location) return undefined;
  if (location.path) return location.startLine ? `${location.path}:${location.startLine}` : location.path;
  return location.image ?? location.resource;
}

/** Lock file or manifest a package of this ecosystem is usually declared in (a guess when a tool gave no path). */
export function manifestForEcosystem(ecosystem: string | undefined, purl?: string): string | undefined {
  const eco = (ecosystem ?? /^pkg:([^/]+)\//.exec(purl ?? '')?.[1] ?? '').toLowerCase();
  return MANIFESTS[eco];
}

const MANIFESTS: Readonly<Record<string, string>> = {
  npm: 'package-lock.json',
  yarn: 'yarn.lock',
  pnpm: 'pnpm-lock.yaml',
  pypi: 'requirements.txt',
  pip: 'requirements.txt',
  python: 'requirements.txt',
  poetry: 'poetry.lock',
  maven: 'pom.xml',
  gradle: 'build.gradle',
  go: 'go.mod',
  golang: 'go.mod',
  cargo: 'Cargo.lock',
  'crates.io': 'Cargo.lock',
  rubygems: 'Gemfile.lock',
  gem: 'Gemfile.lock',
  nuget: 'packages.lock.json',
  composer: 'composer.lock',
  packagist: 'composer.lock',
  pub: 'pubspec.lock',
  hex: 'mix.lock',
  swift: 'Package.resolved',
  cocoapods: 'Podfile.lock',
};

/** Strips characters XML 1.0 forbids (C0 controls but TAB/LF/CR, U+FFFE/U+FFFF, lone surrogates). */
export function stripInvalidXmlChars(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '');
}

/** Context timestamp as an ISO 8601 string; throws on an invalid date so a bad clock never yields "Invalid Date". */
export function isoTimestamp(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new Error('ExportContext.generatedAt is not a valid date.');
  return date.toISOString();
}
