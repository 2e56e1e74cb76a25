// What a SonarQube rule tells about a finding: its name, CWEs and OWASP categories (security
// standards, system tags, and the "MITRE, CWE-n" links of its description, as DefectDojo reads them),
// a plain-text description and its reference links. Rule bodies come from `api/rules/show` (bridge
// documents), `rules[]` of an issues page, or `rules{}` of a sonar-report JSON.
import { asArray, isRecord, str, uniqueStrings, type JsonRecord } from '../../../src/plugins/parse-helpers.js';

export interface RuleFacts {
  key: string;
  name?: string | undefined;
  cwes: number[];
  owasp: string[];
  description?: string | undefined;
  references: string[];
}

const MAX_DESCRIPTION = 4000;

/** Every distinct CWE-n in free text, in order (the "See" links of a rule description). */
export function cwesInText(text: string | undefined): number[] {
  const out: number[] = [];
  for (const m of (text ?? '').matchAll(/\bCWE-(\d{1,5})\b/gi)) {
    const n = Number(m[1]);
    if (n > 0 && !out.includes(n)) out.push(n);
  }
  return out;
}

/** `cwe:89` (securityStandards) or `cwe-89` (tags) → 89; a bare `cwe` tag names no number. */
function cweOfTag(tag: string): number | undefined {
  const m = /^cwe[:-](\d{1,5})$/i.exec(tag.trim());
  const n = m ? Number(m[1]) : 0;
  return n > 0 ? n : undefined;
}

/** CWEs named by tags or security standards, in order. */
export function cwesOfTags(tags: unknown): number[] {
  const out: number[] = [];
  for (const tag of uniqueStrings(asArray(tags))) {
    const n = cweOfTag(tag);
    if (n !== undefined && !out.includes(n)) out.push(n);
  }
  return out;
}

/** OWASP labels: `owaspTop10:a1`, `owaspTop10-2021:a3` (securityStandards) and `owasp-a9` (tags). */
export function owaspOfTags(tags: unknown): string[] {
  return uniqueStrings(asArray(tags)).filter((t) => /^owasp(Top10(-\d{4})?:a\d+|-a\d+)$/i.test(t));
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** HTML of a rule description as readable text: tags dropped, entities decoded, blank runs collapsed. */
export function htmlToText(html: string): string {
  return html
    .replace(/<\/(p|li|h\d|pre|ul|ol|div)>/gi, '\n')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (whole, name: string) => {
      if (name.startsWith('#')) {
        const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1));
        return Number.isInteger(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : whole;
      }
      return ENTITIES[name.toLowerCase()] ?? whole;
    })
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function links(html: string): string[] {
  return uniqueStrings([...html.matchAll(/<a\b[^>]*\bhref\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]).filter((href) => /^https?:\/\//i.test(href ?? '')));
}

/** All description HTML a rule body carries: htmlDesc, mdDesc, descriptionSections, hotspot rule texts. */
function descriptionHtml(rule: JsonRecord): string {
  const sections = asArray(rule.descriptionSections).flatMap((s) => (isRecord(s) ? [str(s.content)] : []));
  return [rule.htmlDesc ?? rule.mdDesc, ...sections, rule.riskDescription, rule.vulnerabilityDescription, rule.fixRecommendations]
    .map((v) => (typeof v === 'string' ? v : ''))
    .filter((v) => v !== '')
    .join('\n');
}

/** Facts of one rule body; undefined when it has no key. */
export function ruleFacts(rule: unknown, keyHint?: string): RuleFacts | undefined {
  if (!isRecord(rule)) return undefined;
  const key = str(rule.key) ?? keyHint;
  if (!key) return undefined;
  const html = descriptionHtml(rule);
  // The "See" section lists references, not the problem: keep the text above it.
  const body = html.split(/<h2>\s*(See|References)\s*<\/h2>/i)[0] ?? '';
  const text = htmlToText(body);
  const tags = [...asArray(rule.securityStandards), ...asArray(rule.sysTags), ...asArray(rule.tags)];
  return {
    key,
    name: str(rule.name),
    cwes: [...new Set([...cwesOfTags(tags), ...cwesInText(html)])],
    owasp: owaspOfTags(tags),
    description: text === '' ? undefined : text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION)}…` : text,
    references: links(html),
  };
}

/** Rules by key from a list of rule bodies (bridge document, issues page `rules[]`). */
export function rulesByKey(rules: unknown): Map<string, RuleFacts> {
  const map = new Map<string, RuleFacts>();
  for (const rule of asArray(rules)) {
    const facts = ruleFacts(rule);
    if (facts) map.set(facts.key, facts);
  }
  return map;
}
