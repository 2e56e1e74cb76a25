// Xray body readers: each brings one API's shape to XrayIssue[] (see issue.ts).
import { asArray, isRecord, str, type JsonRecord, type WarningList } from '../../../src/plugins/parse-helpers.js';
import { imageFromImpactPaths, type XrayIssue } from './issue.js';

/** A v1 impact path ends in "<release>:<package>:<version>" (e.g. "3.12:openssl:1.1.1k-r0"). */
function leafComponent(path: string): string {
  const leaf = path.split('/').pop() ?? '';
  const parts = leaf.split(':');
  return parts.length >= 3 ? `alpine://${leaf}` : '';
}

const strings = (v: unknown) => asArray(v).map(str).filter((s): s is string => !!s);

/** Artifact Summary v1/v2: artifacts[].issues[]; v2 issues carry components[] with fixed versions. */
export function readSummary(doc: JsonRecord, warnings: WarningList): XrayIssue[] {
  const out: XrayIssue[] = [];
  asArray(doc.artifacts).forEach((a, i) => {
    if (!isRecord(a)) return warnings.add(`/artifacts/${i}`, 'Skipped an artifact that is not an object.');
    const general = isRecord(a.general) ? a.general : {};
    const docker = str(general.pkg_type)?.toLowerCase() === 'docker';
    const artifactId = str(general.component_id) ?? str(general.name);
    asArray(a.issues).forEach((issue, j) => {
      if (!isRecord(issue)) return warnings.add(`/artifacts/${i}/issues/${j}`, 'Skipped an issue that is not an object.');
      const comps = asArray(issue.components).filter(isRecord);
      out.push({
        issueId: str(issue.issue_id),
        summary: str(issue.summary),
        description: str(issue.description),
        severity: str(issue.severity),
        type: str(issue.issue_type),
        cves: asArray(issue.cves).filter(isRecord),
        components: comps.length
          ? comps.map((c) => ({ id: str(c.component_id) ?? '', fixedVersions: strings(c.fixed_versions), path: strings(c.component_physical_paths)[0] }))
          : // v1 names only the impact path; its last element is the vulnerable component.
            asArray(issue.impact_path).map(str).filter((p): p is string => !!p).map((p) => ({ id: leafComponent(p), fixedVersions: [], path: p })).slice(-1),
        references: [],
        ...(docker && artifactId ? { image: artifactId } : {}),
      });
      return undefined;
    });
    return undefined;
  });
  return out;
}

/** Graph scan results (GET /scan/graph/{id}) and `jf scan --format json` (an array of them). */
export function readGraphScan(doc: JsonRecord, warnings: WarningList, base = ''): XrayIssue[] {
  const out: XrayIssue[] = [];
  const rootImage = str(doc.component_id)?.startsWith('docker://') ? str(doc.component_id)!.slice(9) : undefined;
  const seen = new Set<string>();
  for (const key of ['vulnerabilities', 'violations'] as const) {
    asArray(doc[key]).forEach((v, i) => {
      if (!isRecord(v)) return warnings.add(`${base}/${key}/${i}`, 'Skipped an entry that is not an object.');
      const components = isRecord(v.components) ? Object.entries(v.components) : [];
      const type = str(v.type) ?? 'security';
      const entries = components.map(([id, c]) => ({ id, c: isRecord(c) ? c : {} }));
      // A security violation repeats a vulnerability of the same result: keep one.
      const fresh = entries.filter(({ id }) => !seen.has(`${type}|${str(v.issue_id)}|${id}`));
      for (const { id } of entries) seen.add(`${type}|${str(v.issue_id)}|${id}`);
      if (key === 'violations' && fresh.length === 0 && entries.length > 0) return undefined;
      out.push({
        issueId: str(v.issue_id),
        summary: str(v.summary),
        description: str(v.summary),
        severity: str(v.severity),
        type,
        cves: asArray(v.cves).filter(isRecord),
        components: fresh.map(({ id, c }) => {
          const paths = asArray(c.impact_paths);
          const leaf = asArray(asArray(paths[0]).slice(-1)[0])[0];
          return { id, fixedVersions: strings(c.fixed_versions), path: isRecord(leaf) ? str(leaf.full_path) : undefined };
        }),
        references: strings(v.references),
        image: rootImage ?? imageFromImpactPaths(entries.flatMap(({ c }) => asArray(c.impact_paths))),
        ignored: false,
      });
      return undefined;
    });
  }
  return out;
}

/** Violations list (POST /violations) and violation details: infected components, CVE properties. */
export function readViolations(items: unknown[], warnings: WarningList, base: string): XrayIssue[] {
  const out: XrayIssue[] = [];
  items.forEach((v, i) => {
    if (!isRecord(v)) return warnings.add(`${base}/${i}`, 'Skipped a violation that is not an object.');
    out.push({
      issueId: str(v.issue_id),
      summary: str(v.summary) ?? str(v.description),
      description: str(v.description),
      severity: str(v.severity),
      type: str(v.type),
      cves: [...asArray(v.properties), ...asArray(v.cves)].filter(isRecord),
      components: strings(v.infected_components).map((id) => ({ id, fixedVersions: strings(v.fix_versions) })),
      references: strings(v.references),
      image: strings(v.impacted_artifacts).map((a) => /^docker:\/\//.test(a) ? a.slice(9) : undefined).find(Boolean),
    });
    return undefined;
  });
  return out;
}

/** Xray 3.x vulnerabilities report export / report content: {total_rows, rows[]}, one row per component. */
export function readReportRows(doc: JsonRecord, warnings: WarningList): XrayIssue[] {
  const out: XrayIssue[] = [];
  asArray(doc.rows).forEach((r, i) => {
    if (!isRecord(r)) return warnings.add(`/rows/${i}`, 'Skipped a row that is not an object.');
    const artifact = str(r.impacted_artifact);
    out.push({
      issueId: str(r.issue_id),
      summary: str(r.summary),
      description: str(r.description) ?? str(r.summary),
      severity: str(r.severity),
      type: 'security',
      cves: asArray(r.cves).filter(isRecord),
      components: [{ id: str(r.vulnerable_component) ?? '', fixedVersions: strings(r.fixed_versions), path: str(r.path) }],
      references: strings(r.references),
      ...(artifact?.startsWith('docker://') ? { image: artifact.slice(9) } : {}),
    });
    return undefined;
  });
  return out;
}

/** Xray 2.x "Security Export": {total_count, data[]} with component_versions.more_details.cves. */
export function readSecurityExport(doc: JsonRecord, warnings: WarningList): XrayIssue[] {
  const out: XrayIssue[] = [];
  asArray(doc.data).forEach((d, i) => {
    if (!isRecord(d)) return warnings.add(`/data/${i}`, 'Skipped an entry that is not an object.');
    const versions = isRecord(d.component_versions) ? d.component_versions : {};
    const more = isRecord(versions.more_details) ? versions.more_details : {};
    out.push({
      issueId: str(d.id) || undefined,
      summary: str(d.summary),
      description: str(more.description) ?? str(d.summary),
      severity: str(d.severity),
      type: str(d.issue_type),
      cves: asArray(more.cves).filter(isRecord),
      components: [{ id: str(d.source_comp_id) ?? '', fixedVersions: strings(versions.fixed_versions) }],
      references: [],
    });
    return undefined;
  });
  return out;
}

/** Xray policy webhooks: {watch_name, policy_name, issues[]}, each issue with impacted artifacts. */
export function readWebhookIssues(doc: JsonRecord, warnings: WarningList): XrayIssue[] {
  const out: XrayIssue[] = [];
  asArray(doc.issues).forEach((issue, i) => {
    if (!isRecord(issue)) return warnings.add(`/issues/${i}`, 'Skipped an issue that is not an object.');
    const artifacts = asArray(issue.impacted_artifacts).filter(isRecord);
    const components = artifacts.flatMap((a) =>
      asArray(a.infected_files)
        .filter(isRecord)
        .map((f) => ({ id: str(f.component_id) ?? '', fixedVersions: strings(f.fixed_versions), path: str(f.path) || str(f.name) })),
    );
    const docker = artifacts.find((a) => str(a.pkg_type)?.toLowerCase() === 'docker');
    out.push({
      issueId: str(issue.issue_id),
      summary: str(issue.summary),
      description: str(issue.description),
      severity: str(issue.severity),
      type: str(issue.type),
      cves: [...asArray(issue.cves).filter(isRecord), ...(str(issue.cve) ? [{ cve: str(issue.cve) }] : [])],
      components,
      references: [],
      ...(docker ? { image: str(docker.display_name) } : {}),
    });
    return undefined;
  });
  return out;
}
