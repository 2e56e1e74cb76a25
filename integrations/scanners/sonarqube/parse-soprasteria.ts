// soprasteria sonar-report JSON (`sonar-report --save-report-json`): `issues[]` flattened by the
// tool (rule, severity, status, component, line, message, key), `rules{}` keyed by rule with
// `htmlDesc`, and `hotspotKeys[]` naming which issues are security hotspots.
import type { ParsedFinding } from '../../../src/domain/finding.js';
import { asArray, isRecord, pointer, str, uniqueStrings, type JsonRecord, type WarningList } from '../../../src/plugins/parse-helpers.js';
import { describeRule, issueFinding, type ReadContext } from './parse-api.js';
import { hotspotStatus, legacySeverity } from './mapping.js';
import { ruleFacts, type RuleFacts } from './rules.js';

export function parseSoprasteria(doc: JsonRecord, warnings: WarningList): { findings: ParsedFinding[]; target: string | undefined } {
  const rules = new Map<string, RuleFacts>();
  if (isRecord(doc.rules)) {
    for (const [key, body] of Object.entries(doc.rules)) {
      const facts = ruleFacts(body, key);
      if (facts) rules.set(key, facts);
    }
  }
  const project = str(doc.sonarComponent);
  const ctx: ReadContext = { components: new Map(), rules, warnings, serverUrl: str(doc.sonarBaseURL) };
  const hotspotKeys = new Set(uniqueStrings(asArray(doc.hotspotKeys)));
  const findings = asArray(doc.issues).flatMap((raw, i): ParsedFinding[] => {
    const at = pointer('issues', i);
    if (!isRecord(raw)) {
      warnings.add(at, 'Skipped an issue that is not an object.');
      return [];
    }
    const key = str(raw.key);
    const rule = str(raw.rule);
    if (!key || !rule) {
      warnings.add(at, 'Skipped an issue without key or rule.');
      return [];
    }
    const isHotspot = hotspotKeys.has(key) || /^(TO_REVIEW|REVIEWED)$/i.test(str(raw.status) ?? '');
    // sonar-report lists only security issues: vulnerabilities (and, with --allbugs, bugs; it does
    // not say which), so a non-hotspot issue is read as a vulnerability.
    const base = issueFinding({ ...raw, project, type: isHotspot ? 'SECURITY_HOTSPOT' : 'VULNERABILITY' }, at, ctx);
    if (!base) return [];
    const facts = rules.get(rule);
    const status = isHotspot ? hotspotStatus(raw) : base.status;
    if (status === 'skip') return [];
    return [
      {
        ...base,
        // The flattened issue keeps the legacy severity only (a hotspot's is its rule's default).
        severity: legacySeverity(str(raw.severity)) ?? 'info',
        title: str(raw.message) ?? str(raw.description) ?? rule,
        description: describeRule(rule, facts, [isHotspot ? 'SonarQube security hotspot: review whether this code is safe.' : undefined]),
        status,
      },
    ];
  });
  return { findings, target: project ?? str(doc.projectName) };
}
