// Issues (api/issues/search) and hotspots (api/hotspots/search) → findings. Shared by the Web API
// page formats and the bridge document, which carry the same objects (contract A.1, A.2).
import type { ParsedFinding } from '../../../src/domain/finding.js';
import { asArray, isRecord, lineNumber, pointer, str, uniqueStrings, type JsonRecord, type WarningList } from '../../../src/plugins/parse-helpers.js';
import { dependencyCheckFacts } from './dependency-check.js';
import { hotspotStatus, issueStatus, legacySeverity, probabilitySeverity, securityImpact } from './mapping.js';
import { cwesOfTags, owaspOfTags, type RuleFacts } from './rules.js';

export interface ReadContext {
  /** Component key → path inside the project (from `components[].path`). */
  components: Map<string, string>;
  rules: Map<string, RuleFacts>;
  warnings: WarningList;
  /** The server's URL and branch/pull request, when known: findings then link back to SonarQube. */
  serverUrl?: string | undefined;
  branch?: string | undefined;
  pullRequest?: string | undefined;
}

export function componentPaths(components: unknown): Map<string, string> {
  const map = new Map<string, string>();
  for (const c of asArray(components)) {
    if (!isRecord(c)) continue;
    const key = str(c.key);
    const path = str(c.path);
    if (key && path) map.set(key, path);
  }
  return map;
}

/**
 * The file path of a component key `<projectKey>:<path>`: `components[].path` when listed, else the
 * key without its project prefix. The project itself (Dependency-Check plugin issues) has no path.
 */
export function componentPath(componentKey: string, projectKey: string | undefined, ctx: Pick<ReadContext, 'components'>): string | undefined {
  const listed = ctx.components.get(componentKey);
  if (listed) return listed;
  if (projectKey && componentKey === projectKey) return undefined;
  if (projectKey && componentKey.startsWith(`${projectKey}:`)) return componentKey.slice(projectKey.length + 1) || undefined;
  return componentKey;
}

function location(item: JsonRecord, path: string | undefined): ParsedFinding['location'] {
  const range = isRecord(item.textRange) ? item.textRange : {};
  const startLine = lineNumber(range.startLine) ?? lineNumber(item.line);
  const endLine = lineNumber(range.endLine);
  const startOffset = lineNumber(range.startOffset);
  const endOffset = lineNumber(range.endOffset);
  const loc = {
    ...(path ? { path } : {}),
    ...(startLine ? { startLine } : {}),
    ...(endLine ? { endLine } : {}),
    // SonarQube offsets are 0-based characters within the line; ScanHub columns are 1-based.
    ...(startLine && startOffset !== undefined ? { startColumn: startOffset + 1 } : {}),
    ...(startLine && endOffset !== undefined ? { endColumn: endOffset + 1 } : {}),
  };
  return Object.keys(loc).length > 0 ? loc : undefined;
}

function permalink(ctx: ReadContext, page: 'issues' | 'hotspots', project: string | undefined, key: string): string | undefined {
  if (!ctx.serverUrl || !project) return undefined;
  const scope = `${ctx.branch ? `&branch=${encodeURIComponent(ctx.branch)}` : ''}${ctx.pullRequest ? `&pullRequest=${encodeURIComponent(ctx.pullRequest)}` : ''}`;
  const base = ctx.serverUrl.replace(/\/+$/, '');
  const id = encodeURIComponent(project);
  const k = encodeURIComponent(key);
  return page === 'issues' ? `${base}/project/issues?id=${id}&issues=${k}&open=${k}${scope}` : `${base}/security_hotspots?id=${id}&hotspots=${k}${scope}`;
}

export function describeRule(ruleKey: string, facts: RuleFacts | undefined, extra: (string | undefined)[] = []): string {
  const owasp = facts?.owasp.length ? `OWASP: ${facts.owasp.join(', ')}` : undefined;
  return [facts?.name ? `${facts.name} (${ruleKey})` : `Rule ${ruleKey}`, ...extra, owasp, facts?.description].filter((s): s is string => Boolean(s)).join('\n\n');
}

/** One issue → one finding, or none (CLOSED, or malformed: then a warning names it). */
export function issueFinding(raw: unknown, at: string, ctx: ReadContext): ParsedFinding | undefined {
  if (!isRecord(raw)) {
    ctx.warnings.add(at, 'Skipped an issue that is not an object.');
    return undefined;
  }
  const key = str(raw.key);
  const rule = str(raw.rule);
  const component = str(raw.component);
  if (!key || !rule || !component) {
    ctx.warnings.add(at, 'Skipped an issue without key, rule or component.');
    return undefined;
  }
  const status = issueStatus(raw);
  if (status === 'skip') return undefined;
  const type = str(raw.type)?.toUpperCase();
  const impact = securityImpact(raw.impacts);
  const security = type === 'VULNERABILITY' || type === 'SECURITY_HOTSPOT' || impact !== undefined;
  const message = str(raw.message);
  const facts = ctx.rules.get(rule);
  const dc = dependencyCheckFacts(message);
  const legacy = str(raw.severity)?.toUpperCase();
  const severity = impact?.severity ?? legacySeverity(legacy) ?? 'info';
  const project = str(raw.project);
  const isPackageFinding = security && dc !== undefined && dc.package !== undefined && dc.vulnerabilityIds.length > 0;
  const cwes = dc?.cwes.length ? dc.cwes : facts?.cwes.length ? facts.cwes : cwesOfTags(raw.tags);
  return {
    tool: 'sonarqube',
    ruleId: isPackageFinding ? dc.vulnerabilityIds[0]! : rule,
    category: !security ? 'other' : isPackageFinding ? 'vulnerability' : 'code',
    severity,
    toolSeverity: impact ? `SECURITY:${impact.label}` : legacy,
    title: message ?? facts?.name ?? rule,
    description: describeRule(rule, facts, [type ? `SonarQube ${type.toLowerCase().replace(/_/g, ' ')}` : undefined, ...owaspOfTags(raw.tags).map((t) => `Tag ${t}`)]),
    vulnerabilityIds: dc?.vulnerabilityIds ?? [],
    cwes,
    ...(isPackageFinding ? { package: dc.package } : {}),
    ...(dc?.cvssScore !== undefined ? { cvss: [{ version: '3', score: dc.cvssScore, source: 'dependency-check' }] } : {}),
    location: location(raw, componentPath(component, project, ctx)),
    status,
    references: uniqueStrings([permalink(ctx, type === 'SECURITY_HOTSPOT' ? 'hotspots' : 'issues', project, key), ...(facts?.references ?? [])]),
    toolFingerprint: key,
  };
}

/** One security hotspot → one `code` finding; severity from `vulnerabilityProbability`. */
export function hotspotFinding(raw: unknown, at: string, ctx: ReadContext): ParsedFinding | undefined {
  if (!isRecord(raw)) {
    ctx.warnings.add(at, 'Skipped a hotspot that is not an object.');
    return undefined;
  }
  const key = str(raw.key);
  const component = str(raw.component);
  if (!key || !component) {
    ctx.warnings.add(at, 'Skipped a hotspot without key or component.');
    return undefined;
  }
  const status = hotspotStatus(raw);
  if (status === 'skip') return undefined;
  const category = str(raw.securityCategory);
  // ruleKey is in hotspots/search answers since 9.7; older servers name only the security category.
  const rule = str(raw.ruleKey) ?? (isRecord(raw.rule) ? str(raw.rule.key) : undefined) ?? `hotspot:${category ?? 'others'}`;
  const facts = ctx.rules.get(rule);
  const probability = str(raw.vulnerabilityProbability)?.toUpperCase();
  const project = str(raw.project);
  const confidence = probability === 'HIGH' || probability === 'MEDIUM' || probability === 'LOW' ? (probability.toLowerCase() as 'high' | 'medium' | 'low') : undefined;
  return {
    tool: 'sonarqube',
    ruleId: rule,
    category: 'code',
    severity: probabilitySeverity(probability) ?? 'info',
    toolSeverity: probability,
    title: str(raw.message) ?? facts?.name ?? rule,
    description: describeRule(rule, facts, [`SonarQube security hotspot${category ? ` (${category})` : ''}: review whether this code is safe.`]),
    cwes: facts?.cwes ?? [],
    location: location(raw, componentPath(component, project, ctx)),
    status,
    ...(confidence ? { confidence } : {}),
    references: uniqueStrings([permalink(ctx, 'hotspots', project, key), ...(facts?.references ?? [])]),
    toolFingerprint: key,
  };
}

/** Every item of `list` read by `read`, pointers `/<field>/<i>`. */
export function readAll(list: unknown, field: string, ctx: ReadContext, read: typeof issueFinding): ParsedFinding[] {
  return asArray(list).flatMap((item, i) => read(item, pointer(field, i), ctx) ?? []);
}
