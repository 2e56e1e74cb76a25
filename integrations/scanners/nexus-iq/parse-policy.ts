// Policy report data (GET …/reports/{scanId}/policy, ApiReportPolicyDataDTOV2): each component's
// policy violations with threat level and waived / grandfathered / legacy flags. A security
// violation becomes one finding per vulnerability id its conditions name (per component); a
// licence, quality or other violation one finding per violation per component.
import type { Category, FindingStatus, ParsedFinding } from '../../../src/domain/finding.js';
import { asArray, orderVulnIds, pointer, str, vulnIdsInText, type WarningList } from '../../../src/plugins/parse-helpers.js';
import { componentDescription, componentKey, componentLabel, locationOf, packageOf } from './component.js';
import { policyComponentSchema, violationSchema, type Violation } from './schema.js';
import { severityFromThreatLevel, violationAccepted } from './severity.js';

export interface ViolationRecord {
  componentKey: string | undefined;
  violation: Violation;
  /** CVE, GHSA and Sonatype ids named by the violation's condition reasons. */
  vulnerabilityIds: string[];
  category: Category;
  accepted: boolean;
  /** The finding for one of `vulnerabilityIds`, or without an id the violation's own finding (ruleId = policy name). */
  build(id?: string): ParsedFinding;
}

/** A violation's findings on their own (policy report without raw data): one per named id, else one. */
export function violationFindings(record: ViolationRecord): ParsedFinding[] {
  return record.category === 'vulnerability' && record.vulnerabilityIds.length > 0 ? record.vulnerabilityIds.map((id) => record.build(id)) : [record.build()];
}

const SONATYPE_ID = /\bsonatype-\d{4}-\d{2,}\b/gi;

/** Ids in the free-text condition reasons (the policy report has no machine-readable reference). */
function idsInConditions(v: Violation): string[] {
  const texts = (v.constraints ?? []).flatMap((c) => (c.conditions ?? []).flatMap((k) => [str(k.conditionReason), str(k.conditionSummary)]));
  const joined = texts.filter(Boolean).join('\n');
  return orderVulnIds([...vulnIdsInText(joined), ...(joined.match(SONATYPE_ID) ?? []).map((id) => id.toLowerCase())]);
}

function categoryOf(v: Violation, ids: string[]): Category {
  const threat = str(v.policyThreatCategory)?.toLowerCase();
  if (threat === 'security' || (threat === undefined && ids.length > 0)) return 'vulnerability';
  return threat === 'license' ? 'license' : 'other';
}

function conditionLines(v: Violation): string[] {
  return (v.constraints ?? []).flatMap((c) =>
    (c.conditions ?? []).map((k) => `${str(c.constraintName) ?? 'Constraint'}: ${[str(k.conditionSummary), str(k.conditionReason)].filter(Boolean).join(' — ')}`),
  );
}

export function violationStatus(accepted: boolean): FindingStatus {
  return accepted ? 'accepted_risk' : 'open';
}

/** Reads every violation of a policy report body; malformed components and violations are skipped with a warning. */
export function readViolations(components: unknown[], warnings: WarningList, at: string): ViolationRecord[] {
  const out: ViolationRecord[] = [];
  components.forEach((raw, c) => {
    const where = `${at}${pointer('components', c)}`;
    const parsed = policyComponentSchema.safeParse(raw);
    if (!parsed.success) return warnings.add(where, 'Skipped a component that is not an IQ component object.');
    const component = parsed.data;
    const pkg = packageOf(component);
    const location = locationOf(component);
    const label = componentLabel(component, pkg);
    const lines = componentDescription(component, label);
    asArray(component.violations).forEach((rawViolation, i) => {
      const checked = violationSchema.safeParse(rawViolation);
      if (!checked.success) return warnings.add(`${where}/violations/${i}`, 'Skipped a policy violation that is not an object of the policy report shape.');
      const v = checked.data;
      const policy = str(v.policyName) ?? str(v.policyId);
      if (!policy) return warnings.add(`${where}/violations/${i}`, 'Skipped a policy violation without policy name or id.');
      const ids = idsInConditions(v);
      const category = categoryOf(v, ids);
      const accepted = violationAccepted(v);
      const level = str(v.policyThreatLevel);
      const description = [
        `Policy: ${policy}${level ? ` (threat level ${level})` : ''}${str(v.policyViolationId) ? `, violation ${str(v.policyViolationId)}` : ''}`,
        ...lines,
        ...conditionLines(v),
        ...(accepted ? [`Accepted in IQ: ${[v.waived || v.waivedWithAutoWaiver ? 'waived' : '', v.grandfathered ? 'grandfathered' : '', v.legacyViolation ? 'legacy violation' : ''].filter(Boolean).join(', ')}`] : []),
      ].join('\n');
      const base = {
        tool: 'nexus-iq',
        category,
        severity: severityFromThreatLevel(v.policyThreatLevel) ?? 'info',
        ...(level ? { toolSeverity: `threat level ${level}` } : {}),
        description,
        ...(pkg ? { package: pkg } : {}),
        ...(location ? { location } : {}),
        status: violationStatus(accepted),
      } satisfies Partial<ParsedFinding>;
      const build = (id?: string): ParsedFinding =>
        id ? { ...base, ruleId: id, title: `${id} in ${label} (${policy})`, vulnerabilityIds: [id] } : { ...base, ruleId: policy, title: `${policy} violation in ${label}`, vulnerabilityIds: [] };
      out.push({ componentKey: componentKey(component), violation: v, vulnerabilityIds: ids, category, accepted, build });
      return undefined;
    });
    return undefined;
  });
  return out;
}
