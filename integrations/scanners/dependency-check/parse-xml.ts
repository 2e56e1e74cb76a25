// Dependency-Check XML reports (namespaces dependency-check.1.3 … 4.1). One finding per
// <vulnerability> and per <suppressedVulnerability> of each <dependency>; related dependencies do
// not multiply. Parsed with ReportInput.xml(): no DTDs, no entity expansion.
import type { Cvss, ParsedFinding } from '../../../src/domain/finding.js';
import { ReportFormatError } from '../../../src/errors.js';
import { asArray, isRecord, num, str, WarningList, type JsonRecord } from '../../../src/plugins/parse-helpers.js';
import type { ReportInput } from '../../../src/plugins/report-input.js';
import type { ParseOutput } from '../../../src/plugins/scanner.js';
import { cvss3Vector, fixedFrom, packageFromPurl, toFinding, type DcPackage, type DcVulnerability } from './common.js';

function texts(node: unknown, key: string): string[] {
  return asArray(isRecord(node) ? node[key] : undefined).map(str).filter((s): s is string => !!s);
}

/** Every string under `id` / `name` in a subtree: identifiers are nested differently per schema. */
function collectIds(node: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 6) return out;
  for (const child of asArray(node)) {
    if (!isRecord(child)) continue;
    for (const [k, v] of Object.entries(child)) {
      if ((k === 'id' || k === 'name') && str(v)) out.push(str(v)!);
      else if (typeof v === 'object') collectIds(v, out, depth + 1);
    }
  }
  return out;
}

function packageOf(dep: JsonRecord): DcPackage {
  const ids = collectIds([dep.packages, dep.identifiers]);
  const purl = ids.find((id) => id.startsWith('pkg:'));
  const fromPurl = purl ? packageFromPurl(purl) : undefined;
  if (fromPurl) return fromPurl;
  // maven-style "group:artifact:version" identifiers of the older schemas
  const gav = ids.find((id) => /^[\w.-]+:[\w.-]+:[\w.-]+$/.test(id) && !id.startsWith('cpe:'));
  if (gav) {
    const [g, a, v] = gav.split(':');
    return { name: `${g}:${a}`, version: v, ecosystem: 'maven' };
  }
  const cpe = ids.map((id) => /^cpe:(?:2\.3:|\/)a:[^:]+:([^:]+):([^:*]+)/.exec(id)).find((m) => m !== null);
  if (cpe) return { name: cpe[1]!, version: cpe[2] };
  // Last: what Dependency-Check saw in the file itself (highest-confidence product and version).
  const evidence = asArray(isRecord(dep.evidenceCollected) ? dep.evidenceCollected.evidence : undefined).filter(isRecord);
  const best = (type: string) =>
    evidence
      .filter((e) => str(e['@_type']) === type)
      .sort((a, b) => CONFIDENCE.indexOf(str(a['@_confidence']) ?? 'LOW') - CONFIDENCE.indexOf(str(b['@_confidence']) ?? 'LOW'))
      .map((e) => str(e.value))[0];
  const product = best('product');
  return product ? { name: product, version: best('version') } : { name: str(dep.fileName) ?? 'unknown' };
}

const CONFIDENCE = ['HIGHEST', 'HIGH', 'MEDIUM', 'LOW'];

function readCvss(v: JsonRecord): Cvss[] {
  const out: Cvss[] = [];
  const v3 = isRecord(v.cvssV3) ? v.cvssV3 : undefined;
  if (v3) {
    const score = num(v3.baseScore);
    const fields = Object.fromEntries(Object.entries(v3).map(([k, val]) => [k, str(val)]));
    const vector = cvss3Vector(fields, str(v3.version) ?? '3.1');
    out.push({ version: str(v3.version) ?? '3.1', ...(score !== undefined ? { score } : {}), ...(vector ? { vector } : {}), source: str(v.source) ?? 'nvd' });
  }
  const v4 = isRecord(v.cvssV4) ? v.cvssV4 : undefined;
  if (v4 && num(v4.baseScore) !== undefined) out.push({ version: '4.0', score: num(v4.baseScore)!, ...(str(v4.vectorString) ? { vector: str(v4.vectorString) } : {}), source: str(v.source) ?? 'nvd' });
  const v2 = isRecord(v.cvssV2) ? v.cvssV2 : undefined;
  if (v2 && num(v2.score) !== undefined) out.push({ version: '2.0', score: num(v2.score)!, source: str(v.source) ?? 'nvd' });
  return out;
}

function readVulnerability(v: JsonRecord, suppressed: boolean): DcVulnerability | undefined {
  const name = str(v.name);
  if (!name) return undefined;
  const v2 = isRecord(v.cvssV2) ? v.cvssV2 : undefined;
  return {
    name,
    source: str(v['@_source']),
    severity: str(v.severity) ?? str(v2?.severity),
    description: str(v.description),
    cwes: [...texts(v.cwes, 'cwe'), ...asArray(v.cwe).map(str)],
    cvss: readCvss({ ...v, source: str(v['@_source']) }),
    references: asArray(isRecord(v.references) ? v.references.reference : undefined).flatMap((r) => (isRecord(r) ? [str(r.url) ?? '', str(r.name) ?? ''] : [])),
    suppressed,
    notes: str(v.notes),
  };
}

export function parseDependencyCheckXml(input: ReportInput): ParseOutput {
  const root = input.xml().analysis;
  if (!isRecord(root)) throw new ReportFormatError('A Dependency-Check XML report has an <analysis> root.', { pointer: '/analysis' });
  const warnings = new WarningList();
  const findings: ParsedFinding[] = [];
  const scanInfo = isRecord(root.scanInfo) ? root.scanInfo : {};
  const deps = isRecord(root.dependencies) ? asArray(root.dependencies.dependency) : [];
  deps.forEach((dep, d) => {
    const at = `/analysis/dependencies/dependency[${d}]`;
    if (!isRecord(dep)) return warnings.add(at, 'Skipped a dependency that is not an element.');
    const pkg = packageOf(dep);
    const path = str(dep.fileName);
    const vulns = isRecord(dep.vulnerabilities) ? dep.vulnerabilities : {};
    for (const [tag, suppressed] of [['vulnerability', false], ['suppressedVulnerability', true]] as const) {
      asArray(vulns[tag]).forEach((v, i) => {
        const vuln = isRecord(v) ? readVulnerability(v, suppressed) : undefined;
        if (!vuln) return warnings.add(`${at}/vulnerabilities/${tag}[${i}]`, 'Skipped a vulnerability without a name.');
        const software = isRecord(v) && isRecord(v.vulnerableSoftware) ? asArray(v.vulnerableSoftware.software) : [];
        const fixes = fixedFrom(software.map((s) => (isRecord(s) && str(s['@_matched']) === 'true' ? str(s['@_versionEndExcluding']) : undefined)));
        findings.push(toFinding(vuln, pkg, path, fixes));
        return undefined;
      });
    }
    return undefined;
  });
  const sources = asArray(scanInfo.dataSource).filter(isRecord).map((s) => str(s.timestamp)).filter((t): t is string => !!t);
  return {
    format: 'dependency-check-xml',
    toolVersion: str(scanInfo.engineVersion),
    findings,
    warnings: warnings.items,
    dbUpdatedAt: sources.sort().pop(),
    target: isRecord(root.projectInfo) ? str(root.projectInfo.name) : undefined,
  };
}
