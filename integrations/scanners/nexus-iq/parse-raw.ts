// Application Report raw data (GET …/reports/{scanId}/raw, ApiReportRawDataDTOV2): one finding per
// securityData.securityIssues[] entry per component, in component × issue order (DefectDojo's count).
// Licence data is not read: licence findings come from policy violations (parse-policy.ts).
import type { Cvss, ParsedFinding } from '../../../src/domain/finding.js';
import { asArray, num, orderVulnIds, parseCwes, pointer, str, type WarningList } from '../../../src/plugins/parse-helpers.js';
import { componentDescription, componentKey, componentLabel, locationOf, packageOf } from './component.js';
import { rawComponentSchema, securityIssueSchema, type SecurityIssue } from './schema.js';
import { issueSeverity, issueStatus } from './severity.js';

/** A finding with the component key and reference the policy data is matched on. */
export interface IssueFinding {
  componentKey: string | undefined;
  reference: string;
  finding: ParsedFinding;
}

/** "CVSS:3.1/…" → 3.1; a vector without the prefix is CVSS v2; no vector → "unknown" (IQ does not say which version its score is). */
function cvssOf(issue: SecurityIssue): Cvss[] {
  const score = num(issue.severity);
  const vector = str(issue.cvssVector);
  if (score === undefined && !vector) return [];
  const version = vector ? (/^CVSS:(\d\.\d)\//.exec(vector)?.[1] ?? '2.0') : 'unknown';
  const source = str(issue.cvssVectorSource) ?? str(issue.source);
  return [{ version, ...(score !== undefined && score >= 0 && score <= 10 ? { score } : {}), ...(vector ? { vector } : {}), ...(source ? { source } : {}) }];
}

function issueFinding(issue: SecurityIssue, componentLines: string[], base: Pick<ParsedFinding, 'package' | 'location'>, label: string): ParsedFinding {
  const reference = issue.reference.trim();
  const category = str(issue.threatCategory);
  const iqStatus = str(issue.status);
  const analysis = issue.analysis ?? undefined;
  const description = [
    ...componentLines,
    ...(category ? [`Threat category: ${category}`] : []),
    ...(iqStatus ? [`IQ status: ${iqStatus}`] : []),
    ...(str(analysis?.state) ? [`IQ analysis: ${[str(analysis?.state), str(analysis?.justification), str(analysis?.detail)].filter(Boolean).join(' — ')}`] : []),
  ].join('\n');
  const url = str(issue.url);
  const cvss = cvssOf(issue);
  return {
    tool: 'nexus-iq',
    ruleId: reference,
    category: 'vulnerability',
    severity: issueSeverity(issue.severity, issue.threatCategory),
    ...(category ? { toolSeverity: category } : {}),
    title: `${reference} in ${label}`,
    description,
    // Sonatype ids are kept as ids of their own; they join a CVE's alias group only where IQ links them.
    vulnerabilityIds: orderVulnIds([reference]),
    cwes: parseCwes(issue.cwe ?? undefined),
    ...(base.package ? { package: base.package } : {}),
    ...(base.location ? { location: base.location } : {}),
    ...(cvss.length ? { cvss } : {}),
    status: issueStatus(issue.status, analysis?.state),
    references: url && /^https?:\/\//i.test(url) ? [url] : [],
  };
}

/** Reads every component of a raw report body; malformed components and issues are skipped with a warning. */
export function readRawIssues(components: unknown[], warnings: WarningList, at: string): IssueFinding[] {
  const out: IssueFinding[] = [];
  components.forEach((raw, c) => {
    const where = `${at}${pointer('components', c)}`;
    const parsed = rawComponentSchema.safeParse(raw);
    if (!parsed.success) return warnings.add(where, 'Skipped a component that is not an IQ component object.');
    const component = parsed.data;
    const issues = asArray(component.securityData?.securityIssues);
    if (issues.length === 0) return undefined;
    const pkg = packageOf(component);
    const location = locationOf(component);
    const label = componentLabel(component, pkg);
    const lines = componentDescription(component, label);
    const key = componentKey(component);
    issues.forEach((rawIssue, i) => {
      const issue = securityIssueSchema.safeParse(rawIssue);
      if (!issue.success) return warnings.add(`${where}/securityData/securityIssues/${i}`, 'Skipped a security issue without a reference.');
      out.push({ componentKey: key, reference: issue.data.reference.trim(), finding: issueFinding(issue.data, lines, { package: pkg, location }, label) });
      return undefined;
    });
    return undefined;
  });
  return out;
}
