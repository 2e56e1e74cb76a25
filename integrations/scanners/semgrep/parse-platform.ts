// Semgrep AppSec Platform exports: the Supply Chain "deployments vulns" page ({"vulns": […]})
// and the findings API ({"findings": […]}).
import type { ParsedFinding } from '../../../src/domain/finding.js';
import { ReportFormatError } from '../../../src/errors.js';
import { asArray, buildPurl, isRecord, lineNumber, orderVulnIds, parseCwes, str, uniqueStrings, vulnIdsInText, WarningList, type JsonRecord } from '../../../src/plugins/parse-helpers.js';
import { ecosystemType } from '../../../src/domain/identity.js';
import type { ParseOutput } from '../../../src/plugins/scanner.js';
import { semgrepConfidence, semgrepSeverity } from './severity.js';

export function parseSupplyChain(doc: JsonRecord): ParseOutput {
  const warnings = new WarningList();
  if (!Array.isArray(doc.vulns)) throw new ReportFormatError('"vulns" must be an array.', { pointer: '/vulns' });
  const findings: ParsedFinding[] = [];
  doc.vulns.forEach((v, i) => {
    const at = `/vulns/${i}`;
    if (!isRecord(v)) return warnings.add(at, 'Skipped an entry that is not an object.');
    const advisory = isRecord(v.advisory) ? v.advisory : {};
    const refs = isRecord(advisory.references) ? advisory.references : {};
    const dep = isRecord(v.matchedDependency) ? v.matchedDependency : {};
    const loc = isRecord(v.dependencyFileLocation) ? v.dependencyFileLocation : {};
    const name = str(dep.name);
    const ruleId = str(advisory.ruleId);
    if (!name || !ruleId) return warnings.add(at, 'Skipped an entry without advisory.ruleId or matchedDependency.name.');
    const version = str(dep.versionSpecifier);
    const ecosystem = str(advisory.ecosystem);
    const eco = ecosystemType(ecosystem);
    const ids = orderVulnIds([...asArray(refs.cveIds).map(str), ...vulnIdsInText(asArray(refs.urls).map(str).join(' '))]);
    const label = str(advisory.severity);
    const safe = isRecord(v.closestSafeDependency) ? str(v.closestSafeDependency.versionSpecifier) : undefined;
    const startLine = lineNumber(loc.startLine);
    const triage = isRecord(v.triage) ? str(v.triage.status) : undefined;
    findings.push({
      tool: 'semgrep',
      ruleId,
      category: 'vulnerability',
      severity: semgrepSeverity(label),
      ...(label ? { toolSeverity: label } : {}),
      title: str(v.title) ?? str(advisory.title) ?? ruleId,
      ...(str(advisory.description) ? { description: str(advisory.description) } : {}),
      vulnerabilityIds: ids,
      cwes: parseCwes(refs.cweIds),
      package: { name, ...(version ? { version } : {}), ...(ecosystem ? { ecosystem } : {}), ...(eco ? { purl: buildPurl(eco, name, version) } : {}) },
      fixedVersions: safe ? [safe] : [],
      location: { ...(str(loc.path) ? { path: str(loc.path) } : {}), ...(startLine ? { startLine } : {}) },
      status: triage === 'IGNORED' ? 'false_positive' : triage === 'FIXED' ? 'fixed' : 'open',
      references: uniqueStrings(asArray(refs.urls)),
    });
    return undefined;
  });
  return { format: 'semgrep-supply-chain', findings, warnings: warnings.items };
}

const PLATFORM_STATUS: Record<string, ParsedFinding['status']> = { fixed: 'fixed', ignored: 'false_positive', reviewing: 'open', open: 'open' };

export function parsePlatform(doc: JsonRecord): ParseOutput {
  const warnings = new WarningList();
  if (!Array.isArray(doc.findings)) throw new ReportFormatError('"findings" must be an array.', { pointer: '/findings' });
  const findings: ParsedFinding[] = [];
  doc.findings.forEach((f, i) => {
    const at = `/findings/${i}`;
    if (!isRecord(f)) return warnings.add(at, 'Skipped a finding that is not an object.');
    const rule = isRecord(f.rule) ? f.rule : {};
    const loc = isRecord(f.location) ? f.location : {};
    const ruleId = str(f.rule_name) ?? str(rule.name);
    const path = str(loc.file_path);
    if (!ruleId || !path) return warnings.add(at, 'Skipped a finding without rule_name or location.file_path.');
    const label = str(f.severity);
    const message = str(f.rule_message) ?? str(rule.message);
    const startLine = lineNumber(loc.line);
    const endLine = lineNumber(loc.end_line);
    const status = str(f.status)?.toLowerCase();
    const matchId = str(f.match_based_id);
    findings.push({
      tool: 'semgrep',
      ruleId,
      category: asArray(f.categories).some((c) => str(c) === 'secrets') ? 'secret' : 'code',
      severity: semgrepSeverity(label),
      ...(label ? { toolSeverity: label } : {}),
      title: message ? (message.split('\n')[0] ?? message).slice(0, 300) : ruleId,
      ...(message ? { description: message } : {}),
      vulnerabilityIds: [],
      cwes: parseCwes(rule.cwe_names),
      fixedVersions: [],
      location: { path, ...(startLine ? { startLine } : {}), ...(endLine ? { endLine } : {}), ...(lineNumber(loc.column) ? { startColumn: lineNumber(loc.column) } : {}), ...(lineNumber(loc.end_column) ? { endColumn: lineNumber(loc.end_column) } : {}) },
      status: (status && PLATFORM_STATUS[status]) || 'open',
      ...(semgrepConfidence(str(f.confidence) ?? str(rule.confidence)) ? { confidence: semgrepConfidence(str(f.confidence) ?? str(rule.confidence)) } : {}),
      references: [],
      // match_based_id is Semgrep's own line-independent identity of a match.
      ...(matchId ? { toolFingerprint: matchId } : {}),
    });
    return undefined;
  });
  return { format: 'semgrep-platform', findings, warnings: warnings.items };
}
