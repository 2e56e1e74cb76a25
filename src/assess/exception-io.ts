// Exceptions in and out of other tools' formats: .trivyignore.yaml, Dependency-Check suppression
// XML, CycloneDX VEX and OpenVEX in; CycloneDX VEX out. Each import yields exception requests.
import { parse as parseYaml } from 'yaml';
import { ReportFormatError } from '../errors.js';
import { VEX_JUSTIFICATIONS, type ExceptionRequest } from '../domain/exceptions.js';
import { asArray, isRecord, str } from '../plugins/parse-helpers.js';
import { ReportInput } from '../plugins/report-input.js';
import type { PresentedException } from '../store/repositories/exceptions.js';

export type ExceptionDraft = Omit<ExceptionRequest, 'project'>;
export type ImportFormat = 'trivyignore' | 'dependency-check-suppression' | 'cyclonedx-vex' | 'openvex';

const justification = (value: string | undefined): ExceptionDraft['justification'] => {
  const v = value?.trim().toLowerCase();
  return (VEX_JUSTIFICATIONS as readonly string[]).includes(v ?? '') ? (v as ExceptionDraft['justification']) : undefined;
};

/** A purl's name and version, for a package scope. */
function purlParts(purl: string): { name: string; ecosystem: string; version?: string } | undefined {
  const m = /^pkg:([^/]+)\/(?:[^@?#]*\/)?([^/@?#]+)(?:@([^?#]+))?/.exec(purl);
  if (!m) return undefined;
  return { ecosystem: m[1]!, name: decodeURIComponent(m[2]!), ...(m[3] ? { version: decodeURIComponent(m[3]) } : {}) };
}

export function detectImportFormat(text: string): ImportFormat | undefined {
  const input = new ReportInput(text);
  if (input.syntax === 'xml') return /<suppressions\b/.test(text) ? 'dependency-check-suppression' : undefined;
  const json = input.tryJson();
  if (isRecord(json)) {
    if (json.bomFormat === 'CycloneDX') return 'cyclonedx-vex';
    if (typeof json['@context'] === 'string' && json['@context'].includes('openvex')) return 'openvex';
    return undefined;
  }
  if (/^\s*(vulnerabilities|misconfigurations|secrets|licenses)\s*:/m.test(text)) return 'trivyignore';
  return undefined;
}

export function importExceptions(text: string, format: ImportFormat, owner: string, now: Date): { drafts: ExceptionDraft[]; skipped: string[] } {
  switch (format) {
    case 'trivyignore':
      return fromTrivyIgnore(text, owner, now);
    case 'dependency-check-suppression':
      return fromDependencyCheck(text, owner, now);
    case 'cyclonedx-vex':
      return fromCycloneDx(text, owner);
    case 'openvex':
      return fromOpenVex(text, owner);
  }
}

function expiry(value: string | undefined, now: Date): string | undefined {
  if (!value) return undefined;
  const d = new Date(value.replace(/Z?$/, value.length <= 11 ? 'T00:00:00Z' : ''));
  if (Number.isNaN(d.getTime())) return undefined;
  return d.getTime() > now.getTime() ? d.toISOString() : undefined;
}

function fromTrivyIgnore(text: string, owner: string, now: Date) {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 50 });
  } catch (error) {
    throw new ReportFormatError(`.trivyignore.yaml is not valid YAML: ${(error as Error).message}`);
  }
  if (!isRecord(doc)) throw new ReportFormatError('.trivyignore.yaml must be a mapping with "vulnerabilities", "secrets", … lists.');
  const drafts: ExceptionDraft[] = [];
  const skipped: string[] = [];
  for (const section of ['vulnerabilities', 'misconfigurations', 'secrets', 'licenses']) {
    asArray(doc[section]).forEach((item, i) => {
      const id = isRecord(item) ? str(item.id) : undefined;
      if (!id || !isRecord(item)) return skipped.push(`${section}[${i}]: no id`);
      const until = expiry(str(item.expired_at), now);
      if (str(item.expired_at) && !until) return skipped.push(`${section}[${i}] ${id}: already expired`);
      const base = {
        kind: (until ? 'accepted_risk' : 'false_positive') as ExceptionDraft['kind'],
        reason: str(item.statement) ?? `Imported from .trivyignore.yaml (${section}).`,
        owner,
        ...(until ? { expiresAt: until } : {}),
      };
      const purls = asArray(item.purls).map(str).filter((p): p is string => !!p);
      const paths = asArray(item.paths).map(str).filter((p): p is string => !!p);
      if (purls.length) {
        for (const purl of purls) {
          const p = purlParts(purl);
          if (p) drafts.push({ ...base, scope: { type: 'package', name: p.name, ecosystem: p.ecosystem, ...(p.version ? { versions: p.version } : {}), vulnerabilityId: id } });
        }
      } else if (paths.length) {
        for (const glob of paths) drafts.push({ ...base, scope: { type: 'path', glob, ruleId: id } });
      } else {
        drafts.push({ ...base, scope: { type: 'vulnerability', id } });
      }
      return undefined;
    });
  }
  return { drafts, skipped };
}

function fromDependencyCheck(text: string, owner: string, now: Date) {
  const root = new ReportInput(text).xml();
  const suppressions = isRecord(root.suppressions) ? root.suppressions : undefined;
  if (!suppressions) throw new ReportFormatError('Not a Dependency-Check suppression file: no <suppressions> root.', { pointer: '/suppressions' });
  const drafts: ExceptionDraft[] = [];
  const skipped: string[] = [];
  asArray(suppressions.suppress).forEach((s, i) => {
    if (!isRecord(s)) return;
    const ids = [...asArray(s.cve), ...asArray(s.vulnerabilityName)].map(str).filter((v): v is string => !!v);
    const until = expiry(str(s['@_until']), now);
    if (str(s['@_until']) && !until) return skipped.push(`suppress[${i}]: expired`);
    if (ids.length === 0) return skipped.push(`suppress[${i}]: suppresses by CPE or CVSS, which has no exception equivalent`);
    const purlNode = asArray(s.packageUrl)[0];
    const purl = str(purlNode);
    const regex = isRecord(purlNode) && str(purlNode['@_regex']) === 'true';
    const pkg = purl && !regex ? purlParts(purl) : undefined;
    for (const id of ids) {
      drafts.push({
        kind: until ? 'accepted_risk' : 'false_positive',
        reason: str(s.notes) ?? 'Imported from a Dependency-Check suppression file.',
        owner,
        ...(until ? { expiresAt: until } : {}),
        scope: pkg
          ? { type: 'package', name: pkg.name, ecosystem: pkg.ecosystem, ...(pkg.version ? { versions: pkg.version } : {}), vulnerabilityId: id }
          : { type: 'vulnerability', id },
      });
    }
    if (regex) skipped.push(`suppress[${i}]: packageUrl regex ${purl} widened to the vulnerability id`);
    return undefined;
  });
  return { drafts, skipped };
}

function vexKind(state: string | undefined): ExceptionDraft['kind'] | undefined {
  if (state === 'not_affected') return 'not_affected';
  if (state === 'false_positive') return 'false_positive';
  return undefined;
}

function fromCycloneDx(text: string, owner: string) {
  const doc = new ReportInput(text).json();
  if (!isRecord(doc)) throw new ReportFormatError('Not a CycloneDX document.');
  const purlByRef = new Map<string, string>();
  const walk = (components: unknown) => {
    for (const c of asArray(components)) {
      if (!isRecord(c)) continue;
      const ref = str(c['bom-ref']);
      const purl = str(c.purl);
      if (ref && purl) purlByRef.set(ref, purl);
      walk(c.components);
    }
  };
  walk(doc.components);
  const drafts: ExceptionDraft[] = [];
  const skipped: string[] = [];
  asArray(doc.vulnerabilities).forEach((v, i) => {
    if (!isRecord(v)) return;
    const id = str(v.id);
    const analysis = isRecord(v.analysis) ? v.analysis : {};
    const kind = vexKind(str(analysis.state));
    if (!id || !kind) return skipped.push(`vulnerabilities[${i}]: state ${str(analysis.state) ?? 'missing'} is not an exception`);
    const j = justification(str(analysis.justification));
    const reason = str(analysis.detail) ?? `Imported from CycloneDX VEX (${str(analysis.state)}).`;
    const refs = asArray(v.affects).map((a) => (isRecord(a) ? str(a.ref) : undefined)).filter((r): r is string => !!r);
    const purls = refs.map((r) => purlByRef.get(r) ?? (r.startsWith('pkg:') ? r : undefined)).filter((p): p is string => !!p);
    const base = { kind, reason, owner, ...(kind === 'not_affected' ? { justification: j ?? 'vulnerable_code_not_in_execute_path' } : {}) } as const;
    if (purls.length === 0) drafts.push({ ...base, scope: { type: 'vulnerability', id } });
    for (const purl of purls) {
      const p = purlParts(purl);
      if (p) drafts.push({ ...base, scope: { type: 'package', name: p.name, ecosystem: p.ecosystem, ...(p.version ? { versions: p.version } : {}), vulnerabilityId: id } });
    }
    return undefined;
  });
  return { drafts, skipped };
}

function fromOpenVex(text: string, owner: string) {
  const doc = new ReportInput(text).json();
  if (!isRecord(doc)) throw new ReportFormatError('Not an OpenVEX document.');
  const drafts: ExceptionDraft[] = [];
  const skipped: string[] = [];
  asArray(doc.statements).forEach((s, i) => {
    if (!isRecord(s)) return;
    const vuln = isRecord(s.vulnerability) ? str(s.vulnerability.name) : str(s.vulnerability);
    const status = str(s.status);
    if (!vuln || status !== 'not_affected') return skipped.push(`statements[${i}]: status ${status ?? 'missing'} is not an exception`);
    const base = {
      kind: 'not_affected' as const,
      justification: justification(str(s.justification)) ?? 'vulnerable_code_not_in_execute_path',
      reason: str(s.impact_statement) ?? str(s.status_notes) ?? 'Imported from OpenVEX (not_affected).',
      owner,
    };
    const products = asArray(s.products).map((p) => (isRecord(p) ? str(p['@id']) : str(p))).filter((p): p is string => !!p && p.startsWith('pkg:'));
    if (products.length === 0) drafts.push({ ...base, scope: { type: 'vulnerability', id: vuln } });
    for (const purl of products) {
      const p = purlParts(purl);
      if (p) drafts.push({ ...base, scope: { type: 'package', name: p.name, ecosystem: p.ecosystem, ...(p.version ? { versions: p.version } : {}), vulnerabilityId: vuln } });
    }
    return undefined;
  });
  return { drafts, skipped };
}

/** Exceptions as a CycloneDX 1.6 VEX document (vulnerability-bearing scopes only). */
export function exportCycloneDxVex(exceptions: readonly PresentedException[], now: Date): object {
  const components = new Map<string, { type: string; 'bom-ref': string; name: string; version?: string; purl?: string }>();
  const vulnerabilities = [];
  for (const e of exceptions) {
    if (e.status !== 'approved') continue;
    const scope = e.scope;
    const id = scope.type === 'vulnerability' ? scope.id : scope.type === 'package' || scope.type === 'image' ? scope.vulnerabilityId : undefined;
    if (!id) continue;
    const affects = [];
    if (scope.type === 'package') {
      const ref = `pkg:${scope.ecosystem ?? 'generic'}/${encodeURIComponent(scope.name)}${scope.versions && !/[<>=~^*| ]/.test(scope.versions) ? '@' + scope.versions : ''}`;
      components.set(ref, { type: 'library', 'bom-ref': ref, name: scope.name, ...(scope.versions ? { version: scope.versions } : {}), purl: ref });
      affects.push({ ref });
    }
    const state = e.kind === 'accepted_risk' ? 'exploitable' : e.kind;
    vulnerabilities.push({
      'bom-ref': `exception:${e.id}`,
      id,
      analysis: {
        state,
        ...(e.justification ? { justification: e.justification } : {}),
        ...(e.kind === 'accepted_risk' ? { response: ['will_not_fix'] } : {}),
        detail: `${e.reason} (owner: ${e.owner}${e.expiresAt ? `, expires ${e.expiresAt}` : ''})`,
        lastUpdated: e.decidedAt ?? e.createdAt,
      },
      affects,
    });
  }
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    metadata: { timestamp: now.toISOString(), tools: { components: [{ type: 'application', name: 'ScanHub' }] } },
    components: [...components.values()],
    vulnerabilities,
  };
}
