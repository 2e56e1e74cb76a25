// Dependency-Check JSON reports (reportSchema 1.1; engines 6.x to 12.x with CVSS v4). One finding per
// vulnerability and per suppressed vulnerability of each dependency.
import type { Cvss, ParsedFinding } from '../../../src/domain/finding.js';
import { ReportFormatError } from '../../../src/errors.js';
import { asArray, isRecord, num, str, WarningList, type JsonRecord } from '../../../src/plugins/parse-helpers.js';
import type { ReportInput } from '../../../src/plugins/report-input.js';
import type { ParseOutput } from '../../../src/plugins/scanner.js';
import { cvss3Vector, fixedFrom, packageFromPurl, toFinding, type DcPackage, type DcVulnerability } from './common.js';

function packageOf(dep: JsonRecord): DcPackage {
  const purl = asArray(dep.packages).filter(isRecord).map((p) => str(p.id)).find((id) => id?.startsWith('pkg:'));
  return (purl && packageFromPurl(purl)) || { name: str(dep.fileName) ?? 'unknown' };
}

function readCvss(v: JsonRecord, source: string): Cvss[] {
  const out: Cvss[] = [];
  const v3 = isRecord(v.cvssv3) ? v.cvssv3 : undefined;
  if (v3 && num(v3.baseScore) !== undefined) {
    const vector = cvss3Vector(Object.fromEntries(Object.entries(v3).map(([k, val]) => [k, str(val)])), str(v3.version) ?? '3.1');
    out.push({ version: str(v3.version) ?? '3.1', score: num(v3.baseScore)!, ...(vector ? { vector } : {}), source });
  }
  const v4 = isRecord(v.cvssv4) ? v.cvssv4 : undefined;
  if (v4 && num(v4.baseScore) !== undefined) out.push({ version: '4.0', score: num(v4.baseScore)!, ...(str(v4.vectorString) ? { vector: str(v4.vectorString) } : {}), source });
  const v2 = isRecord(v.cvssv2) ? v.cvssv2 : undefined;
  if (v2 && num(v2.score) !== undefined) out.push({ version: '2.0', score: num(v2.score)!, source });
  return out;
}

export function parseDependencyCheckJson(input: ReportInput): ParseOutput {
  const doc = input.json();
  if (!isRecord(doc) || !Array.isArray(doc.dependencies)) throw new ReportFormatError('A Dependency-Check JSON report has a "dependencies" array.', { pointer: '/dependencies' });
  const warnings = new WarningList();
  const findings: ParsedFinding[] = [];
  doc.dependencies.forEach((dep, d) => {
    const at = `/dependencies/${d}`;
    if (!isRecord(dep)) return warnings.add(at, 'Skipped a dependency that is not an object.');
    const pkg = packageOf(dep);
    for (const [key, suppressed] of [['vulnerabilities', false], ['suppressedVulnerabilities', true]] as const) {
      asArray(dep[key]).forEach((v, i) => {
        if (!isRecord(v) || !str(v.name)) return warnings.add(`${at}/${key}/${i}`, 'Skipped a vulnerability without a name.');
        const source = str(v.source) ?? 'nvd';
        const vuln: DcVulnerability = {
          name: str(v.name)!,
          source,
          severity: str(v.severity),
          description: str(v.description),
          cwes: asArray(v.cwes),
          cvss: readCvss(v, source.toLowerCase()),
          references: asArray(v.references).flatMap((r) => (isRecord(r) ? [str(r.url) ?? '', str(r.name) ?? ''] : [])),
          suppressed,
          notes: str(v.notes),
        };
        const fixes = fixedFrom(asArray(isRecord(v.vulnerableSoftware) ? v.vulnerableSoftware : v.vulnerableSoftware).map((s) => {
          const sw = isRecord(s) && isRecord(s.software) ? s.software : s;
          return isRecord(sw) && (sw.vulnerabilityIdMatched === 'true' || sw.vulnerabilityIdMatched === true) ? str(sw.versionEndExcluding) : undefined;
        }));
        findings.push(toFinding(vuln, pkg, str(dep.fileName), fixes));
        return undefined;
      });
    }
    return undefined;
  });
  const scanInfo = isRecord(doc.scanInfo) ? doc.scanInfo : {};
  const timestamps = asArray(scanInfo.dataSource).filter(isRecord).map((s) => str(s.timestamp)).filter((t): t is string => !!t);
  return {
    format: 'dependency-check-json',
    toolVersion: str(scanInfo.engineVersion),
    findings,
    warnings: warnings.items,
    dbUpdatedAt: timestamps.sort().pop(),
    target: isRecord(doc.projectInfo) ? str(doc.projectInfo.name) : undefined,
  };
}
