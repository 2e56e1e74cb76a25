// One Trivy item → one finding, per kind (vulnerability, misconfiguration, secret, license).
import type { Cvss, ParsedFinding, Severity } from '../../../src/domain/finding.js';
import { ecosystemType } from '../../../src/domain/identity.js';
import { resolveSeverity, severityFromLabel, severityFromScore } from '../../../src/domain/severity.js';
import { asArray, buildPurl, isRecord, lineNumber, num, parseCwes, splitVersions, str, uniqueStrings, type JsonRecord, type WarningList } from '../../../src/plugins/parse-helpers.js';

export interface ResultContext {
  result: JsonRecord;
  target: string;
  /** The scanned image (container_image artifacts). */
  image: string | undefined;
  /** A Kubernetes resource "namespace/Kind/name" (trivy k8s). */
  resource: string | undefined;
  legacy: boolean;
}

const OS_TYPES = new Set(['alpine', 'debian', 'ubuntu', 'redhat', 'centos', 'rocky', 'alma', 'amazon', 'oracle', 'photon', 'suse', 'opensuse', 'opensuse.leap', 'opensuse.tumbleweed', 'sles', 'wolfi', 'chainguard', 'cbl-mariner', 'azurelinux', 'fedora', 'bottlerocket', 'echo', 'minimos']);

function isOsResult(ctx: ResultContext): boolean {
  const cls = str(ctx.result.Class);
  if (cls) return cls === 'os-pkgs';
  return OS_TYPES.has((str(ctx.result.Type) ?? '').toLowerCase());
}

/** The image a result belongs to: the artifact for image scans, the OS target in k8s reports. */
function imageOf(ctx: ResultContext): string | undefined {
  if (ctx.image) return ctx.image;
  if (ctx.resource && isOsResult(ctx)) return ctx.target.replace(/\s+\(.*\)$/, '');
  return undefined;
}

const CVSS_SOURCES = ['nvd', 'ghsa', 'redhat', 'bitnami'];

function readCvss(value: unknown): Cvss[] {
  if (!isRecord(value)) return [];
  const out: Cvss[] = [];
  for (const [source, entry] of Object.entries(value)) {
    if (!isRecord(entry)) continue;
    for (const [version, vectorKey, scoreKey] of [['4.0', 'V40Vector', 'V40Score'], ['3', 'V3Vector', 'V3Score'], ['2', 'V2Vector', 'V2Score']] as const) {
      const vector = str(entry[vectorKey]);
      const score = num(entry[scoreKey]);
      if (!vector && score === undefined) continue;
      const v = version === '3' ? (/^CVSS:3\.(\d)/.exec(vector ?? '')?.[0]?.slice(5) ?? '3.1') : version;
      out.push({ version: v, ...(score !== undefined ? { score } : {}), ...(vector ? { vector } : {}), source });
    }
  }
  return out;
}

/** The score that decides when Trivy gives no severity: SeveritySource first, then nvd, ghsa, redhat, bitnami. */
function fallbackScore(cvss: Cvss[], severitySource: string | undefined): number | undefined {
  for (const source of [severitySource, ...CVSS_SOURCES]) {
    const entries = cvss.filter((c) => c.source === source && c.score !== undefined);
    const pick = entries.find((c) => c.version.startsWith('3')) ?? entries.find((c) => c.version === '4.0') ?? entries[0];
    if (pick?.score !== undefined) return pick.score;
  }
  return undefined;
}

/** Trivy's label wins; UNKNOWN is info (DESIGN §2.1); only a missing label falls back to CVSS. */
export function trivySeverity(label: string | undefined, score: number | undefined, missingDefault: Severity = 'info'): Severity {
  if (label === undefined) return severityFromScore(score) ?? missingDefault;
  return severityFromLabel(label) ?? 'info';
}

export function vulnerabilityFinding(v: JsonRecord, ctx: ResultContext, at: string, warnings: WarningList): ParsedFinding | undefined {
  const id = str(v.VulnerabilityID);
  const pkgName = str(v.PkgName);
  if (!id || !pkgName) {
    warnings.add(at, 'Skipped a vulnerability without VulnerabilityID or PkgName.');
    return undefined;
  }
  const version = str(v.InstalledVersion);
  const type = str(ctx.result.Type);
  const identifier = isRecord(v.PkgIdentifier) ? v.PkgIdentifier : undefined;
  const eco = ecosystemType(type);
  const purl = str(identifier?.PURL) ?? (eco && !['apk', 'deb', 'rpm'].includes(eco) ? buildPurl(eco, pkgName, version) : undefined);
  const cvss = readCvss(v.CVSS);
  const label = str(v.Severity);
  const layer = isRecord(v.Layer) ? (str(v.Layer.DiffID) ?? str(v.Layer.Digest)) : undefined;
  const image = imageOf(ctx);
  const path = str(v.PkgPath) ?? (isOsResult(ctx) ? undefined : ctx.target);
  const status = str(v.Status);
  const finding: ParsedFinding = {
    tool: 'trivy',
    ruleId: id,
    category: 'vulnerability',
    severity: trivySeverity(label, fallbackScore(cvss, str(v.SeveritySource))),
    ...(label ? { toolSeverity: label } : {}),
    title: str(v.Title) ?? `${id} ${pkgName} ${version ?? ''}`.trim(),
    ...(str(v.Description) ? { description: str(v.Description) } : {}),
    vulnerabilityIds: uniqueStrings([id, ...asArray(v.VendorIDs)]),
    cwes: parseCwes(v.CweIDs),
    package: { name: pkgName, ...(version ? { version } : {}), ...(type ? { ecosystem: type } : {}), ...(purl ? { purl } : {}) },
    fixedVersions: splitVersions(v.FixedVersion),
    ...(image || path || layer || ctx.resource
      ? { location: { ...(path ? { path } : {}), ...(image ? { image } : {}), ...(layer ? { layer } : {}), ...(ctx.resource ? { resource: ctx.resource } : {}) } }
      : {}),
    ...(cvss.length ? { cvss } : {}),
    // Trivy's Status is the vendor's fix state ("fixed" = a fix exists); only not_affected changes ours.
    status: status === 'not_affected' ? 'not_affected' : 'open',
    references: uniqueStrings([v.PrimaryURL, ...asArray(v.References)]),
  };
  return finding;
}

function causeLines(meta: JsonRecord | undefined): string | undefined {
  const code = isRecord(meta?.Code) ? meta.Code : undefined;
  const lines = asArray(code?.Lines).filter(isRecord);
  const cause = lines.filter((l) => l.IsCause === true);
  const text = (cause.length ? cause : []).map((l) => (typeof l.Content === 'string' ? l.Content : '')).join('\n');
  return text.trim() ? text : undefined;
}

export function misconfigurationFinding(m: JsonRecord, ctx: ResultContext, at: string, warnings: WarningList): ParsedFinding | undefined {
  const id = str(m.ID) ?? str(m.AVDID);
  if (!id) {
    warnings.add(at, 'Skipped a misconfiguration without ID.');
    return undefined;
  }
  // Successful checks appear only with --include-non-failures; they are not findings.
  if (str(m.Status) === 'PASS') return undefined;
  const meta = isRecord(m.CauseMetadata) ? m.CauseMetadata : undefined;
  const label = str(m.Severity);
  const start = lineNumber(meta?.StartLine);
  const end = lineNumber(meta?.EndLine);
  const resource = ctx.resource ?? str(meta?.Resource);
  const snippet = causeLines(meta);
  return {
    tool: 'trivy',
    ruleId: id,
    category: 'misconfiguration',
    // DefectDojo: a misconfiguration without a severity is Low.
    severity: label === undefined ? 'low' : (severityFromLabel(label) ?? 'info'),
    ...(label ? { toolSeverity: label } : {}),
    title: str(m.Title) ?? id,
    description: [str(m.Description), str(m.Message), str(m.Resolution) && `Resolution: ${str(m.Resolution)}`].filter(Boolean).join('\n\n') || undefined,
    vulnerabilityIds: [],
    cwes: [],
    fixedVersions: [],
    location: {
      path: ctx.target,
      ...(start ? { startLine: start } : {}),
      ...(end ? { endLine: end } : {}),
      ...(resource ? { resource } : {}),
    },
    status: 'open',
    references: uniqueStrings([m.PrimaryURL, ...asArray(m.References)]),
    ...(snippet ? { snippet } : {}),
  };
}

export function secretFinding(s: JsonRecord, ctx: ResultContext, at: string, warnings: WarningList): ParsedFinding | undefined {
  const rule = str(s.RuleID);
  if (!rule) {
    warnings.add(at, 'Skipped a secret without RuleID.');
    return undefined;
  }
  const label = str(s.Severity);
  const start = lineNumber(s.StartLine);
  const end = lineNumber(s.EndLine);
  // Trivy prints the match with the secret masked, so it identifies the place, not the value.
  const match = str(s.Match);
  return {
    tool: 'trivy',
    ruleId: rule,
    category: 'secret',
    severity: trivySeverity(label, undefined, 'high'),
    ...(label ? { toolSeverity: label } : {}),
    title: str(s.Title) ?? rule,
    ...(str(s.Category) ? { description: `Category: ${str(s.Category)}` } : {}),
    vulnerabilityIds: [],
    cwes: [798],
    fixedVersions: [],
    location: { path: ctx.target, ...(start ? { startLine: start } : {}), ...(end ? { endLine: end } : {}), ...(ctx.image ? { image: ctx.image } : {}) },
    status: 'open',
    references: [],
    ...(match ? { snippet: match } : {}),
  };
}

function confidenceOf(value: unknown): 'high' | 'medium' | 'low' | undefined {
  const n = num(value);
  if (n === undefined) return undefined;
  return n >= 0.9 ? 'high' : n >= 0.5 ? 'medium' : 'low';
}

export function licenseFinding(l: JsonRecord, ctx: ResultContext, at: string, warnings: WarningList): ParsedFinding | undefined {
  const name = str(l.Name);
  if (!name) {
    warnings.add(at, 'Skipped a license without Name.');
    return undefined;
  }
  const label = str(l.Severity);
  const pkg = str(l.PkgName);
  const filePath = str(l.FilePath);
  const confidence = confidenceOf(l.Confidence);
  return {
    tool: 'trivy',
    ruleId: name,
    category: 'license',
    severity: trivySeverity(label, undefined),
    ...(label ? { toolSeverity: label } : {}),
    title: `License ${name}${pkg ? ` in ${pkg}` : filePath ? ` in ${filePath}` : ''}`,
    description: [`${name}`, str(l.Category) && `Category: ${str(l.Category)}`, pkg && `Package: ${pkg}`].filter(Boolean).join('\n'),
    vulnerabilityIds: [],
    cwes: [],
    ...(pkg ? { package: { name: pkg } } : {}),
    fixedVersions: [],
    location: { ...(filePath ? { path: filePath } : { path: ctx.target }), ...(ctx.image ? { image: ctx.image } : {}) },
    status: 'open',
    ...(confidence ? { confidence } : {}),
    references: uniqueStrings([l.Link]),
  };
}
