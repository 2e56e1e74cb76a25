// CycloneDX 1.6 VEX of a project's findings: each vulnerability with the components it affects and
// ScanHub's analysis — open → in_triage, fixed → resolved, and the triage decision when an exception
// or a finding status says not_affected / false_positive / accepted risk.
import type { AppliedException } from '../../domain/policy/evaluate.js';
import type { StoredFinding } from '../../store/repositories/findings.js';
import type { ExportContext, ExportResult } from './context.js';
import { sortFindings } from './shared.js';

type State = 'resolved' | 'exploitable' | 'in_triage' | 'false_positive' | 'not_affected';

function analysisOf(f: StoredFinding, exception: AppliedException | undefined): { state: State; justification?: string; response?: string[]; detail?: string } {
  const kind = exception?.kind ?? (f.status === 'open' || f.status === 'fixed' ? undefined : f.status);
  const detail = exception ? `${exception.reason} (owner: ${exception.owner}${exception.expiresAt ? `, until ${exception.expiresAt}` : ''})` : undefined;
  if (f.status === 'fixed' || f.state === 'fixed') return { state: 'resolved' };
  if (kind === 'false_positive') return { state: 'false_positive', ...(detail ? { detail } : {}) };
  if (kind === 'not_affected') return { state: 'not_affected', ...(detail ? { detail } : {}) };
  if (kind === 'accepted_risk') return { state: 'exploitable', response: ['will_not_fix'], ...(detail ? { detail } : {}) };
  return { state: 'in_triage' };
}

function purlOf(f: StoredFinding): string | undefined {
  if (!f.package) return undefined;
  if (f.package.purl) return f.package.purl;
  const eco = (f.package.ecosystem ?? 'generic').toLowerCase().replace(/[^a-z0-9.+-]/g, '') || 'generic';
  return `pkg:${eco}/${encodeURIComponent(f.package.name)}${f.package.version ? `@${encodeURIComponent(f.package.version)}` : ''}`;
}

export function exportCycloneDxVex(findings: readonly StoredFinding[], context: ExportContext, exceptions: ReadonlyMap<string, AppliedException> = new Map()): ExportResult {
  const components = new Map<string, Record<string, unknown>>();
  const vulnerabilities = new Map<string, { 'bom-ref': string; id: string; source?: { name: string }; ratings: unknown[]; affects: { ref: string }[]; analysis: ReturnType<typeof analysisOf>; description?: string }>();
  for (const f of sortFindings(findings)) {
    if (f.category !== 'vulnerability' || f.vulnerabilityIds.length === 0) continue;
    const purl = purlOf(f);
    const ref = purl ?? `finding:${f.fingerprint}`;
    if (!components.has(ref)) components.set(ref, { type: 'library', 'bom-ref': ref, name: f.package?.name ?? f.title, ...(f.package?.version ? { version: f.package.version } : {}), ...(purl ? { purl } : {}) });
    const id = f.vulnerabilityIds[0]!;
    const key = `${id}|${f.fingerprint}`;
    const severity = f.severity === 'info' ? 'info' : f.severity;
    vulnerabilities.set(key, {
      'bom-ref': `scanhub:${f.fingerprint}`,
      id,
      ...(id.startsWith('CVE-') ? { source: { name: 'NVD' } } : id.startsWith('GHSA-') ? { source: { name: 'GitHub' } } : {}),
      ratings: [{ severity, method: 'other', source: { name: 'ScanHub' } }],
      ...(f.description ? { description: f.description.slice(0, 4000) } : {}),
      affects: [{ ref }],
      analysis: analysisOf(f, exceptions.get(f.fingerprint)),
    });
  }
  const bom = {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    metadata: {
      timestamp: context.generatedAt.toISOString(),
      tools: { components: [{ type: 'application', name: 'ScanHub', version: context.scanhubVersion }] },
      component: { type: 'application', 'bom-ref': `project:${context.project}`, name: context.project },
    },
    components: [...components.values()],
    vulnerabilities: [...vulnerabilities.values()],
  };
  return { body: JSON.stringify(bom, null, 2), contentType: 'application/vnd.cyclonedx+json; charset=utf-8', fileExtension: 'cdx.json' };
}
