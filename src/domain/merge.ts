// Merging what several tools (or several places in one report) say about one finding.
import { SEVERITIES, type Finding, type FindingStatus } from './finding.js';
import { isCve, orderVulnIds } from '../plugins/parse-helpers.js';

function union<T>(a: readonly T[], b: readonly T[], key: (x: T) => string = String): T[] {
  const seen = new Set(a.map(key));
  const out = [...a];
  for (const x of b) {
    const k = key(x);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(x);
    }
  }
  return out;
}

/** The view under the given fingerprint: the same object when it already is (no copy per finding: a report has 100,000). */
export function withFingerprint(f: Finding, fingerprint: string): Finding {
  return f.fingerprint === fingerprint ? f : { ...f, fingerprint };
}

/**
 * Combines two views of the same finding: the first stays the representative; ids, CWEs, fixes,
 * CVSS and references are united; severity is the higher (a security lead would rather see the
 * worse rating); the status stays open unless both tools say it is not (fail safe).
 */
export function mergeFindingViews(a: Finding, b: Finding): Finding {
  const severity = SEVERITIES.indexOf(b.severity) < SEVERITIES.indexOf(a.severity) ? b.severity : a.severity;
  const status: FindingStatus = a.status === 'open' || b.status === 'open' ? 'open' : a.status;
  const merged: Finding = {
    ...a,
    severity,
    status,
    vulnerabilityIds: orderVulnIds([...a.vulnerabilityIds, ...b.vulnerabilityIds]),
    cwes: union(a.cwes, b.cwes),
    fixedVersions: union(a.fixedVersions, b.fixedVersions),
    references: union(a.references, b.references),
  };
  if (a.cvss || b.cvss) merged.cvss = union(a.cvss ?? [], b.cvss ?? [], (c) => `${c.version}|${c.source ?? ''}|${c.vector ?? c.score}`);
  if (!merged.package && b.package) merged.package = b.package;
  // A merged vulnerability is named by its CVE when any tool knows it (the alias group's canonical id).
  if (a.category === 'vulnerability' && !isCve(a.ruleId) && isCve(b.ruleId)) {
    merged.ruleId = b.ruleId;
    merged.title = b.title;
  }
  if (!merged.description && b.description) merged.description = b.description;
  return merged;
}
