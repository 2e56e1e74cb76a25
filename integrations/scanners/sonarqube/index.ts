// SonarQube: Web API pages (api/issues/search, api/hotspots/search), the document ScanHub's own
// SonarQube client pulls (issues + hotspots + rules of one project/branch), and soprasteria
// sonar-report JSON. Mapping and deliberate differences: readme.md.
import { ReportFormatError } from '../../../src/errors.js';
import type { ParsedFinding } from '../../../src/domain/finding.js';
import type { ParseOutput, ScannerPlugin } from '../../../src/plugins/scanner.js';
import { isRecord, str, WarningList, type JsonRecord } from '../../../src/plugins/parse-helpers.js';
import { componentPaths, hotspotFinding, issueFinding, readAll, type ReadContext } from './parse-api.js';
import { parseSoprasteria } from './parse-soprasteria.js';
import { rulesByKey } from './rules.js';
import { bridgeSchema, hotspotShape, hotspotsPageSchema, issueShape, issuesPageSchema, soprasteriaSchema } from './schema.js';

type Format = 'sonarqube-issues' | 'sonarqube-hotspots' | 'sonarqube-pull' | 'sonar-report-json';

/** The format and how sure we are: an empty page is recognisable only by its keys. */
function formatOf(doc: unknown): { format: Format; score: number } | undefined {
  if (!isRecord(doc)) return undefined;
  if (bridgeSchema.safeParse(doc).success) return { format: 'sonarqube-pull', score: 95 };
  if (soprasteriaSchema.safeParse(doc).success) return { format: 'sonar-report-json', score: 85 };
  if (issuesPageSchema.safeParse(doc).success) {
    const first = (doc.issues as unknown[])[0];
    if (first === undefined) return 'components' in doc ? { format: 'sonarqube-issues', score: 40 } : undefined;
    return issueShape.safeParse(first).success ? { format: 'sonarqube-issues', score: 80 } : undefined;
  }
  if (hotspotsPageSchema.safeParse(doc).success) {
    const first = (doc.hotspots as unknown[])[0];
    if (first === undefined) return { format: 'sonarqube-hotspots', score: 40 };
    return hotspotShape.safeParse(first).success ? { format: 'sonarqube-hotspots', score: 80 } : undefined;
  }
  return undefined;
}

function readPage(d: JsonRecord, format: 'sonarqube-issues' | 'sonarqube-hotspots' | 'sonarqube-pull', warnings: WarningList): ParseOutput {
  const marker = isRecord(d.scanhub) ? d.scanhub : {};
  const ctx: ReadContext = {
    components: componentPaths(d.components),
    rules: rulesByKey(d.rules),
    warnings,
    serverUrl: str(marker.serverUrl),
    branch: str(marker.branch),
    pullRequest: str(marker.pullRequest),
  };
  const findings: ParsedFinding[] = [
    ...(format === 'sonarqube-hotspots' ? [] : readAll(d.issues, 'issues', ctx, issueFinding)),
    ...(format === 'sonarqube-issues' ? [] : readAll(d.hotspots, 'hotspots', ctx, hotspotFinding)),
  ];
  const project = str(marker.projectKey);
  const scope = str(marker.branch) ? `@${str(marker.branch)}` : str(marker.pullRequest) ? `#${str(marker.pullRequest)}` : '';
  return { format, findings, warnings: warnings.items, toolVersion: str(marker.serverVersion), target: project ? `${project}${scope}` : undefined };
}

export const sonarqube: ScannerPlugin = {
  kind: 'scanner',
  id: 'sonarqube',
  name: 'SonarQube',
  formats: [
    { id: 'sonarqube-issues', description: 'SonarQube Web API api/issues/search page (9.x–2025.x, SonarQube Cloud)' },
    { id: 'sonarqube-hotspots', description: 'SonarQube Web API api/hotspots/search page (8.1+)' },
    { id: 'sonarqube-pull', description: "ScanHub's SonarQube pull: issues, hotspots and rules of one project/branch" },
    { id: 'sonar-report-json', description: 'soprasteria sonar-report JSON (--save-report-json)' },
  ],
  detect(input) {
    return formatOf(input.tryJson()) ?? null;
  },
  parse(input) {
    const doc = input.json();
    const detected = formatOf(doc);
    if (!detected) {
      throw new ReportFormatError('Not a SonarQube document: expected an api/issues/search or api/hotspots/search page, a ScanHub SonarQube pull, or a sonar-report JSON.', { pointer: '' });
    }
    const warnings = new WarningList();
    const d = doc as JsonRecord;
    if (detected.format === 'sonar-report-json') {
      const { findings, target } = parseSoprasteria(d, warnings);
      return { format: detected.format, findings, warnings: warnings.items, target };
    }
    return readPage(d, detected.format, warnings);
  },
};
