// Small, total helpers for reading untrusted tool output without direct indexing or casts.
import type { ParseWarning } from './scanner.js';

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An array as is; a single value as a one-element array; null/undefined as empty (XML repeats). */
export function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** A non-empty trimmed string, or undefined. Numbers are stringified (XML/JSON mixed types). */
export function str(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (isRecord(value) && typeof value['#text'] === 'string') return str(value['#text']);
  return undefined;
}

export function num(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function int(value: unknown): number | undefined {
  const n = num(value);
  return n === undefined ? undefined : Math.trunc(n);
}

/** A positive integer line/column number, or undefined. */
export function lineNumber(value: unknown): number | undefined {
  const n = int(value);
  return n !== undefined && n >= 0 ? n : undefined;
}

/** JSON pointer (RFC 6901) from path segments. */
export function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** Collects warnings for skipped or guessed items, naming where they are. */
export class WarningList {
  readonly items: ParseWarning[] = [];
  add(pointerPath: string, message: string): void {
    this.items.push({ pointer: pointerPath, message });
  }
}

/** CWE ids as positive integers from "CWE-79", 79, "79", "CWE-79: Improper…" or arrays of them. */
export function parseCwes(value: unknown): number[] {
  const out: number[] = [];
  for (const item of asArray(value)) {
    const text = typeof item === 'number' ? String(item) : str(item);
    if (!text) continue;
    for (const m of text.matchAll(/(?:CWE-?)?(\d+)/gi)) {
      const n = Number(m[1]);
      if (Number.isInteger(n) && n > 0 && !out.includes(n)) out.push(n);
      if (!/CWE/i.test(text)) break; // a bare number: take the first only
    }
  }
  return out;
}

const CVE = /^CVE-\d{4}-\d{4,}$/i;
const GHSA = /^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/i;

/** Normalises the spelling of well-known vulnerability ids (CVE upper-case, GHSA prefix upper-case). */
export function normaliseVulnId(id: string): string {
  const t = id.trim();
  if (CVE.test(t)) return t.toUpperCase();
  if (GHSA.test(t)) return 'GHSA' + t.slice(4).toLowerCase();
  return t;
}

export function isCve(id: string): boolean {
  return CVE.test(id);
}

/** Dedupes ids and puts CVEs first, then GHSAs, then the rest, each group in the order given. */
export function orderVulnIds(ids: Iterable<string | undefined>): string[] {
  const seen = new Set<string>();
  const list: string[] = [];
  for (const raw of ids) {
    if (!raw) continue;
    const id = normaliseVulnId(raw);
    if (id === '' || seen.has(id)) continue;
    seen.add(id);
    list.push(id);
  }
  const rank = (id: string) => (CVE.test(id) ? 0 : GHSA.test(id) ? 1 : 2);
  return list.map((id, i) => ({ id, i })).sort((a, b) => rank(a.id) - rank(b.id) || a.i - b.i).map((x) => x.id);
}

/** Vulnerability-id-looking tokens (CVE, GHSA) inside free text. */
export function vulnIdsInText(text: string | undefined): string[] {
  if (!text) return [];
  const found = text.match(/\b(CVE-\d{4}-\d{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3})\b/gi) ?? [];
  return orderVulnIds(found);
}

/** A package URL (purl spec) from parts; namespace segments and name percent-encoded. */
export function buildPurl(type: string, name: string, version?: string, namespace?: string, qualifiers?: Record<string, string>): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%3A/gi, ':');
  const ns = namespace ? namespace.split('/').map(enc).join('/') + '/' : '';
  let purl = `pkg:${type.toLowerCase()}/${ns}${enc(name)}`;
  if (version) purl += '@' + enc(version);
  const q = qualifiers ? Object.entries(qualifiers).filter(([, v]) => v) : [];
  if (q.length) purl += '?' + q.sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${enc(v)}`).join('&');
  return purl;
}

/** Unique non-empty strings in order. */
export function uniqueStrings(values: Iterable<unknown>): string[] {
  const out: string[] = [];
  for (const v of values) {
    const s = str(v);
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/** Splits "1.2.3, 1.3.0" / "1.2.3 || 2.0" style fixed-version lists into a clean list. */
export function splitVersions(value: unknown): string[] {
  const out: string[] = [];
  for (const item of asArray(value)) {
    const s = str(item);
    if (!s) continue;
    for (const part of s.split(/\s*(?:,|\|\||;)\s*/)) {
      const v = part.trim();
      if (v && !out.includes(v)) out.push(v);
    }
  }
  return out;
}

/** "HIGH" / "Medium" / "low" → the model's confidence, anything else → undefined. */
export function confidenceFromLabel(label: string | undefined): 'high' | 'medium' | 'low' | undefined {
  const l = label?.trim().toLowerCase();
  return l === 'high' || l === 'medium' || l === 'low' ? l : undefined;
}
