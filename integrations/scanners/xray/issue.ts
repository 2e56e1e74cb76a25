// The neutral shape every Xray body is read into, and the one place it becomes findings.
import type { Category, Cvss, ParsedFinding } from '../../../src/domain/finding.js';
import { severityFromLabel, severityFromScore } from '../../../src/domain/severity.js';
import { asArray, isRecord, num, orderVulnIds, parseCwes, str, uniqueStrings, type JsonRecord } from '../../../src/plugins/parse-helpers.js';
import { fixedVersion, parseComponentId } from './components.js';

export interface XrayIssue {
  issueId: string | undefined;
  summary: string | undefined;
  description: string | undefined;
  severity: string | undefined;
  type: string | undefined;
  cves: JsonRecord[];
  components: { id: string; fixedVersions: string[]; path?: string | undefined }[];
  references: string[];
  /** The scanned image, when the body says (a docker:// root of an impact path, a Docker artifact). */
  image?: string | undefined;
  ignored?: boolean;
}

/** "7.5/CVSS:3.1/AV:N/…" or separate score/vector fields → a CVSS entry. */
function cvssOf(cve: JsonRecord, version: '2' | '3'): Cvss | undefined {
  const combined = str(cve[`cvss_v${version}`]);
  const score = num(cve[`cvss_v${version}_score`]) ?? (combined ? num(combined.split('/')[0]) : undefined);
  const vector = str(cve[`cvss_v${version}_vector`]) ?? (combined?.includes('/') ? combined.slice(combined.indexOf('/') + 1) : undefined);
  if (score === undefined && !vector) return undefined;
  const v = version === '2' ? '2.0' : (/^CVSS:3\.(\d)/.exec(vector ?? '')?.[0]?.slice(5) ?? '3.1');
  return { version: v, ...(score !== undefined ? { score } : {}), ...(vector ? { vector } : {}), source: 'xray' };
}

const CATEGORY: Record<string, Category> = { security: 'vulnerability', license: 'license', 'operational risk': 'other', operational_risk: 'other' };

/** Xray's label wins; Unknown (or none) falls back to the highest CVSS score, else info. */
function severity(label: string | undefined, cvss: Cvss[]): ParsedFinding['severity'] {
  const fromLabel = severityFromLabel(label);
  if (fromLabel && label?.toLowerCase() !== 'information') return fromLabel;
  if (label?.toLowerCase() === 'information') return 'info';
  const scores = cvss.map((c) => c.score).filter((s): s is number => s !== undefined);
  return (scores.length ? severityFromScore(Math.max(...scores)) : undefined) ?? 'info';
}

export function issueFindings(issue: XrayIssue): ParsedFinding[] {
  const cvss = issue.cves.flatMap((c) => [cvssOf(c, '3'), cvssOf(c, '2')].filter((x): x is Cvss => !!x));
  const cveIds = issue.cves.map((c) => str(c.cve)).filter((c): c is string => !!c);
  const ids = orderVulnIds([...cveIds, issue.issueId]);
  const category = CATEGORY[(issue.type ?? 'security').toLowerCase()] ?? 'vulnerability';
  // License and operational-risk issues (and some exports) carry no id: their summary names them.
  const ruleId = (cveIds.length === 1 ? cveIds[0] : undefined) ?? issue.issueId ?? cveIds[0] ?? issue.summary?.split('\n')[0]?.slice(0, 120);
  if (!ruleId) return [];
  const base = {
    tool: 'xray',
    ruleId,
    category,
    severity: severity(issue.severity, cvss),
    ...(issue.severity ? { toolSeverity: issue.severity } : {}),
    title: (issue.summary ?? issue.description ?? ruleId).split('\n')[0]!.slice(0, 250),
    ...(issue.description ?? issue.summary ? { description: issue.description ?? issue.summary } : {}),
    vulnerabilityIds: category === 'vulnerability' ? ids : [],
    cwes: parseCwes(issue.cves.flatMap((c) => asArray(c.cwe))),
    ...(cvss.length ? { cvss } : {}),
    status: issue.ignored ? ('accepted_risk' as const) : ('open' as const),
    references: uniqueStrings(issue.references),
  };
  const components = issue.components.length ? issue.components : [{ id: '', fixedVersions: [] }];
  return components.map((c) => {
    const comp = c.id ? parseComponentId(c.id) : undefined;
    const image = issue.image ?? comp?.image;
    return {
      ...base,
      ...(comp && !comp.image ? { package: { name: comp.name, ...(comp.version ? { version: comp.version } : {}), ...(comp.ecosystem ? { ecosystem: comp.ecosystem } : {}), ...(comp.purl ? { purl: comp.purl } : {}) } } : {}),
      fixedVersions: uniqueStrings(c.fixedVersions.map(fixedVersion)),
      ...(image || c.path ? { location: { ...(c.path ? { path: c.path } : {}), ...(image ? { image } : {}) } } : {}),
    };
  });
}

/** The docker image at the root of any impact path, if the scan was of an image. */
export function imageFromImpactPaths(paths: unknown): string | undefined {
  for (const path of asArray(paths)) {
    const first = asArray(path)[0];
    const id = isRecord(first) ? str(first.component_id) : str(first);
    if (id?.startsWith('docker://')) return id.slice('docker://'.length);
  }
  return undefined;
}
