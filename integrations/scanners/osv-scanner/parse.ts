// osv-scanner JSON → findings: one per vulnerability per package per source (lockfile, SBOM, image).
import type { Cvss, ParsedFinding, Severity } from '../../../src/domain/finding.js';
import { ecosystemType } from '../../../src/domain/identity.js';
import { severityFromLabel, severityFromScore } from '../../../src/domain/severity.js';
import { ReportFormatError } from '../../../src/errors.js';
import { asArray, buildPurl, isRecord, num, orderVulnIds, parseCwes, str, uniqueStrings, WarningList, type JsonRecord } from '../../../src/plugins/parse-helpers.js';
import type { ReportInput } from '../../../src/plugins/report-input.js';
import type { ParseOutput } from '../../../src/plugins/scanner.js';

/**
 * database_specific.severity (GitHub's label) wins; else the group's max_severity (a CVSS score
 * osv-scanner computes); else info.
 */
export function osvSeverity(label: string | undefined, maxSeverity: number | undefined): Severity {
  return severityFromLabel(label) ?? severityFromScore(maxSeverity) ?? 'info';
}

function fixedFor(vuln: JsonRecord, pkgName: string): string[] {
  const fixed: unknown[] = [];
  for (const affected of asArray(vuln.affected).filter(isRecord)) {
    const pkg = isRecord(affected.package) ? str(affected.package.name) : undefined;
    if (pkg && pkg.toLowerCase() !== pkgName.toLowerCase()) continue;
    for (const range of asArray(affected.ranges).filter(isRecord)) {
      if (str(range.type) === 'GIT') continue; // commit hashes are not versions
      for (const event of asArray(range.events).filter(isRecord)) if (event.fixed !== undefined) fixed.push(event.fixed);
    }
  }
  return uniqueStrings(fixed);
}

export function parseOsv(input: ReportInput): ParseOutput {
  const doc = input.json();
  if (!isRecord(doc) || !Array.isArray(doc.results)) throw new ReportFormatError('An OSV-Scanner report has a "results" array.', { pointer: '/results' });
  const warnings = new WarningList();
  const findings: ParsedFinding[] = [];
  doc.results.forEach((result, r) => {
    const at = `/results/${r}`;
    if (!isRecord(result)) return warnings.add(at, 'Skipped a result that is not an object.');
    const source = isRecord(result.source) ? str(result.source.path) : undefined;
    asArray(result.packages).forEach((entry, p) => {
      const pat = `${at}/packages/${p}`;
      if (!isRecord(entry) || !isRecord(entry.package) || !str(entry.package.name)) return warnings.add(pat, 'Skipped a package without a name.');
      const pkg = entry.package;
      const name = str(pkg.name)!;
      const version = str(pkg.version);
      const ecosystem = str(pkg.ecosystem);
      const eco = ecosystemType(ecosystem);
      const groups = asArray(entry.groups).filter(isRecord);
      asArray(entry.vulnerabilities).forEach((vuln, v) => {
        const vat = `${pat}/vulnerabilities/${v}`;
        if (!isRecord(vuln) || !str(vuln.id)) return warnings.add(vat, 'Skipped a vulnerability without an id.');
        const id = str(vuln.id)!;
        const group = groups.find((g) => asArray(g.ids).includes(id));
        const label = isRecord(vuln.database_specific) ? str(vuln.database_specific.severity) : undefined;
        const cvss: Cvss[] = asArray(vuln.severity)
          .filter(isRecord)
          .filter((s) => /^CVSS_V/.test(str(s.type) ?? '') && str(s.score))
          .map((s) => ({ version: str(s.type) === 'CVSS_V4' ? '4.0' : str(s.type) === 'CVSS_V2' ? '2.0' : (/^CVSS:3\.(\d)/.exec(str(s.score)!)?.[0]?.slice(5) ?? '3.1'), vector: str(s.score)!, source: 'osv' }));
        const maxSeverity = num(group?.max_severity);
        const cwes = asArray(vuln.affected)
          .filter(isRecord)
          .flatMap((a) => (isRecord(a.database_specific) ? asArray(a.database_specific.cwes).map((c) => (isRecord(c) ? c.cweId : c)) : []));
        findings.push({
          tool: 'osv-scanner',
          ruleId: id,
          category: 'vulnerability',
          severity: osvSeverity(label, maxSeverity),
          ...(label ? { toolSeverity: label } : maxSeverity !== undefined ? { toolSeverity: `max_severity ${maxSeverity}` } : {}),
          title: str(vuln.summary) ?? `${id} in ${name}`,
          ...(str(vuln.details) ? { description: str(vuln.details) } : {}),
          vulnerabilityIds: orderVulnIds([id, ...asArray(vuln.aliases).map(str), ...asArray(group?.aliases).map(str)]),
          cwes: parseCwes(cwes),
          package: { name, ...(version ? { version } : {}), ...(ecosystem ? { ecosystem } : {}), ...(eco ? { purl: buildPurl(eco, name, version) } : {}) },
          fixedVersions: fixedFor(vuln, name),
          ...(source ? { location: { path: source } } : {}),
          ...(cvss.length ? { cvss } : {}),
          status: 'open',
          references: uniqueStrings([`https://osv.dev/vulnerability/${id}`, ...asArray(vuln.references).map((ref) => (isRecord(ref) ? ref.url : undefined))]),
        });
        return undefined;
      });
      return undefined;
    });
    return undefined;
  });
  return { format: 'osv-scanner-json', findings, warnings: warnings.items };
}
