// SARIF 2.1.0 export, shaped for GitHub code scanning (security-severity, tags, relative URIs) and warnings-ng.
import type { FindingStatus, Severity } from '../../domain/finding.js';
import type { StoredFinding } from '../../store/repositories/findings.js';
import type { ExportContext, ExportResult } from './context.js';
import { isoTimestamp, locationLabel, manifestForEcosystem, maxCvssScore, packageLabel, sortFindings, toolsOf } from './shared.js';

export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

export type SarifLevel = 'error' | 'warning' | 'note';

/** Critical/high → error, medium → warning, low/info → note. */
export function sarifLevel(severity: Severity): SarifLevel {
  if (severity === 'critical' || severity === 'high') return 'error';
  if (severity === 'medium') return 'warning';
  return 'note';
}

/** Bucket score used as GitHub `security-severity` when a finding carries no CVSS score. */
export const SECURITY_SEVERITY: Readonly<Record<Severity, number>> = { critical: 9.5, high: 8.0, medium: 5.5, low: 3.0, info: 0.0 };

/** GitHub `security-severity` for a finding: its highest CVSS base score, else the severity bucket's score. */
export function securitySeverityScore(finding: Pick<StoredFinding, 'severity' | 'cvss'>): number {
  return maxCvssScore(finding) ?? SECURITY_SEVERITY[finding.severity];
}

/** GitHub shows at most 10 of a rule's tags and rejects more than 20. */
const MAX_TAGS = 20;
/** GitHub's limit for shortDescription / fullDescription text. */
const MAX_DESCRIPTION = 1024;

// ---- SARIF shapes (the subset written) ----

interface SarifMessage {
  text: string;
}
interface SarifRegion {
  startLine: number;
  endLine?: number;
  startColumn?: number;
  endColumn?: number;
}
interface SarifLocation {
  physicalLocation?: { artifactLocation: { uri: string }; region?: SarifRegion };
  logicalLocations?: { name: string; fullyQualifiedName?: string; kind?: string }[];
}
export interface SarifRule {
  id: string;
  shortDescription: SarifMessage;
  fullDescription: SarifMessage;
  helpUri?: string;
  help?: SarifMessage & { markdown?: string };
  defaultConfiguration: { level: SarifLevel };
  properties: { 'security-severity': string; tags: string[] };
}
export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: SarifMessage;
  locations?: SarifLocation[];
  partialFingerprints: Record<string, string>;
  suppressions?: { kind: 'external'; status: 'accepted'; justification: string }[];
  properties: Record<string, unknown>;
}
export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: [
    {
      tool: { driver: { name: 'ScanHub'; semanticVersion: string; version: string; rules: SarifRule[] } };
      automationDetails: { id: string };
      columnKind: 'utf16CodeUnits';
      invocations: { executionSuccessful: true; endTimeUtc: string }[];
      results: SarifResult[];
      properties: Record<string, unknown>;
    },
  ];
}

// ---- URIs ----

/** Characters RFC 3986 allows unencoded in a path (pchar plus "/"). */
const PATH_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;

/**
 * Turns a file path (or image/package label) into a relative URI reference GitHub accepts: backslashes become
 * slashes, a leading "./" goes, anything outside RFC 3986 pchar is percent-encoded, and a colon in the first
 * segment is encoded so `C:/x` or `shop:1.4` is not read as a URI scheme. `file://` URIs pass through.
 */
export function toUriReference(path: string): string | undefined {
  if (/^file:\/\//i.test(path)) {
    // Already a URI: only encode what a URI cannot hold (spaces, non-ASCII…), keeping existing %XX escapes.
    let out = '';
    for (const ch of replaceLoneSurrogates(path)) out += /[A-Za-z0-9\-._~!$&'()*+,;=:@/%?#]/.test(ch) ? ch : encodeURIComponent(ch);
    return out;
  }
  let p = path.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  if (p === '') return undefined;
  p = replaceLoneSurrogates(p);
  let out = '';
  for (const ch of p) out += PATH_SAFE.test(ch) ? ch : encodeURIComponent(ch);
  const slash = out.indexOf('/');
  const first = slash === -1 ? out : out.slice(0, slash);
  return first.includes(':') ? first.replace(/:/g, '%3A') + out.slice(first.length) : out;
}

/** Lone surrogates cannot be encoded as UTF-8 (encodeURIComponent throws): U+FFFD instead. */
function replaceLoneSurrogates(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** An absolute http(s) URL, normalised, or undefined (so `javascript:` and relative references never become helpUri). */
export function httpUrl(value: string): string | undefined {
  if (!/^https?:\/\//i.test(value)) return undefined;
  try {
    return new URL(value).href;
  } catch {
    return undefined;
  }
}

function sarifLocation(f: StoredFinding): SarifLocation | undefined {
  const loc = f.location;
  let uri: string | undefined;
  let region: SarifRegion | undefined;
  if (loc?.path) {
    uri = toUriReference(loc.path);
    if (uri !== undefined && loc.startLine !== undefined && loc.startLine >= 1) {
      region = { startLine: loc.startLine };
      if (loc.endLine !== undefined && loc.endLine >= loc.startLine) region.endLine = loc.endLine;
      if (loc.startColumn !== undefined && loc.startColumn >= 1) region.startColumn = loc.startColumn;
      if (loc.endColumn !== undefined && loc.endColumn >= 1) region.endColumn = loc.endColumn;
    }
  }
  if (uri === undefined && loc?.image) uri = toUriReference(loc.image);
  if (uri === undefined && f.package) {
    const manifest = manifestForEcosystem(f.package.ecosystem, f.package.purl);
    uri = toUriReference(manifest ?? packageLabel(f.package) ?? f.package.name);
  }
  if (uri === undefined && loc?.resource) uri = toUriReference(loc.resource);

  const logical: NonNullable<SarifLocation['logicalLocations']> = [];
  if (loc?.image) logical.push({ name: loc.image, kind: 'image' });
  if (f.package) logical.push({ name: f.package.name, fullyQualifiedName: f.package.purl ?? packageLabel(f.package) ?? f.package.name, kind: 'package' });
  if (loc?.resource) logical.push({ name: loc.resource, kind: 'resource' });

  if (uri === undefined && logical.length === 0) return undefined;
  return {
    ...(uri !== undefined ? { physicalLocation: { artifactLocation: { uri }, ...(region ? { region } : {}) } } : {}),
    ...(logical.length > 0 ? { logicalLocations: logical } : {}),
  };
}

// ---- rules and results ----

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function nonEmpty(text: string | undefined, fallback: string): string {
  return text !== undefined && text.trim() !== '' ? text : fallback;
}

function ruleTags(findings: readonly StoredFinding[]): string[] {
  const tags = new Set<string>(['security']);
  for (const f of findings) tags.add(f.category);
  for (const f of findings) for (const cwe of f.cwes) tags.add(`external/cwe/cwe-${cwe}`);
  return [...tags].slice(0, MAX_TAGS);
}

function buildRule(ruleId: string, findings: readonly StoredFinding[]): SarifRule {
  // findings are in severity order, so [0] is the worst.
  const first = findings[0]!;
  const score = Math.max(...findings.map(securitySeverityScore));
  const helpUri = findings.flatMap((f) => f.references).map(httpUrl).find((u) => u !== undefined);
  const title = nonEmpty(first.title, ruleId);
  const description = nonEmpty(first.description, title);
  const ids = [...new Set(findings.flatMap((f) => f.vulnerabilityIds))];
  const helpLines = [description, ...(ids.length > 0 ? [`Identifiers: ${ids.join(', ')}`] : []), ...(helpUri ? [`More information: ${helpUri}`] : [])];
  return {
    id: ruleId,
    shortDescription: { text: truncate(title, MAX_DESCRIPTION) },
    fullDescription: { text: truncate(description, MAX_DESCRIPTION) },
    ...(helpUri !== undefined ? { helpUri } : {}),
    help: { text: helpLines.join('\n') },
    defaultConfiguration: { level: sarifLevel(first.severity) },
    properties: { 'security-severity': score.toFixed(1), tags: ruleTags(findings) },
  };
}

function resultMessage(f: StoredFinding): string {
  const lines = [nonEmpty(f.title, f.ruleId)];
  const pkg = packageLabel(f.package);
  if (pkg) lines.push(`Package: ${pkg}`);
  if (f.fixedVersions.length > 0) lines.push(`Fixed in: ${f.fixedVersions.join(', ')}`);
  if (f.location?.image) lines.push(`Image: ${f.location.image}`);
  if (f.vulnerabilityIds.length > 0) lines.push(`Identifiers: ${f.vulnerabilityIds.join(', ')}`);
  lines.push(`Severity: ${f.severity}`);
  lines.push(`Reported by: ${toolsOf(f).join(', ')}`);
  return lines.join('\n');
}

const SUPPRESSED: Partial<Record<FindingStatus, string>> = {
  not_affected: 'Marked not affected in ScanHub',
  false_positive: 'Marked as a false positive in ScanHub',
  accepted_risk: 'Risk accepted in ScanHub',
};

function buildResult(f: StoredFinding, ruleIndex: number): SarifResult {
  const location = sarifLocation(f);
  const suppression = SUPPRESSED[f.status];
  return {
    ruleId: f.ruleId,
    ruleIndex,
    level: sarifLevel(f.severity),
    message: { text: resultMessage(f) },
    ...(location ? { locations: [location] } : {}),
    partialFingerprints: { 'scanhub/v1': f.fingerprint },
    ...(suppression ? { suppressions: [{ kind: 'external' as const, status: 'accepted' as const, justification: suppression }] } : {}),
    properties: {
      tools: toolsOf(f),
      sources: f.sources,
      category: f.category,
      severity: f.severity,
      status: f.status,
      vulnerabilityIds: f.vulnerabilityIds,
      ...(f.package ? { package: f.package } : {}),
      ...(f.fixedVersions.length > 0 ? { fixedVersions: f.fixedVersions } : {}),
      ...(f.location?.image ? { image: f.location.image } : {}),
      ...(locationLabel(f.location) ? { location: locationLabel(f.location) } : {}),
      firstSeenAt: f.firstSeenAt,
    },
  };
}

/** The SARIF log as an object. */
export function buildSarif(findings: readonly StoredFinding[], context: ExportContext): SarifLog {
  const sorted = sortFindings(findings);
  const byRule = new Map<string, StoredFinding[]>();
  for (const f of sorted) {
    const list = byRule.get(f.ruleId);
    if (list) list.push(f);
    else byRule.set(f.ruleId, [f]);
  }
  // Rules in the order their worst finding appears, so the worst rules come first.
  const ruleIds = [...byRule.keys()];
  const ruleIndex = new Map(ruleIds.map((id, i) => [id, i]));
  const rules = ruleIds.map((id) => buildRule(id, byRule.get(id)!));
  const results = sorted.map((f) => buildResult(f, ruleIndex.get(f.ruleId)!));
  const generatedAt = isoTimestamp(context.generatedAt);
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'ScanHub', semanticVersion: context.scanhubVersion, version: context.scanhubVersion, rules } },
        // GitHub: category = everything up to the last "/"; one category per project keeps uploads from overwriting each other.
        automationDetails: { id: `scanhub/${context.project}/${context.submissionId ?? ''}` },
        columnKind: 'utf16CodeUnits',
        invocations: [{ executionSuccessful: true, endTimeUtc: generatedAt }],
        results,
        properties: {
          project: context.project,
          ...(context.ref !== undefined ? { ref: context.ref } : {}),
          ...(context.commit !== undefined ? { commit: context.commit } : {}),
          ...(context.submissionId !== undefined ? { submissionId: context.submissionId } : {}),
          ...(context.reportUrl !== undefined ? { reportUrl: context.reportUrl } : {}),
          ...(context.verdict !== undefined ? { verdict: { outcome: context.verdict.outcome, summary: context.verdict.summary } } : {}),
        },
      },
    ],
  };
}

/** Findings as a SARIF 2.1.0 log (one run, tool "ScanHub"). */
export function exportSarif(findings: readonly StoredFinding[], context: ExportContext): ExportResult {
  return {
    body: `${JSON.stringify(buildSarif(findings, context), null, 2)}\n`,
    contentType: 'application/sarif+json; charset=utf-8',
    fileExtension: 'sarif',
  };
}
