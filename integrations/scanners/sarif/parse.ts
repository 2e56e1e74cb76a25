// SARIF 2.1.0 → findings: one per result per location (a result without locations gives one
// finding without a file). Results of kind other than "fail" are not problems and are skipped.
import type { Category, ParsedFinding } from '../../../src/domain/finding.js';
import { ReportFormatError } from '../../../src/errors.js';
import { asArray, isRecord, lineNumber, orderVulnIds, parseCwes, pointer, str, uniqueStrings, vulnIdsInText, WarningList, type JsonRecord } from '../../../src/plugins/parse-helpers.js';
import type { ReportInput } from '../../../src/plugins/report-input.js';
import type { ParseOutput } from '../../../src/plugins/scanner.js';
import { RuleIndex, type RuleView } from './rules.js';
import { sarifSeverity } from './severity.js';

export function parseSarif(input: ReportInput): ParseOutput {
  const doc = input.json();
  if (!isRecord(doc) || !Array.isArray(doc.runs)) throw new ReportFormatError('A SARIF log has a "runs" array.', { pointer: '/runs' });
  const warnings = new WarningList();
  const findings: ParsedFinding[] = [];
  let toolVersion: string | undefined;
  doc.runs.forEach((run, r) => {
    const at = pointer('runs', r);
    if (!isRecord(run)) return warnings.add(at, 'Skipped a run that is not an object.');
    const driver = isRecord(run.tool) && isRecord(run.tool.driver) ? run.tool.driver : {};
    toolVersion ??= str(driver.semanticVersion) ?? str(driver.version);
    const rules = new RuleIndex(run);
    const bases = new Map<string, string>();
    if (isRecord(run.originalUriBaseIds)) {
      for (const [id, base] of Object.entries(run.originalUriBaseIds)) if (isRecord(base) && str(base.uri)) bases.set(id, str(base.uri)!);
    }
    const results = run.results;
    if (results != null && !Array.isArray(results)) return warnings.add(`${at}/results`, 'Skipped "results": not an array.');
    asArray(results).forEach((result, i) => {
      const rat = `${at}/results/${i}`;
      if (!isRecord(result)) return warnings.add(rat, 'Skipped a result that is not an object.');
      // pass, notApplicable, informational … are not problems; some producers write "FAIL".
      if ((str(result.kind) ?? 'fail').toLowerCase() !== 'fail') return undefined;
      findings.push(...readResult(result, rules, str(driver.name), bases));
      return undefined;
    });
    return undefined;
  });
  return { format: 'sarif-2.1.0', toolVersion, findings, warnings: warnings.items };
}

function messageText(message: unknown, rule: RuleView | undefined): string | undefined {
  if (!isRecord(message)) return undefined;
  let text = str(message.text) ?? (str(message.id) ? rule?.messageString(str(message.id)!) : undefined);
  if (!text) return undefined;
  const args = asArray(message.arguments).map((a) => String(a ?? ''));
  text = text.replace(/\{(\d+)\}/g, (whole, n: string) => args[Number(n)] ?? whole);
  return text;
}

/** A file path from an artifact URI: file:// stripped, percent-decoding applied, relative kept relative. */
export function pathFromUri(uri: string): string {
  let path = uri.replace(/^file:\/\/(localhost)?/i, '');
  if (/^\/[A-Za-z]:\//.test(path)) path = path.slice(1); // file:///C:/x → C:/x
  try {
    path = decodeURIComponent(path);
  } catch {
    // a literal % in the name: keep it as it is
  }
  return path;
}

/** The tool's stable identity of a result: the newest version of its first fingerprint family. */
function toolFingerprint(result: JsonRecord): string | undefined {
  const pick = (bag: unknown): string | undefined => {
    if (!isRecord(bag)) return undefined;
    const entries = Object.entries(bag);
    if (entries.length === 0) return undefined;
    const families = new Map<string, { version: number; value: string }>();
    for (const [key, raw] of entries) {
      const value = isRecord(raw) ? str(raw.value) : str(raw);
      if (!value) continue;
      const m = /^(.*?)(?:\/v(\d+))?$/.exec(key)!;
      const family = m[1]!;
      const version = Number(m[2] ?? 0);
      const current = families.get(family);
      if (!current || version > current.version) families.set(family, { version, value });
    }
    const first = [...families.entries()].sort(([a], [b]) => a.localeCompare(b))[0];
    return first ? `${first[0]}:${first[1].value}` : undefined;
  };
  // Line-hash families (primaryLocationLineHash) are line-sensitive but survive moves of unrelated
  // code; they are the best a SARIF producer offers, so they are used when present.
  return pick(result.fingerprints) ?? pick(result.partialFingerprints);
}

function statusOf(result: JsonRecord): ParsedFinding['status'] {
  const suppressions = asArray(result.suppressions).filter(isRecord);
  if (suppressions.length === 0) return 'open';
  // `state` is the pre-2.1.0 spelling of `status` that some producers still write.
  const statuses = suppressions.map((s) => str(s.status) ?? str(s.state) ?? 'accepted');
  if (statuses.includes('accepted')) {
    const justification = suppressions.map((s) => str(s.justification) ?? '').join(' ');
    return /accept(ed)?\s+risk|risk accepted|won'?t fix/i.test(justification) ? 'accepted_risk' : 'false_positive';
  }
  return 'open'; // underReview or rejected: the suppression is not in force
}

function categoryOf(ruleId: string, rule: RuleView | undefined, ids: string[], hasPackageHint: boolean): Category {
  const tags = rule?.tags.join(' ').toLowerCase() ?? '';
  if (/\bsecret|credential|password/.test(`${ruleId} ${tags}`) && !ids.length) return 'secret';
  if (ids.length && (hasPackageHint || /vulnerab|cve|ghsa/i.test(`${ruleId} ${tags}`))) return 'vulnerability';
  if (/misconfig|iac|dockerfile|kubernetes|terraform/.test(tags)) return 'misconfiguration';
  return 'code';
}

/**
 * A relative URI is joined to its uriBaseId only when that base is itself relative (a repository
 * sub-directory): absolute bases (file:///C:/agent/work/…) are machine-specific and would give the
 * same finding a different path on every build agent, so the repository-relative URI is kept.
 */
function resolveUri(uri: string | undefined, baseId: string | undefined, bases: Map<string, string>): string | undefined {
  if (!uri || !baseId || /^[a-z]+:/i.test(uri)) return uri;
  const base = bases.get(baseId);
  if (!base || /^[a-z]+:/i.test(base) || base.startsWith('/')) return uri;
  return base.replace(/\/?$/, '/') + uri.replace(/^\.?\//, '');
}

function readResult(result: JsonRecord, rules: RuleIndex, driverName: string | undefined, bases: Map<string, string>): ParsedFinding[] {
  const rule = rules.forResult(result);
  // A result without any rule id is still a reported problem: it gets a stable placeholder id.
  const ruleId = str(result.ruleId) ?? rule?.id ?? (isRecord(result.rule) ? str(result.rule.id) : undefined) ?? 'unnamed-rule';
  const text = messageText(result.message, rule);
  const title = (rule?.shortDescription ?? text ?? rule?.name ?? ruleId).split('\n')[0]!.slice(0, 250);
  const description = [text, rule?.fullDescription && rule.fullDescription !== text ? rule.fullDescription : undefined].filter(Boolean).join('\n\n') || undefined;
  const props = isRecord(result.properties) ? result.properties : {};
  const { severity, toolSeverity, score } = sarifSeverity(str(result.level) ?? rule?.defaultLevel, props['security-severity'] ?? rule?.securitySeverity);
  const ids = orderVulnIds([...vulnIdsInText(ruleId), ...(rule?.vulnIds ?? []), ...vulnIdsInText(typeof props.cve === 'string' ? props.cve : undefined)]);
  const cwes = [...new Set([...(rule?.cwes ?? []), ...parseCwes(props.cwe)])];
  const locations = asArray(result.locations).filter(isRecord);
  const fingerprintOfTool = toolFingerprint(result);
  const base = {
    tool: 'sarif',
    ruleId,
    severity,
    ...(toolSeverity ? { toolSeverity } : {}),
    title,
    ...(description ? { description } : {}),
    vulnerabilityIds: ids,
    cwes,
    fixedVersions: [] as string[],
    ...(score !== undefined ? { cvss: [{ version: '3.1', score, source: driverName ?? 'sarif' }] } : {}),
    status: statusOf(result),
    references: uniqueStrings([rule?.helpUri]),
    ...(fingerprintOfTool ? { toolFingerprint: fingerprintOfTool } : {}),
  };
  const category = categoryOf(ruleId, rule, ids, /trivy|grype|dependency|osv|snyk/i.test(driverName ?? ''));
  if (locations.length === 0) return [{ ...base, category }];
  return locations.map((loc) => {
    const physical = isRecord(loc.physicalLocation) ? loc.physicalLocation : {};
    const artifact = isRecord(physical.artifactLocation) ? physical.artifactLocation : {};
    const region = isRecord(physical.region) ? physical.region : {};
    const uri = resolveUri(str(artifact.uri), str(artifact.uriBaseId), bases);
    const startLine = lineNumber(region.startLine);
    const endLine = lineNumber(region.endLine);
    const startColumn = lineNumber(region.startColumn);
    const endColumn = lineNumber(region.endColumn);
    const snippet = isRecord(region.snippet) ? str(region.snippet.text) : undefined;
    return {
      ...base,
      category,
      location: {
        ...(uri ? { path: pathFromUri(uri) } : {}),
        ...(startLine ? { startLine } : {}),
        ...(endLine ? { endLine } : {}),
        ...(startColumn ? { startColumn } : {}),
        ...(endColumn ? { endColumn } : {}),
      },
      ...(snippet ? { snippet } : {}),
    };
  });
}
