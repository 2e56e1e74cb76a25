// GitLab security report artifacts (schema 15.2.x): container scanning, dependency scanning and SAST.
import { createHash } from 'node:crypto';
import type { Severity } from '../../domain/finding.js';
import type { StoredFinding } from '../../store/repositories/findings.js';
import type { ExportContext, ExportResult } from './context.js';
import { isoTimestamp, manifestForEcosystem, sortFindings, toolsOf } from './shared.js';

export const GITLAB_SCHEMA_VERSION = '15.2.1';

export type GitlabScanType = 'container_scanning' | 'dependency_scanning' | 'sast';

export type GitlabSeverity = 'Critical' | 'High' | 'Medium' | 'Low' | 'Info' | 'Unknown';

const SEVERITY: Readonly<Record<Severity, GitlabSeverity>> = { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low', info: 'Info' };

export function gitlabSeverity(severity: Severity): GitlabSeverity {
  return SEVERITY[severity];
}

export interface GitlabIdentifier {
  type: string;
  name: string;
  value: string;
  url?: string;
}

export interface GitlabVulnerability {
  id: string;
  name: string;
  description: string;
  severity: GitlabSeverity;
  solution?: string;
  identifiers: GitlabIdentifier[];
  cvss_vectors?: { vendor: string; vector: string }[];
  links?: { name?: string; url: string }[];
  flags?: { type: 'flagged-as-likely-false-positive'; origin: string; description: string }[];
  location: Record<string, unknown>;
}

export interface GitlabReport {
  version: string;
  scan: {
    analyzer: GitlabTool;
    scanner: GitlabTool;
    type: GitlabScanType;
    start_time: string;
    end_time: string;
    status: 'success';
  };
  vulnerabilities: GitlabVulnerability[];
}

interface GitlabTool {
  id: string;
  name: string;
  version: string;
  vendor: { name: string };
}

// ---- identity and text ----

/** Namespace for the UUIDv5 ids derived from fingerprints (a fixed random UUID). */
const SCANHUB_UUID_NAMESPACE = '6f1c5b8e-3d2a-4c7e-9b1f-2a8d4e6c0b13';

/**
 * A UUID (RFC 4122 version 5, SHA-1 name-based) derived from the finding's fingerprint: the same finding gets
 * the same id in every report, and it looks like the UUID GitLab recommends.
 */
export function gitlabVulnerabilityId(fingerprint: string): string {
  const ns = Buffer.from(SCANHUB_UUID_NAMESPACE.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(fingerprint, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** `YYYY-MM-DDTHH:MM:SS` in UTC: the schema's pattern allows neither a zone nor fractions. */
export function gitlabTimestamp(date: Date): string {
  return isoTimestamp(date).slice(0, 19);
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const URL_PATTERN = /^(https?|ftp):\/\/.+/;

/** Identifier for one vulnerability id (CVE, GHSA, or another OSV-style id). */
export function vulnerabilityIdentifier(id: string): GitlabIdentifier {
  if (/^CVE-\d{4}-\d+$/i.test(id)) {
    return { type: 'cve', name: id, value: id, url: `https://nvd.nist.gov/vuln/detail/${encodeURIComponent(id)}` };
  }
  if (/^GHSA(-[0-9a-z]{4}){3}$/i.test(id)) {
    return { type: 'ghsa', name: id, value: id, url: `https://github.com/advisories/${encodeURIComponent(id)}` };
  }
  const prefix = /^([A-Za-z][A-Za-z0-9]*)-/.exec(id)?.[1];
  if (prefix) return { type: prefix.toLowerCase(), name: id, value: id, url: `https://osv.dev/vulnerability/${encodeURIComponent(id)}` };
  return { type: 'vulnerability_id', name: id, value: id };
}

function identifiers(f: StoredFinding): GitlabIdentifier[] {
  const out: GitlabIdentifier[] = [];
  const ids = f.vulnerabilityIds.filter((id) => id.trim() !== '');
  // The first identifier is GitLab's primary identifier: the advisory for a vulnerability, else the rule.
  for (const id of ids) out.push(vulnerabilityIdentifier(id));
  if (ids.length === 0) out.push({ type: 'scanhub_rule_id', name: `${f.tool} ${f.ruleId}`, value: f.ruleId });
  for (const cwe of f.cwes) {
    out.push({ type: 'cwe', name: `CWE-${cwe}`, value: String(cwe), url: `https://cwe.mitre.org/data/definitions/${cwe}.html` });
  }
  const seen = new Set<string>();
  return out.filter((i) => {
    const key = `${i.type}\u0000${i.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const CVSS_V2 = /^((AV:[NAL]|AC:[LMH]|Au:[MSN]|[CIA]:[NPC]|E:(U|POC|F|H|ND)|RL:(OF|TF|W|U|ND)|RC:(UC|UR|C|ND)|CDP:(N|L|LM|MH|H|ND)|TD:(N|L|M|H|ND)|[CIA]R:(L|M|H|ND))\/)*(AV:[NAL]|AC:[LMH]|Au:[MSN]|[CIA]:[NPC]|E:(U|POC|F|H|ND)|RL:(OF|TF|W|U|ND)|RC:(UC|UR|C|ND)|CDP:(N|L|LM|MH|H|ND)|TD:(N|L|M|H|ND)|[CIA]R:(L|M|H|ND))$/;
const CVSS_V3 = /^CVSS:3[.][01]\/((AV:[NALP]|AC:[LH]|PR:[NLH]|UI:[NR]|S:[UC]|[CIA]:[NLH]|E:[XUPFH]|RL:[XOTWU]|RC:[XURC]|[CIA]R:[XLMH]|MAV:[XNALP]|MAC:[XLH]|MPR:[XNLH]|MUI:[XNR]|MS:[XUC]|M[CIA]:[XNLH])\/)*(AV:[NALP]|AC:[LH]|PR:[NLH]|UI:[NR]|S:[UC]|[CIA]:[NLH]|E:[XUPFH]|RL:[XOTWU]|RC:[XURC]|[CIA]R:[XLMH]|MAV:[XNALP]|MAC:[XLH]|MPR:[XNLH]|MUI:[XNR]|MS:[XUC]|M[CIA]:[XNLH])$/;

/** CVSS vectors GitLab accepts (v2, v3.0, v3.1; v4 is rejected by the schema), highest score first, at most 10. */
function cvssVectors(f: StoredFinding): { vendor: string; vector: string }[] {
  const seen = new Set<string>();
  return [...(f.cvss ?? [])]
    .sort((a, b) => (b.score ?? -1) - (a.score ?? -1))
    .filter((c): c is typeof c & { vector: string } => {
      const v = c.vector;
      if (v === undefined || seen.has(v) || v.length > 128) return false;
      const ok = (v.length >= 32 && CVSS_V3.test(v)) || (v.length >= 16 && CVSS_V2.test(v));
      if (ok) seen.add(v);
      return ok;
    })
    .slice(0, 10)
    .map((c) => ({ vendor: c.source && c.source.trim() !== '' ? c.source : 'unknown', vector: c.vector }));
}

function solution(f: StoredFinding): string | undefined {
  if (f.fixedVersions.length === 0) return undefined;
  const subject = f.package ? `${f.package.name}${f.package.version ? ` from ${f.package.version}` : ''}` : 'the affected component';
  return truncate(`Upgrade ${subject} to ${f.fixedVersions.join(', ')} or later.`, 7000);
}

function baseVulnerability(f: StoredFinding, location: Record<string, unknown>): GitlabVulnerability {
  const links = [...new Set(f.references.filter((r) => URL_PATTERN.test(r)))].map((url) => ({ url }));
  const cvss = cvssVectors(f);
  const fix = solution(f);
  const name = f.title.trim() !== '' ? f.title : f.ruleId;
  const details = [f.description && f.description.trim() !== '' ? f.description : name, `Reported by: ${toolsOf(f).join(', ')}`];
  return {
    id: gitlabVulnerabilityId(f.fingerprint),
    name: truncate(name, 255),
    description: truncate(details.join('\n\n'), 1_048_576),
    severity: gitlabSeverity(f.severity),
    ...(fix !== undefined ? { solution: fix } : {}),
    identifiers: identifiers(f),
    ...(cvss.length > 0 ? { cvss_vectors: cvss } : {}),
    ...(links.length > 0 ? { links } : {}),
    ...(f.status === 'false_positive'
      ? { flags: [{ type: 'flagged-as-likely-false-positive' as const, origin: 'ScanHub', description: 'Marked as a false positive in ScanHub.' }] }
      : {}),
    location,
  };
}

// ---- locations ----

/** Operating system of an OS package: the purl's `distro` qualifier, else its namespace/ecosystem. */
function operatingSystem(f: StoredFinding): string {
  const purl = f.package?.purl ?? '';
  const distro = /[?&]distro=([^&#]+)/.exec(purl)?.[1];
  const namespace = /^pkg:(?:apk|deb|rpm)\/([^/]+)\//.exec(purl)?.[1];
  let os: string | undefined;
  if (distro) {
    const d = decodeURIComponentSafe(distro);
    os = namespace && !d.toLowerCase().startsWith(namespace.toLowerCase()) ? `${namespace} ${d}` : d;
  } else {
    os = namespace ?? f.package?.ecosystem;
  }
  return os && os.trim() !== '' ? os : 'unknown';
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function dependency(f: StoredFinding): { package: { name: string }; version: string } {
  return { package: { name: f.package?.name ?? 'unknown' }, version: f.package?.version ?? '' };
}

function containerLocation(f: StoredFinding): Record<string, unknown> {
  return { dependency: dependency(f), operating_system: operatingSystem(f), image: f.location!.image! };
}

function dependencyLocation(f: StoredFinding): Record<string, unknown> {
  const file = f.location?.path || manifestForEcosystem(f.package?.ecosystem, f.package?.purl) || 'unknown';
  return { file, dependency: dependency(f) };
}

function sastLocation(f: StoredFinding): Record<string, unknown> {
  const loc = f.location;
  const out: Record<string, unknown> = {};
  if (loc?.path) out.file = loc.path;
  if (loc?.startLine !== undefined && loc.startLine >= 1) {
    out.start_line = loc.startLine;
    if (loc.endLine !== undefined && loc.endLine >= loc.startLine) out.end_line = loc.endLine;
  }
  return out;
}

// ---- selection ----

/** Vulnerability findings in a container image. */
export function isContainerScanningFinding(f: StoredFinding): boolean {
  return f.category === 'vulnerability' && Boolean(f.location?.image);
}

/** Vulnerability findings in a package dependency, outside an image. */
export function isDependencyScanningFinding(f: StoredFinding): boolean {
  return f.category === 'vulnerability' && f.package !== undefined && !f.location?.image;
}

/**
 * Code findings. Secrets are left out: GitLab has a separate `secret_detection` report type and the SAST schema's
 * `scan.type` only allows "sast".
 */
export function isSastFinding(f: StoredFinding): boolean {
  return f.category === 'code';
}

// ---- reports ----

function checkVersion(schemaVersion: string): void {
  if (!/^[0-9]+\.[0-9]+\.[0-9]+$/.test(schemaVersion)) {
    throw new Error(`GitLab schema version "${schemaVersion}" is not valid: use MAJOR.MINOR.PATCH, e.g. ${GITLAB_SCHEMA_VERSION}.`);
  }
}

function report(
  type: GitlabScanType,
  findings: readonly StoredFinding[],
  context: ExportContext,
  schemaVersion: string,
  select: (f: StoredFinding) => boolean,
  locate: (f: StoredFinding) => Record<string, unknown>,
): ExportResult {
  checkVersion(schemaVersion);
  const tool: GitlabTool = { id: 'scanhub', name: 'ScanHub', version: context.scanhubVersion, vendor: { name: 'ScanHub' } };
  const time = gitlabTimestamp(context.generatedAt);
  const seen = new Set<string>();
  const vulnerabilities: GitlabVulnerability[] = [];
  for (const f of sortFindings(findings)) {
    if (!select(f) || seen.has(f.fingerprint)) continue;
    seen.add(f.fingerprint);
    vulnerabilities.push(baseVulnerability(f, locate(f)));
  }
  const body: GitlabReport = {
    version: schemaVersion,
    scan: { analyzer: tool, scanner: tool, type, start_time: time, end_time: time, status: 'success' },
    vulnerabilities,
  };
  return { body: `${JSON.stringify(body, null, 2)}\n`, contentType: 'application/json; charset=utf-8', fileExtension: 'json' };
}

/** `gl-container-scanning-report.json`: vulnerability findings with `location.image`. */
export function gitlabContainerScanning(
  findings: readonly StoredFinding[],
  context: ExportContext,
  schemaVersion: string = GITLAB_SCHEMA_VERSION,
): ExportResult {
  return report('container_scanning', findings, context, schemaVersion, isContainerScanningFinding, containerLocation);
}

/** `gl-dependency-scanning-report.json`: vulnerability findings with a package and no image. */
export function gitlabDependencyScanning(
  findings: readonly StoredFinding[],
  context: ExportContext,
  schemaVersion: string = GITLAB_SCHEMA_VERSION,
): ExportResult {
  return report('dependency_scanning', findings, context, schemaVersion, isDependencyScanningFinding, dependencyLocation);
}

/** `gl-sast-report.json`: code findings. */
export function gitlabSast(findings: readonly StoredFinding[], context: ExportContext, schemaVersion: string = GITLAB_SCHEMA_VERSION): ExportResult {
  return report('sast', findings, context, schemaVersion, isSastFinding, sastLocation);
}

