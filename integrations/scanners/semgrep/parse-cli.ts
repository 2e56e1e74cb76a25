// `semgrep scan --json` output, 0.x (no version, no fingerprint) to 1.x ("requires login"
// placeholders for fingerprint and lines when not logged in). One finding per result.
import type { Category, ParsedFinding } from '../../../src/domain/finding.js';
import { ReportFormatError } from '../../../src/errors.js';
import { asArray, isRecord, lineNumber, parseCwes, str, uniqueStrings, vulnIdsInText, WarningList, type JsonRecord } from '../../../src/plugins/parse-helpers.js';
import type { ParseOutput } from '../../../src/plugins/scanner.js';
import { semgrepConfidence, semgrepSeverity } from './severity.js';

const REQUIRES_LOGIN = 'requires login';

function categoryOf(checkId: string, metadata: JsonRecord | undefined): Category {
  const cat = str(metadata?.category)?.toLowerCase();
  const product = str(metadata?.product)?.toLowerCase();
  if (cat === 'secret' || cat === 'secrets' || product === 'secrets' || /\bsecrets?\b/.test(checkId)) return 'secret';
  if (metadata?.['sca-kind'] !== undefined || product === 'supply-chain') return 'vulnerability';
  return 'code';
}

export function parseCli(doc: JsonRecord): ParseOutput {
  const warnings = new WarningList();
  if (!Array.isArray(doc.results)) throw new ReportFormatError('"results" must be an array.', { pointer: '/results' });
  const findings: ParsedFinding[] = [];
  doc.results.forEach((r, i) => {
    const at = `/results/${i}`;
    if (!isRecord(r)) return warnings.add(at, 'Skipped a result that is not an object.');
    const checkId = str(r.check_id);
    const path = str(r.path);
    const start = isRecord(r.start) ? r.start : undefined;
    const end = isRecord(r.end) ? r.end : undefined;
    const extra = isRecord(r.extra) ? r.extra : {};
    if (!checkId || !path) return warnings.add(at, 'Skipped a result without check_id or path.');
    const metadata = isRecord(extra.metadata) ? extra.metadata : undefined;
    const label = str(extra.severity);
    const fingerprint = str(extra.fingerprint);
    const lines = typeof extra.lines === 'string' && extra.lines.trim() !== REQUIRES_LOGIN && extra.lines.trim() !== '' ? extra.lines : undefined;
    const message = str(extra.message);
    const category = categoryOf(checkId, metadata);
    const sca = isRecord(extra.sca_info) ? extra.sca_info : undefined;
    const dependency = isRecord(sca?.dependency_match) && isRecord(sca.dependency_match.found_dependency) ? sca.dependency_match.found_dependency : undefined;
    const startLine = lineNumber(start?.line);
    const endLine = lineNumber(end?.line);
    const startColumn = lineNumber(start?.col);
    const endColumn = lineNumber(end?.col);
    const finding: ParsedFinding = {
      tool: 'semgrep',
      ruleId: checkId,
      category,
      severity: semgrepSeverity(label),
      ...(label ? { toolSeverity: label } : {}),
      title: message ? (message.split('\n')[0] ?? message).slice(0, 300) : checkId,
      ...(message ? { description: message } : {}),
      vulnerabilityIds: category === 'vulnerability' ? vulnIdsInText([str(metadata?.['sca-vuln-database-identifier']), ...asArray(metadata?.references).map(str)].join(' ')) : [],
      cwes: parseCwes(metadata?.cwe),
      ...(dependency && str(dependency.package)
        ? { package: { name: str(dependency.package)!, ...(str(dependency.version) ? { version: str(dependency.version) } : {}), ...(str(dependency.ecosystem) ? { ecosystem: str(dependency.ecosystem) } : {}) } }
        : {}),
      fixedVersions: [],
      location: {
        path,
        ...(startLine !== undefined ? { startLine } : {}),
        ...(endLine !== undefined ? { endLine } : {}),
        ...(startColumn !== undefined ? { startColumn } : {}),
        ...(endColumn !== undefined ? { endColumn } : {}),
      },
      // `nosemgrep` comments mark a result ignored: the team said it is a false positive.
      status: extra.is_ignored === true ? 'false_positive' : 'open',
      ...(semgrepConfidence(str(metadata?.confidence)) ? { confidence: semgrepConfidence(str(metadata?.confidence)) } : {}),
      references: uniqueStrings([...asArray(metadata?.references), metadata?.source]),
      ...(lines ? { snippet: lines } : {}),
      ...(fingerprint && fingerprint !== REQUIRES_LOGIN ? { toolFingerprint: fingerprint } : {}),
    };
    findings.push(finding);
    return undefined;
  });
  asArray(doc.errors).forEach((e, i) => {
    if (!isRecord(e)) return;
    const level = str(e.level);
    if (level === 'error' || level === 'warn') warnings.add(`/errors/${i}`, `Semgrep reported: ${str(e.message)?.split('\n')[0] ?? str(e.type) ?? 'an error'}`);
  });
  return { format: 'semgrep-json', toolVersion: str(doc.version), findings, warnings: warnings.items };
}
