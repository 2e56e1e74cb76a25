// One Dependency-Check vulnerability → one finding; shared by the XML and JSON readers, which
// first bring an item to this neutral shape.
import type { Cvss, ParsedFinding, Severity } from '../../../src/domain/finding.js';
import { severityFromLabel, severityFromScore } from '../../../src/domain/severity.js';
import { orderVulnIds, parseCwes, uniqueStrings, vulnIdsInText } from '../../../src/plugins/parse-helpers.js';

export interface DcPackage {
  name: string;
  version?: string | undefined;
  ecosystem?: string | undefined;
  purl?: string | undefined;
}

export interface DcVulnerability {
  name: string;
  source?: string | undefined;
  severity?: string | undefined;
  description?: string | undefined;
  cwes: unknown[];
  cvss: Cvss[];
  references: string[];
  suppressed: boolean;
  notes?: string | undefined;
}

const FIRST_LETTER = (v: string | undefined) => (v ? v.trim().charAt(0).toUpperCase() : undefined);

/** A CVSS v3 vector rebuilt from Dependency-Check's separate fields (words or letters). */
export function cvss3Vector(parts: Record<string, string | undefined>, version = '3.1'): string | undefined {
  const order: [string, string][] = [['AV', 'attackVector'], ['AC', 'attackComplexity'], ['PR', 'privilegesRequired'], ['UI', 'userInteraction'], ['S', 'scope'], ['C', 'confidentialityImpact'], ['I', 'integrityImpact'], ['A', 'availabilityImpact']];
  const values = order.map(([k, field]) => [k, FIRST_LETTER(parts[field])] as const);
  if (values.some(([, v]) => !v)) return undefined;
  return `CVSS:${version}/` + values.map(([k, v]) => `${k}:${v}`).join('/');
}

/** DESIGN §2.1: the CVSS v3 score, then v4, then v2; then Dependency-Check's severity text; else medium. */
export function dcSeverity(cvss: Cvss[], label: string | undefined): Severity {
  for (const major of ['3', '4', '2']) {
    const score = cvss.find((c) => c.version.startsWith(major) && c.score !== undefined)?.score;
    if (score !== undefined) return severityFromScore(score)!;
  }
  return severityFromLabel(label) ?? 'medium';
}

export function toFinding(v: DcVulnerability, pkg: DcPackage, path: string | undefined, fixedVersions: string[]): ParsedFinding {
  const ids = orderVulnIds([...vulnIdsInText(v.name), ...v.references.flatMap((r) => vulnIdsInText(r))]);
  return {
    tool: 'dependency-check',
    ruleId: v.name.length > 120 ? v.name.slice(0, 120) : v.name,
    category: 'vulnerability',
    severity: dcSeverity(v.cvss, v.severity),
    ...(v.severity ? { toolSeverity: v.severity } : {}),
    title: `${v.name.split('\n')[0]!.slice(0, 200)} in ${pkg.name}${pkg.version ? ` ${pkg.version}` : ''}`,
    ...(v.description ? { description: v.description } : {}),
    // A CVE/GHSA named by the vulnerability or its references; NPM/OSS Index advisories keep their own name.
    vulnerabilityIds: ids.length ? ids : [v.name.slice(0, 120)],
    cwes: parseCwes(v.cwes.filter((c) => typeof c !== 'string' || !/NVD-CWE/i.test(c))),
    package: { name: pkg.name, ...(pkg.version ? { version: pkg.version } : {}), ...(pkg.ecosystem ? { ecosystem: pkg.ecosystem } : {}), ...(pkg.purl ? { purl: pkg.purl } : {}) },
    fixedVersions,
    ...(path ? { location: { path } } : {}),
    ...(v.cvss.length ? { cvss: v.cvss } : {}),
    status: v.suppressed ? (v.notes && /accept|risk|until/i.test(v.notes) ? 'accepted_risk' : 'false_positive') : 'open',
    references: uniqueStrings(v.references.filter((r) => /^https?:\/\//.test(r.trim())).map((r) => r.trim())),
  };
}

/** From a purl: namespace:name as Dependency-Check users know it, the version and the type. */
export function packageFromPurl(purl: string): DcPackage | undefined {
  const m = /^pkg:([^/]+)\/(?:([^@?#]*)\/)?([^/@?#]+)(?:@([^?#]+))?/.exec(purl);
  if (!m) return undefined;
  const ns = m[2] ? decodeURIComponent(m[2]) : undefined;
  const name = decodeURIComponent(m[3]!);
  return { name: ns && m[1] === 'maven' ? `${ns}:${name}` : ns ? `${ns}/${name}` : name, version: m[4] ? decodeURIComponent(m[4]) : undefined, ecosystem: m[1], purl };
}

/** versionEndExcluding of the matched vulnerable software is the first fixed version. */
export function fixedFrom(endExcluding: (string | undefined)[]): string[] {
  return uniqueStrings(endExcluding);
}
