// npm ≤ 6 `npm audit --json`: one finding per advisory (advisories{}), located in package-lock.json
// with the first dependency path as the resource.
import type { ParsedFinding } from '../../../src/domain/finding.js';
import { ReportFormatError } from '../../../src/errors.js';
import { asArray, buildPurl, isRecord, orderVulnIds, parseCwes, pointer, str, uniqueStrings, WarningList, type JsonRecord } from '../../../src/plugins/parse-helpers.js';
import type { ParseOutput } from '../../../src/plugins/scanner.js';
import { ghsaFromUrl, npmSeverity, patchedVersions } from './common.js';

/** npm writes CWE as "CWE-94", null, a list, or a list encoded as a JSON string. */
function cwesOf(value: unknown): number[] {
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      return parseCwes(JSON.parse(value) as unknown);
    } catch {
      return parseCwes(value);
    }
  }
  return parseCwes(value);
}

/** npm replaces git dependencies' names with 64-hex hashes in paths; they identify nothing. */
function cleanPath(path: string): string {
  return path.replace(/\b[0-9a-f]{64}\b/g, 'censored_by_npm_audit');
}

export function parseNpm6(doc: JsonRecord): ParseOutput {
  if (!isRecord(doc.advisories)) throw new ReportFormatError('"advisories" must be an object.', { pointer: '/advisories' });
  const warnings = new WarningList();
  const findings: ParsedFinding[] = [];
  for (const [key, a] of Object.entries(doc.advisories)) {
    const at = pointer('advisories', key);
    if (!isRecord(a)) {
      warnings.add(at, 'Skipped an advisory that is not an object.');
      continue;
    }
    const name = str(a.module_name);
    const id = str(a.id) ?? key;
    if (!name) {
      warnings.add(at, 'Skipped an advisory without module_name.');
      continue;
    }
    const first = asArray(a.findings).find(isRecord);
    const version = str(first?.version);
    const path = asArray(first?.paths).map(str).find(Boolean);
    const url = str(a.url);
    const ghsa = str(a.github_advisory_id) ?? ghsaFromUrl(url);
    const ids = orderVulnIds([...asArray(a.cves).map(str), ghsa]);
    const label = str(a.severity);
    findings.push({
      tool: 'npm-audit',
      ruleId: ghsa ?? `npm-advisory-${id}`,
      category: 'vulnerability',
      severity: npmSeverity(label),
      ...(label ? { toolSeverity: label } : {}),
      title: str(a.title) ?? `${name} advisory ${id}`,
      ...(str(a.overview) ? { description: str(a.overview) } : {}),
      vulnerabilityIds: ids.length ? ids : [`npm-advisory-${id}`],
      cwes: cwesOf(a.cwe),
      package: { name, ...(version ? { version } : {}), ecosystem: 'npm', purl: buildPurl('npm', name, version) },
      fixedVersions: patchedVersions(str(a.patched_versions)),
      location: { path: 'package-lock.json', ...(path ? { resource: cleanPath(path) } : {}) },
      status: 'open',
      references: uniqueStrings([url, ...String(a.references ?? '').split(/\s+/).filter((r) => /^https?:/.test(r))]),
    });
  }
  return { format: 'npm-audit-v1', findings, warnings: warnings.items };
}
