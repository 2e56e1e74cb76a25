// Text helpers the channels share: truncation that never splits a character (surrogate pairs stay
// whole, so JSON stays valid UTF-8) and one-line subjects.

/** At most `max` code points; when cut, the last one is `ellipsis`. */
export function truncate(value: string, max: number, ellipsis = '…'): string {
  const points = Array.from(value);
  if (points.length <= max) return value;
  const keep = Math.max(0, max - Array.from(ellipsis).length);
  return points.slice(0, keep).join('').trimEnd() + ellipsis;
}

/** Newlines, tabs and other control characters become single spaces. */
export function oneLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/ {2,}/g, ' ').trim();
}

/** Only http(s) links are shown as buttons; anything else (javascript:, data:) is dropped. */
export function safeLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  try {
    const url = new URL(link);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}
