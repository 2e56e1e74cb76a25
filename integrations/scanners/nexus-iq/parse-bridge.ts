// The bridge document (document.ts): raw data and policy data of one application evaluation. The raw
// data's security issues are the findings; the policy data adds what IQ decided about them (waived,
// grandfathered, legacy → accepted_risk) and the violations raw data cannot express (licence,
// quality, and security violations naming an id the component's raw issues lack).
import type { ParsedFinding } from '../../../src/domain/finding.js';
import { str, type WarningList } from '../../../src/plugins/parse-helpers.js';
import { readRawIssues, type IssueFinding } from './parse-raw.js';
import { readViolations, violationFindings, type ViolationRecord } from './parse-policy.js';
import type { BridgeDocument } from './schema.js';

/** Violations of the issue's component that are about this issue (or, naming no id, about the component's vulnerabilities). */
function linkedViolations(issue: IssueFinding, violations: ViolationRecord[]): ViolationRecord[] {
  if (!issue.componentKey) return [];
  return violations.filter(
    (v) => v.componentKey === issue.componentKey && v.category === 'vulnerability' && (v.vulnerabilityIds.length === 0 || v.vulnerabilityIds.includes(issue.reference)),
  );
}

function withPolicy(issue: IssueFinding, linked: ViolationRecord[]): ParsedFinding {
  if (linked.length === 0) return issue.finding;
  const lines = linked.map((v) => {
    const flags = v.accepted ? ' — accepted in IQ (waived, grandfathered or legacy)' : '';
    return `Policy violation: ${str(v.violation.policyName) ?? str(v.violation.policyId)} (threat level ${str(v.violation.policyThreatLevel) ?? '?'})${flags}`;
  });
  // IQ's own triage of the vulnerability (Not Applicable, VEX analysis) outranks the policy state.
  const accepted = issue.finding.status === 'open' && linked.every((v) => v.accepted);
  return {
    ...issue.finding,
    description: [issue.finding.description, ...lines].filter(Boolean).join('\n'),
    ...(accepted ? { status: 'accepted_risk' as const } : {}),
  };
}

export function readBridgeDocument(doc: BridgeDocument, warnings: WarningList): ParsedFinding[] {
  const issues = readRawIssues(doc.raw.components, warnings, '/raw');
  const violations = doc.policy ? readViolations(doc.policy.components, warnings, '/policy') : [];
  const findings = issues.map((issue) => withPolicy(issue, linkedViolations(issue, violations)));
  const covered = new Map<string, Set<string>>();
  for (const issue of issues) {
    if (!issue.componentKey) continue;
    const set = covered.get(issue.componentKey) ?? new Set<string>();
    set.add(issue.reference);
    covered.set(issue.componentKey, set);
  }
  for (const v of violations) {
    const refs = v.componentKey ? covered.get(v.componentKey) : undefined;
    if (v.category !== 'vulnerability' || !refs) {
      findings.push(...violationFindings(v));
      continue;
    }
    // A security violation adds only the ids the raw issues of its component do not already report.
    findings.push(...v.vulnerabilityIds.filter((id) => !refs.has(id)).map((id) => v.build(id)));
  }
  return findings;
}
