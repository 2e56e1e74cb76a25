// CycloneDX XML → the JSON document shape: components with bom-ref attributes, native
// <vulnerabilities> (1.4+), and the ext/vulnerability/1.0 extension (vulnerabilities inside
// components or at the BOM root, each with a `ref`). Namespace prefixes are already removed.
import { asArray, isRecord, str, type JsonRecord } from '../../../src/plugins/parse-helpers.js';

function component(c: JsonRecord): JsonRecord {
  return {
    type: str(c['@_type']),
    'bom-ref': str(c['@_bom-ref']) ?? str(c.purl),
    name: str(c.name),
    version: str(c.version),
    group: str(c.group),
    purl: str(c.purl),
    components: isRecord(c.components) ? asArray(c.components.component).filter(isRecord).map(component) : [],
  };
}

function nativeVulnerability(v: JsonRecord): JsonRecord {
  const ratings = isRecord(v.ratings) ? asArray(v.ratings.rating).filter(isRecord) : [];
  return {
    id: str(v.id),
    source: isRecord(v.source) ? { name: str(v.source.name), url: str(v.source.url) } : undefined,
    references: isRecord(v.references) ? asArray(v.references.reference).filter(isRecord).map((r) => ({ id: str(r.id) })) : [],
    ratings: ratings.map((r) => ({ source: isRecord(r.source) ? str(r.source.name) : undefined, score: str(r.score), severity: str(r.severity), method: str(r.method), vector: str(r.vector) })),
    cwes: isRecord(v.cwes) ? asArray(v.cwes.cwe) : [],
    description: str(v.description),
    detail: str(v.detail),
    recommendation: str(v.recommendation),
    advisories: isRecord(v.advisories) ? asArray(v.advisories.advisory).filter(isRecord).map((a) => ({ url: str(a.url) })) : [],
    analysis: isRecord(v.analysis) ? { state: str(v.analysis.state), justification: str(v.analysis.justification), detail: str(v.analysis.detail) } : undefined,
    affects: isRecord(v.affects) ? asArray(v.affects.target).filter(isRecord).map((t) => ({ ref: str(t.ref) })) : [],
  };
}

/** ext/vulnerability/1.0: <v:vulnerability ref="…"> with v:id, v:source, v:ratings/v:rating/v:score/v:base. */
function extensionVulnerability(v: JsonRecord): JsonRecord {
  const ratings = isRecord(v.ratings) ? asArray(v.ratings.rating).filter(isRecord) : [];
  const source = isRecord(v.source) ? v.source : undefined;
  return {
    id: str(v.id),
    source: source ? { name: str(source['@_name']), url: str(source.url) } : undefined,
    ratings: ratings.map((r) => {
      const score = isRecord(r.score) ? str(r.score.base) : str(r.score);
      const method = str(r.method);
      return { score, severity: str(r.severity), method: method === 'CVSSv3' || method === 'CVSSv31' || method === 'CVSSv2' ? method : method, vector: str(r.vector) };
    }),
    cwes: isRecord(v.cwes) ? asArray(v.cwes.cwe) : [],
    description: str(v.description),
    recommendation: isRecord(v.recommendations) ? str(asArray(v.recommendations.recommendation)[0]) : undefined,
    advisories: isRecord(v.advisories) ? asArray(v.advisories.advisory).map((a) => ({ url: str(a) })) : [],
    affects: [{ ref: str(v['@_ref']) }],
  };
}

export function fromXml(root: Record<string, unknown>): JsonRecord | undefined {
  const bom = root.bom;
  if (!isRecord(bom)) return undefined;
  const components = isRecord(bom.components) ? asArray(bom.components.component).filter(isRecord) : [];
  const vulnerabilities: JsonRecord[] = [];
  // Extension vulnerabilities nested in a component affect that component, whatever their `ref`.
  const collectExtension = (holder: unknown, owner?: string) => {
    if (!isRecord(holder) || !isRecord(holder.vulnerabilities)) return;
    for (const v of asArray(holder.vulnerabilities.vulnerability).filter(isRecord)) {
      const read = '@_ref' in v || owner ? extensionVulnerability(v) : nativeVulnerability(v);
      if (owner) read.affects = [{ ref: owner }];
      vulnerabilities.push(read);
    }
  };
  let synthetic = 0;
  const walk = (list: JsonRecord[]) => {
    for (const c of list) {
      if (isRecord(c.vulnerabilities)) {
        if (!str(c['@_bom-ref']) && !str(c.purl)) c['@_bom-ref'] = `component-${++synthetic}`;
        collectExtension(c, str(c['@_bom-ref']) ?? str(c.purl));
      }
      if (isRecord(c.components)) walk(asArray(c.components.component).filter(isRecord));
    }
  };
  walk(components);
  collectExtension(bom);
  const metadata = isRecord(bom.metadata) ? bom.metadata : {};
  const tools = isRecord(metadata.tools) ? asArray(metadata.tools.tool).filter(isRecord).map((t) => ({ name: str(t.name), version: str(t.version) })) : [];
  return {
    bomFormat: 'CycloneDX',
    metadata: { tools, ...(isRecord(metadata.component) ? { component: component(metadata.component) } : {}) },
    components: components.map(component),
    vulnerabilities,
  };
}
