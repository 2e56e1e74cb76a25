// GitLab security report → findings, one per vulnerabilities[] entry (GitLab does not merge either).
import type { Category, ParsedFinding } from '../../../src/domain/finding.js';
import { ecosystemType } from '../../../src/domain/identity.js';
import { severityFromLabel } from '../../../src/domain/severity.js';
import { ReportFormatError } from '../../../src/errors.js';
import { asArray, buildPurl, confidenceFromLabel, isRecord, lineNumber, orderVulnIds, parseCwes, str, uniqueStrings, vulnIdsInText, WarningList, type JsonRecord } from '../../../src/plugins/parse-helpers.js';
import type { ReportInput } from '../../../src/plugins/report-input.js';
import type { ParseOutput } from '../../../src/plugins/scanner.js';

type ReportType = 'container_scanning' | 'dependency_scanning' | 'sast' | 'secret_detection' | 'cluster_image_scanning';

/** scan.type, else the first vulnerability's category, else what its location looks like. */
export function reportType(doc: JsonRecord): ReportType {
  const scan = isRecord(doc.scan) ? str(doc.scan.type) : undefined;
  const first = asArray(doc.vulnerabilities).find(isRecord);
  const declared = scan ?? str(first?.category);
  if (declared === 'container_scanning' || declared === 'dependency_scanning' || declared === 'sast' || declared === 'secret_detection' || declared === 'cluster_image_scanning') return declared;
  const loc = isRecord(first?.location) ? first.location : {};
  if (str(loc.image)) return 'container_scanning';
  const dep = isRecord(loc.dependency) && isRecord(loc.dependency.package) ? loc.dependency.package : undefined;
  return str(dep?.name) && !lineNumber(loc.start_line) ? 'dependency_scanning' : 'sast';
}

const CATEGORY: Record<ReportType, Category> = {
  container_scanning: 'vulnerability',
  cluster_image_scanning: 'vulnerability',
  dependency_scanning: 'vulnerability',
  sast: 'code',
  secret_detection: 'secret',
};

/** "Upgrade apt from 1.4.8 to 1.4.9" / "Upgrade to version 2.2.3 or above." → the versions named. */
export function versionsFromSolution(solution: string | undefined): string[] {
  if (!solution) return [];
  const m = /\bto (?:versions? )?(v?\d[\w.+~:-]*(?:\s*(?:,|or)\s*v?\d[\w.+~:-]*)*)/i.exec(solution);
  return m ? uniqueStrings(m[1]!.split(/\s*(?:,|\bor\b)\s*/).map((v) => v.replace(/[.,]$/, ''))) : [];
}

function ecosystemOf(type: ReportType, loc: JsonRecord): string | undefined {
  if (type === 'container_scanning' || type === 'cluster_image_scanning') return str(loc.operating_system)?.split(':')[0];
  const file = str(loc.file)?.split('/').pop();
  const byFile: Record<string, string> = {
    'package-lock.json': 'npm', 'yarn.lock': 'npm', 'pnpm-lock.yaml': 'npm', 'go.sum': 'golang', 'go.mod': 'golang', 'Gemfile.lock': 'gem',
    'requirements.txt': 'pypi', 'Pipfile.lock': 'pypi', 'poetry.lock': 'pypi', 'pom.xml': 'maven', 'build.gradle': 'maven', 'composer.lock': 'composer', 'packages.lock.json': 'nuget',
  };
  return file ? byFile[file] : undefined;
}

export function parseGitlab(input: ReportInput): ParseOutput {
  const doc = input.json();
  if (!isRecord(doc) || !Array.isArray(doc.vulnerabilities)) throw new ReportFormatError('A GitLab security report has a "vulnerabilities" array.', { pointer: '/vulnerabilities' });
  const type = reportType(doc);
  const warnings = new WarningList();
  const scanner = isRecord(doc.scan) && isRecord(doc.scan.scanner) ? doc.scan.scanner : {};
  const findings: ParsedFinding[] = [];
  doc.vulnerabilities.forEach((v, i) => {
    const at = `/vulnerabilities/${i}`;
    if (!isRecord(v)) return warnings.add(at, 'Skipped a vulnerability that is not an object.');
    const identifiers = asArray(v.identifiers).filter(isRecord);
    const ofType = (...types: string[]) => identifiers.filter((x) => types.includes((str(x.type) ?? '').toLowerCase())).map((x) => str(x.value) ?? str(x.name)).filter((x): x is string => !!x);
    const cves = ofType('cve');
    const ghsas = ofType('ghsa');
    const cwes = parseCwes(ofType('cwe').map((c) => (/^\d+$/.test(c) ? `CWE-${c}` : c)));
    const ruleIdentifier = identifiers.find((x) => !['cwe', 'owasp', 'cve', 'ghsa'].includes((str(x.type) ?? '').toLowerCase()));
    const ruleId = CATEGORY[type] === 'vulnerability' ? (cves[0] ?? ghsas[0] ?? str(ruleIdentifier?.value) ?? str(v.id)) : (str(ruleIdentifier?.value) ?? str(ruleIdentifier?.name) ?? str(v.name) ?? str(v.id));
    if (!ruleId) return warnings.add(at, 'Skipped a vulnerability without identifiers, name or id.');
    const loc = isRecord(v.location) ? v.location : {};
    const dep = isRecord(loc.dependency) ? loc.dependency : {};
    const pkgName = isRecord(dep.package) ? str(dep.package.name) : undefined;
    const version = str(dep.version);
    const eco = ecosystemOf(type, loc);
    const purlType = ecosystemType(eco);
    const label = str(v.severity);
    const title = str(v.name) ?? str(v.message) ?? str(v.description)?.split('\n')[0] ?? ruleId;
    const legacyId = str(v.cve);
    const startLine = lineNumber(loc.start_line);
    const endLine = lineNumber(loc.end_line);
    findings.push({
      tool: 'gitlab-security-report',
      ruleId,
      category: CATEGORY[type],
      severity: severityFromLabel(label) ?? 'info',
      ...(label ? { toolSeverity: label } : {}),
      title: title.slice(0, 250),
      ...(str(v.description) ? { description: str(v.description) } : {}),
      vulnerabilityIds: CATEGORY[type] === 'vulnerability' ? orderVulnIds([...cves, ...ghsas, ...vulnIdsInText(identifiers.map((x) => str(x.url)).join(' ')), ...(cves.length || ghsas.length ? [] : [ruleId])]) : [],
      cwes,
      ...(pkgName
        ? { package: { name: pkgName, ...(version ? { version } : {}), ...(eco ? { ecosystem: eco } : {}), ...(purlType && !['apk', 'deb', 'rpm'].includes(purlType) ? { purl: buildPurl(purlType, pkgName, version) } : {}) } }
        : {}),
      fixedVersions: CATEGORY[type] === 'vulnerability' ? versionsFromSolution(str(v.solution)) : [],
      location: {
        ...(str(loc.file) ? { path: str(loc.file) } : {}),
        ...(startLine ? { startLine } : {}),
        ...(endLine ? { endLine } : {}),
        ...(str(loc.image) ? { image: str(loc.image) } : {}),
      },
      status: 'open',
      ...(confidenceFromLabel(str(v.confidence)) ? { confidence: confidenceFromLabel(str(v.confidence)) } : {}),
      references: uniqueStrings([...identifiers.map((x) => x.url), ...asArray(v.links).map((l) => (isRecord(l) ? l.url : undefined))]),
      // The legacy `cve` field of SAST reports embeds a hash of the matched code: stable when lines move.
      ...(CATEGORY[type] !== 'vulnerability' && legacyId && /[0-9a-f]{40}/.test(legacyId) ? { toolFingerprint: legacyId } : {}),
    });
    return undefined;
  });
  return {
    format: `gitlab-${type === 'secret_detection' ? 'sast' : type === 'cluster_image_scanning' ? 'container-scanning' : type.replace('_', '-')}`,
    toolVersion: str(scanner.version),
    findings,
    warnings: warnings.items,
  };
}
