// npm ≥ 7 `npm audit --json` (auditReportVersion 2): one finding per advisory object in a package's
// `via` chain. Entries vulnerable only through another package (`via` names only) add no finding:
// that package's own entry carries the advisory.
import type { ParsedFinding } from '../../../src/domain/finding.js';
import { ReportFormatError } from '../../../src/errors.js';
import { asArray, buildPurl, isRecord, num, orderVulnIds, parseCwes, pointer, str, uniqueStrings, WarningList, type JsonRecord } from '../../../src/plugins/parse-helpers.js';
import type { ParseOutput } from '../../../src/plugins/scanner.js';
import { ghsaFromUrl, npmSeverity } from './common.js';

export function parseNpm7(doc: JsonRecord): ParseOutput {
  if (!isRecord(doc.vulnerabilities)) throw new ReportFormatError('"vulnerabilities" must be an object.', { pointer: '/vulnerabilities' });
  const warnings = new WarningList();
  const findings: ParsedFinding[] = [];
  for (const [key, v] of Object.entries(doc.vulnerabilities)) {
    const at = pointer('vulnerabilities', key);
    if (!isRecord(v)) {
      warnings.add(at, 'Skipped an entry that is not an object.');
      continue;
    }
    const name = str(v.name) ?? key;
    const fix = isRecord(v.fixAvailable) ? v.fixAvailable : undefined;
    const node = asArray(v.nodes).map(str).find(Boolean);
    asArray(v.via).forEach((advisory, i) => {
      if (!isRecord(advisory)) return; // a package name: vulnerable through that package
      const url = str(advisory.url);
      const ghsa = ghsaFromUrl(url);
      const source = str(advisory.source);
      const label = str(advisory.severity) ?? str(v.severity);
      const cvss = isRecord(advisory.cvss) ? advisory.cvss : {};
      const score = num(cvss.score);
      const vector = str(cvss.vectorString);
      const title = str(advisory.title);
      if (!ghsa && !source) {
        warnings.add(`${at}/via/${i}`, 'Skipped an advisory without url or source.');
        return;
      }
      findings.push({
        tool: 'npm-audit',
        ruleId: ghsa ?? `npm-advisory-${source}`,
        category: 'vulnerability',
        severity: npmSeverity(label),
        ...(label ? { toolSeverity: label } : {}),
        title: title ?? `${name} advisory`,
        description: `${title ?? name} (${name} ${str(advisory.range) ?? str(v.range) ?? ''}; ${v.isDirect === true ? 'direct' : 'indirect'} dependency${fix ? `; fixed by updating ${str(fix.name)} to ${str(fix.version)}` : v.fixAvailable === true ? '; npm audit fix can fix it' : '; no fix available'})`,
        vulnerabilityIds: orderVulnIds([ghsa ?? `npm-advisory-${source}`]),
        cwes: parseCwes(advisory.cwe),
        package: { name, ecosystem: 'npm', purl: buildPurl('npm', name) },
        fixedVersions: fix && str(fix.name) === name && str(fix.version) ? [str(fix.version)!] : [],
        location: { path: 'package-lock.json', ...(node ? { resource: node } : {}) },
        ...(score !== undefined && score > 0 ? { cvss: [{ version: vector?.startsWith('CVSS:3.0') ? '3.0' : '3.1', score, ...(vector ? { vector } : {}), source: 'npm' }] } : {}),
        status: 'open',
        references: uniqueStrings([url]),
      });
    });
  }
  return { format: 'npm-audit-v2', findings, warnings: warnings.items };
}
