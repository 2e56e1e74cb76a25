// CycloneDX → findings: one per vulnerability per affected component (`affects[].ref`, or the
// `ref` of an ext/vulnerability/1.0 entry). XML is first brought to the JSON shape, so one reader
// serves both.
import type { Cvss, FindingStatus, ParsedFinding, Severity } from '../../../src/domain/finding.js';
import { ecosystemType } from '../../../src/domain/identity.js';
import { severityFromLabel, severityFromScore } from '../../../src/domain/severity.js';
import { ReportFormatError } from '../../../src/errors.js';
import { asArray, isRecord, num, orderVulnIds, parseCwes, str, uniqueStrings, WarningList, type JsonRecord } from '../../../src/plugins/parse-helpers.js';
import type { ReportInput } from '../../../src/plugins/report-input.js';
import type { ParseOutput } from '../../../src/plugins/scanner.js';
import { fromXml } from './xml.js';

interface Component {
  name: string;
  version?: string | undefined;
  purl?: string | undefined;
  group?: string | undefined;
}

function indexComponents(doc: JsonRecord): Map<string, Component> {
  const byRef = new Map<string, Component>();
  const walk = (list: unknown) => {
    for (const c of asArray(list)) {
      if (!isRecord(c)) continue;
      const name = str(c.name);
      const ref = str(c['bom-ref']) ?? str(c.purl);
      if (name && ref) byRef.set(ref, { name, version: str(c.version), purl: str(c.purl), group: str(c.group) });
      walk(c.components);
    }
  };
  const meta = isRecord(doc.metadata) ? doc.metadata : {};
  walk(meta.component);
  walk(doc.components);
  return byRef;
}

const CVSS_METHODS: Record<string, string> = { CVSSv2: '2.0', CVSSv3: '3.0', CVSSv31: '3.1', CVSSv4: '4.0' };

function readRatings(ratings: unknown[]): { cvss: Cvss[]; labels: { label: string; method: string | undefined }[] } {
  const cvss: Cvss[] = [];
  const labels: { label: string; method: string | undefined }[] = [];
  for (const r of ratings.filter(isRecord)) {
    const method = str(r.method);
    const source = isRecord(r.source) ? str(r.source.name) : str(r.source);
    const score = num(r.score);
    const rawVector = str(r.vector);
    const version = method ? CVSS_METHODS[method] : undefined;
    // Older BOMs write v3 vectors without their "CVSS:3.x/" prefix.
    const vector = rawVector && version?.startsWith('3') && !rawVector.startsWith('CVSS:') ? `CVSS:${version}/${rawVector}` : rawVector;
    const label = str(r.severity);
    if (label) labels.push({ label, method });
    if (method && CVSS_METHODS[method]) cvss.push({ version: CVSS_METHODS[method]!, ...(score !== undefined ? { score } : {}), ...(vector ? { vector } : {}), ...(source ? { source: source.toLowerCase() } : {}) });
  }
  return { cvss, labels };
}

/**
 * A rating's label wins: the first CVSS v3.x rating's, then v4's, then the first label of any
 * rating, then v2's (the oldest scale); "unknown"/"none" do not count. Without labels the highest
 * CVSS score decides; a vulnerability with no rating at all is medium.
 */
export function cdxSeverity(labels: { label: string; method: string | undefined }[], cvss: Cvss[]): Severity {
  const usable = labels.filter((l) => severityFromLabel(l.label) && !/^(none|info)$/i.test(l.label));
  const by = (...methods: (string | undefined)[]) => usable.find((l) => methods.includes(l.method));
  const label = by('CVSSv31', 'CVSSv3') ?? by('CVSSv4') ?? usable.find((l) => l.method !== 'CVSSv2') ?? usable[0];
  if (label) return severityFromLabel(label.label)!;
  const scores = cvss.map((c) => c.score).filter((s): s is number => s !== undefined);
  if (scores.length) return severityFromScore(Math.max(...scores))!;
  return labels.some((l) => /^(none|info)$/i.test(l.label)) ? 'info' : 'medium';
}

const STATES: Record<string, FindingStatus> = {
  not_affected: 'not_affected',
  false_positive: 'false_positive',
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  exploitable: 'open',
  in_triage: 'open',
};

function fixedVersions(affect: JsonRecord, recommendation: string | undefined): string[] {
  const unaffected = asArray(affect.versions)
    .filter(isRecord)
    .filter((v) => str(v.status) === 'unaffected')
    .map((v) => str(v.version))
    .filter((v): v is string => !!v && !/[<>=*|]/.test(v));
  if (unaffected.length) return uniqueStrings(unaffected);
  // Trivy writes "Upgrade jquery to version 3.4.0"; take the versions it names.
  const m = recommendation ? /to versions?\s+([\w.+-]+(?:\s*(?:,|or)\s*[\w.+-]+)*)/i.exec(recommendation) : null;
  return m ? uniqueStrings(m[1]!.split(/\s*(?:,|\bor\b)\s*/)) : [];
}

export function parseCycloneDx(input: ReportInput): ParseOutput {
  const doc = input.syntax === 'xml' ? fromXml(input.xml()) : input.json();
  if (!isRecord(doc)) throw new ReportFormatError('A CycloneDX document is an object with bomFormat "CycloneDX".', { pointer: '' });
  const warnings = new WarningList();
  const components = indexComponents(doc);
  const meta = isRecord(doc.metadata) ? doc.metadata : {};
  const subject = isRecord(meta.component) ? meta.component : undefined;
  const image = str(subject?.type) === 'container' ? str(subject?.name) : undefined;
  const tools = isRecord(meta.tools) ? asArray(meta.tools.components) : asArray(meta.tools);
  const tool = tools.filter(isRecord)[0];
  const findings: ParsedFinding[] = [];
  asArray(doc.vulnerabilities).forEach((v, i) => {
    const at = `/vulnerabilities/${i}`;
    if (!isRecord(v) || !str(v.id)) return warnings.add(at, 'Skipped a vulnerability without an id.');
    const id = str(v.id)!;
    const { cvss, labels } = readRatings(asArray(v.ratings));
    const analysis = isRecord(v.analysis) ? v.analysis : {};
    const state = str(analysis.state);
    const affects = asArray(v.affects).filter(isRecord);
    if (affects.length === 0) return warnings.add(at, `Skipped ${id}: it names no affected component (affects is empty).`);
    const ids = orderVulnIds([id, ...asArray(v.references).map((r) => (isRecord(r) ? str(r.id) : undefined)), ...asArray(v.aliases).map(str)]);
    const recommendation = str(v.recommendation);
    const description = [str(v.description), str(v.detail), state && state !== 'exploitable' ? `VEX: ${state}${str(analysis.justification) ? ` (${str(analysis.justification)})` : ''}${str(analysis.detail) ? `: ${str(analysis.detail)}` : ''}` : undefined]
      .filter(Boolean)
      .join('\n\n');
    for (const affect of affects) {
      const ref = str(affect.ref);
      const component = ref ? (components.get(ref) ?? (ref.startsWith('pkg:') ? componentFromPurl(ref) : undefined)) : undefined;
      if (!component) warnings.add(at, `${id} affects ${ref ?? 'an unnamed ref'}, which no component declares; kept without a package.`);
      const purlType = component?.purl ? /^pkg:([^/]+)/.exec(component.purl)?.[1] : undefined;
      const label = labels[0]?.label;
      findings.push({
        tool: 'cyclonedx',
        ruleId: id,
        category: 'vulnerability',
        severity: cdxSeverity(labels, cvss),
        ...(label ? { toolSeverity: label } : {}),
        title: component ? `${id} in ${component.name}${component.version ? ` ${component.version}` : ''}` : id,
        ...(description ? { description } : {}),
        vulnerabilityIds: ids,
        cwes: parseCwes(v.cwes),
        ...(component
          ? { package: { name: component.group && purlType === 'maven' ? `${component.group}:${component.name}` : component.name, ...(component.version ? { version: component.version } : {}), ...(purlType ? { ecosystem: ecosystemType(purlType) } : {}), ...(component.purl ? { purl: component.purl } : {}) } }
          : {}),
        fixedVersions: fixedVersions(affect, recommendation),
        ...(image ? { location: { image } } : {}),
        ...(cvss.length ? { cvss } : {}),
        status: (state && STATES[state]) || 'open',
        references: uniqueStrings([isRecord(v.source) ? v.source.url : undefined, ...asArray(v.advisories).map((a) => (isRecord(a) ? a.url : a))]),
      });
    }
    return undefined;
  });
  return {
    format: input.syntax === 'xml' ? 'cyclonedx-xml' : 'cyclonedx-json',
    toolVersion: str(tool?.version) !== '[not provided]' ? str(tool?.version) : undefined,
    findings,
    warnings: warnings.items,
    target: str(subject?.name),
  };
}

function componentFromPurl(purl: string): Component | undefined {
  const m = /^pkg:[^/]+\/(?:[^@?#]*\/)?([^/@?#]+)(?:@([^?#]+))?/.exec(purl);
  return m ? { name: decodeURIComponent(m[1]!), version: m[2] ? decodeURIComponent(m[2]) : undefined, purl } : undefined;
}
