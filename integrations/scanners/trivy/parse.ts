// Trivy JSON → findings. Handles: the legacy (< 0.20) array and `null`; SchemaVersion 2 with or
// without `Class`; `trivy k8s` reports in both layouts; Vulnerabilities, Misconfigurations,
// Secrets, Licenses and VEX-suppressed ExperimentalModifiedFindings of every Result.
import { ReportFormatError } from '../../../src/errors.js';
import type { ParsedFinding } from '../../../src/domain/finding.js';
import { isRecord, pointer, str, WarningList, type JsonRecord } from '../../../src/plugins/parse-helpers.js';
import type { ParseOutput } from '../../../src/plugins/scanner.js';
import type { ReportInput } from '../../../src/plugins/report-input.js';
import { licenseFinding, misconfigurationFinding, secretFinding, vulnerabilityFinding, type ResultContext } from './items.js';

export function parseTrivy(input: ReportInput): ParseOutput {
  const doc = input.json();
  const warnings = new WarningList();
  const findings: ParsedFinding[] = [];
  if (doc === null) return { format: 'trivy-json-legacy', findings, warnings: warnings.items };

  if (Array.isArray(doc)) {
    readResults(doc, '', { image: undefined, resource: undefined, legacy: true }, findings, warnings);
    return { format: 'trivy-json-legacy', findings, warnings: warnings.items };
  }
  if (!isRecord(doc)) throw new ReportFormatError('A Trivy report is a JSON object (or, before 0.20, an array).', { pointer: '' });

  if (typeof doc.ClusterName === 'string' && doc.SchemaVersion === undefined) {
    for (const section of ['Vulnerabilities', 'Misconfigurations', 'Resources']) {
      const items = doc[section];
      if (items == null) continue;
      if (!Array.isArray(items)) throw new ReportFormatError(`"${section}" must be an array.`, { pointer: pointer(section) });
      items.forEach((resource, i) => {
        const at = pointer(section, i);
        if (!isRecord(resource)) return warnings.add(at, 'Skipped a resource that is not an object.');
        const name = [str(resource.Namespace) ?? '', str(resource.Kind) ?? '', str(resource.Name) ?? ''].join('/');
        const results = resource.Results;
        if (results == null) return;
        if (!Array.isArray(results)) return warnings.add(`${at}/Results`, 'Skipped a resource whose Results is not an array.');
        readResults(results, `${at}/Results`, { image: undefined, resource: name, legacy: false }, findings, warnings);
      });
    }
    return { format: 'trivy-k8s', findings, warnings: warnings.items, target: doc.ClusterName };
  }

  if (typeof doc.SchemaVersion !== 'number') throw new ReportFormatError('Not a Trivy report: no SchemaVersion.', { pointer: '/SchemaVersion' });
  if (doc.SchemaVersion !== 2) warnings.add('/SchemaVersion', `SchemaVersion ${doc.SchemaVersion} is newer than this parser knows (2); read as 2.`);
  const results = doc.Results;
  if (results != null && !Array.isArray(results)) throw new ReportFormatError('"Results" must be an array.', { pointer: '/Results' });
  const artifact = str(doc.ArtifactName);
  const image = str(doc.ArtifactType) === 'container_image' ? artifact : undefined;
  readResults(results ?? [], '/Results', { image, resource: undefined, legacy: false }, findings, warnings);
  const trivyMeta = isRecord(doc.Trivy) ? doc.Trivy : undefined;
  return {
    format: 'trivy-json-v2',
    toolVersion: str(trivyMeta?.Version),
    findings,
    warnings: warnings.items,
    target: artifact,
  };
}

const SECTIONS = ['Vulnerabilities', 'Misconfigurations', 'Secrets', 'Licenses', 'ExperimentalModifiedFindings'] as const;

function readResults(results: unknown[], base: string, scope: Omit<ResultContext, 'result' | 'target'>, findings: ParsedFinding[], warnings: WarningList): void {
  results.forEach((result, i) => {
    const at = `${base}/${i}`;
    if (!isRecord(result)) return warnings.add(at, 'Skipped a result that is not an object.');
    const target = str(result.Target);
    if (!target) {
      // Custom-resource results carry an empty Target and nothing we read; only warn about lost findings.
      if (SECTIONS.some((section) => Array.isArray(result[section]) && (result[section] as unknown[]).length > 0)) warnings.add(at, 'Skipped a result without a Target.');
      return undefined;
    }
    const ctx: ResultContext = { ...scope, result, target };
    for (const section of SECTIONS) {
      const items = result[section];
      if (items == null) continue;
      if (!Array.isArray(items)) {
        warnings.add(`${at}/${section}`, `Skipped "${section}": not an array.`);
        continue;
      }
      items.forEach((item, j) => {
        const itemAt = `${at}/${section}/${j}`;
        if (!isRecord(item)) return warnings.add(itemAt, 'Skipped an item that is not an object.');
        const finding = readItem(section, item, ctx, itemAt, warnings);
        if (finding) findings.push(finding);
        return undefined;
      });
    }
    return undefined;
  });
}

function readItem(section: (typeof SECTIONS)[number], item: JsonRecord, ctx: ResultContext, at: string, warnings: WarningList): ParsedFinding | undefined {
  switch (section) {
    case 'Vulnerabilities':
      return vulnerabilityFinding(item, ctx, at, warnings);
    case 'Misconfigurations':
      return misconfigurationFinding(item, ctx, at, warnings);
    case 'Secrets':
      return secretFinding(item, ctx, at, warnings);
    case 'Licenses':
      return licenseFinding(item, ctx, at, warnings);
    case 'ExperimentalModifiedFindings': {
      // VEX or .trivyignore suppressed it: kept with the tool's verdict, not dropped.
      const inner = item.Finding;
      if (!isRecord(inner) || str(item.Type) !== 'vulnerability') {
        warnings.add(at, 'Skipped a modified finding that is not a vulnerability.');
        return undefined;
      }
      const f = vulnerabilityFinding(inner, ctx, `${at}/Finding`, warnings);
      if (!f) return undefined;
      const status = str(item.Status);
      f.status = status === 'not_affected' ? 'not_affected' : status === 'ignored' ? 'false_positive' : 'not_affected';
      const statement = str(item.Statement);
      if (statement) f.description = `${f.description ? f.description + '\n\n' : ''}Suppressed by ${str(item.Source) ?? 'VEX'}: ${statement}`;
      return f;
    }
  }
}
