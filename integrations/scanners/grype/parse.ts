// `grype -o json` → findings, one per match. Old reports (0.7) have `matchDetails` as an object and
// no relatedVulnerabilities; newer ones add relatedVulnerabilities, fix states, EPSS/KEV and risk.
import type { Cvss, ParsedFinding, Severity } from '../../../src/domain/finding.js';
import { ecosystemType } from '../../../src/domain/identity.js';
import { severityFromLabel, severityFromScore } from '../../../src/domain/severity.js';
import { ReportFormatError } from '../../../src/errors.js';
import { asArray, buildPurl, isRecord, num, orderVulnIds, parseCwes, str, uniqueStrings, WarningList, type JsonRecord } from '../../../src/plugins/parse-helpers.js';
import type { ReportInput } from '../../../src/plugins/report-input.js';
import type { ParseOutput } from '../../../src/plugins/scanner.js';

function readCvss(entries: unknown, fallbackSource: string | undefined): Cvss[] {
  const out: Cvss[] = [];
  for (const c of asArray(entries)) {
    if (!isRecord(c)) continue;
    const metrics = isRecord(c.metrics) ? c.metrics : {};
    const version = str(c.version) ?? (str(c.vector)?.startsWith('CVSS:4') ? '4.0' : str(c.vector)?.startsWith('CVSS:3') ? '3.1' : '2.0');
    const score = num(metrics.baseScore);
    const vector = str(c.vector);
    const source = str(c.source) ?? fallbackSource;
    out.push({ version, ...(score !== undefined ? { score } : {}), ...(vector ? { vector } : {}), ...(source ? { source } : {}) });
  }
  return out;
}

/**
 * Grype's label wins. Unknown and Negligible are info (DESIGN §2.1): Grype says Negligible on
 * purpose; Unknown falls back to the highest CVSS score only when one is given.
 */
export function grypeSeverity(label: string | undefined, cvss: Cvss[]): Severity {
  const l = label?.toLowerCase();
  if (l === 'negligible') return 'info';
  const fromLabel = severityFromLabel(label);
  if (fromLabel) return fromLabel;
  const scores = cvss.map((c) => c.score).filter((s): s is number => s !== undefined);
  return (scores.length ? severityFromScore(Math.max(...scores)) : undefined) ?? 'info';
}

export function parseGrype(input: ReportInput): ParseOutput {
  const doc = input.json();
  if (!isRecord(doc) || !Array.isArray(doc.matches)) throw new ReportFormatError('A Grype report has a "matches" array.', { pointer: '/matches' });
  const warnings = new WarningList();
  const source = isRecord(doc.source) ? doc.source : {};
  const target = isRecord(source.target) ? source.target : undefined;
  const image = str(source.type) === 'image' ? (str(target?.userInput) ?? str(source.target)) : undefined;
  const scanned = image ?? str(target?.userInput) ?? str(source.target);
  const descriptor = isRecord(doc.descriptor) ? doc.descriptor : {};
  const db = isRecord(descriptor.db) ? descriptor.db : {};
  const dbStatus = isRecord(db.status) ? db.status : db;
  const findings: ParsedFinding[] = [];
  doc.matches.forEach((m, i) => {
    const at = `/matches/${i}`;
    if (!isRecord(m)) return warnings.add(at, 'Skipped a match that is not an object.');
    const finding = readMatch(m, image, at, warnings);
    if (finding) findings.push(finding);
    return undefined;
  });
  const version = str(descriptor.version);
  return {
    format: 'grype-json',
    toolVersion: version && version !== '[not provided]' ? version : undefined,
    findings,
    warnings: warnings.items,
    dbUpdatedAt: str(dbStatus.built) ?? str(db.built),
    target: scanned,
  };
}

function readMatch(m: JsonRecord, image: string | undefined, at: string, warnings: WarningList): ParsedFinding | undefined {
  const v = isRecord(m.vulnerability) ? m.vulnerability : undefined;
  const a = isRecord(m.artifact) ? m.artifact : undefined;
  const id = str(v?.id);
  const name = str(a?.name);
  if (!v || !a || !id || !name) {
    warnings.add(at, 'Skipped a match without vulnerability.id or artifact.name.');
    return undefined;
  }
  const version = str(a.version);
  const type = str(a.type);
  const related = asArray(m.relatedVulnerabilities).filter(isRecord);
  const cvss = [...readCvss(v.cvss, str(v.namespace)), ...related.flatMap((r) => readCvss(r.cvss, str(r.namespace)))];
  const label = str(v.severity);
  const fix = isRecord(v.fix) ? v.fix : {};
  const fixState = str(fix.state);
  // Versions Grype lists are fixes even under wont-fix (a newer upstream release has the fix).
  const fixedVersions = uniqueStrings(asArray(fix.versions));
  const eco = ecosystemType(type);
  const purl = str(a.purl) ?? (eco && !['apk', 'deb', 'rpm'].includes(eco) ? buildPurl(eco, name, version) : undefined);
  const locations = asArray(a.locations).filter(isRecord);
  const path = str(locations[0]?.path);
  const layer = str(locations[0]?.layerID);
  const description = str(v.description) ?? related.map((r) => str(r.description)).find(Boolean);
  return {
    tool: 'grype',
    ruleId: id,
    category: 'vulnerability',
    severity: grypeSeverity(label, cvss),
    ...(label ? { toolSeverity: label } : {}),
    title: `${id} in ${name}${version ? `:${version}` : ''}`,
    ...(description ? { description } : {}),
    vulnerabilityIds: orderVulnIds([id, ...related.map((r) => str(r.id))]),
    cwes: parseCwes([...asArray(v.cwes).map((c) => (isRecord(c) ? c.cwe : c))]),
    package: { name, ...(version ? { version } : {}), ...(type ? { ecosystem: type } : {}), ...(purl ? { purl } : {}) },
    fixedVersions,
    location: { ...(path ? { path } : {}), ...(image ? { image } : {}), ...(layer ? { layer } : {}) },
    ...(cvss.length ? { cvss } : {}),
    status: fixState === 'not-affected' ? 'not_affected' : 'open',
    references: uniqueStrings([v.dataSource, ...asArray(v.urls), ...related.flatMap((r) => [r.dataSource, ...asArray(r.urls)])]),
  };
}
