// Xray component ids ("gav://org.yaml:snakeyaml:1.16", "deb://debian:bookworm:wget:1.21.3-1+b1",
// "docker://repo/image:tag") → package name, version, ecosystem and purl.
import { buildPurl } from '../../../src/plugins/parse-helpers.js';

export interface XrayComponent {
  name: string;
  version?: string | undefined;
  ecosystem?: string | undefined;
  purl?: string | undefined;
  image?: string | undefined;
}

const PURL_TYPE: Record<string, string> = { gav: 'maven', npm: 'npm', pypi: 'pypi', go: 'golang', gem: 'gem', nuget: 'nuget', composer: 'composer', cargo: 'cargo', conan: 'conan', deb: 'deb', rpm: 'rpm', alpine: 'apk' };
/** Distro prefixes before the package name: deb://debian:bookworm:NAME:VERSION, alpine://3.18:NAME:VERSION. */
const PREFIX_SEGMENTS: Record<string, number> = { deb: 2, alpine: 1, rpm: 1 };

export function parseComponentId(id: string): XrayComponent {
  const m = /^([a-z]+):\/\/(.*)$/.exec(id.trim());
  if (!m) return { name: id };
  const type = m[1]!;
  const rest = m[2]!;
  if (type === 'docker') return { name: rest, image: rest };
  if (type === 'generic' || type === 'build') return { name: rest };
  const prefix = PREFIX_SEGMENTS[type];
  let name: string;
  let version: string | undefined;
  if (prefix !== undefined) {
    const parts = rest.split(':');
    name = parts[prefix] ?? rest;
    version = parts.slice(prefix + 1).join(':') || undefined;
  } else {
    const at = rest.lastIndexOf(':');
    name = at > 0 ? rest.slice(0, at) : rest;
    version = at > 0 ? rest.slice(at + 1) || undefined : undefined;
  }
  const purlType = PURL_TYPE[type];
  let purl: string | undefined;
  if (purlType === 'maven' && name.includes(':')) {
    const [group, artifact] = name.split(':');
    purl = buildPurl('maven', artifact!, version, group);
  } else if (purlType && !['deb', 'rpm', 'apk'].includes(purlType)) {
    purl = buildPurl(purlType, name, version);
  }
  return { name, ...(version ? { version } : {}), ecosystem: purlType ?? type, ...(purl ? { purl } : {}) };
}

/** "[1.9.4]", "[2.9.10.7,)", "≥ 2:1.6.4-3+deb9u1", "2.11.3" → the fixed version; "(,1.2)" → none. */
export function fixedVersion(spec: string): string | undefined {
  const s = spec.trim();
  const bracket = /^\[([^,\]]+)(?:,[^\]]*)?[\])]$/.exec(s);
  if (bracket) return bracket[1]!.trim();
  if (/^[(\[]\s*,/.test(s)) return undefined;
  const ge = /^(?:≥|>=)\s*(.+)$/.exec(s);
  if (ge) return ge[1]!.trim();
  return /^[\w.:+~-]+$/.test(s) ? s : undefined;
}
