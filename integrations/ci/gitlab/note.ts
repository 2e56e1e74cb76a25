// The merge request note ScanHub keeps on a GitLab MR: one per ScanHub project + topic, found again
// by a hidden HTML-comment marker on its first line and edited in place on every pipeline. Pure.
// Everything that comes from scanner output (titles, paths, rule reasons) is escaped so it cannot
// break the Markdown, inject links or HTML, or forge another note's marker.

export type VerdictOutcome = 'pass' | 'warn' | 'fail' | 'error';

export interface NoteRule {
  id: string;
  action: 'warn' | 'fail';
  reason?: string | undefined;
  triggered: boolean;
  matched?: number | undefined;
}

export interface NoteFinding {
  severity: string;
  title: string;
  ruleId?: string | undefined;
  /** e.g. "app/db.py:42", "pyyaml@5.3", "registry/app:1.4". */
  location?: string | undefined;
  vulnerabilityIds?: readonly string[] | undefined;
  /** True when this finding is new on this MR / ref. */
  isNew?: boolean | undefined;
}

export interface MrNoteData {
  /** The ScanHub project (part of the marker). */
  project: string;
  /** The pipeline topic (part of the marker), e.g. "security" or "image". */
  topic: string;
  verdict: { outcome: VerdictOutcome; summary: string; rules?: readonly NoteRule[] | undefined };
  counts?: { new: number; fixed: number; existing?: number | undefined; total?: number | undefined } | undefined;
  topFindings?: readonly NoteFinding[] | undefined;
  reportUrl?: string | undefined;
  commitSha?: string | undefined;
  pipelineUrl?: string | undefined;
  pipelineId?: string | number | undefined;
  /** Shown as "updated at"; omitted when absent (keeps the function pure for tests). */
  updatedAt?: Date | undefined;
}

/** GitLab's documented limit is 1,000,000 characters; stay well below. */
export const MAX_NOTE_LENGTH = 60_000;
export const MAX_TOP_FINDINGS = 10;

/** Marker parts: anything but letters, digits and . _ / - is replaced, so `-->` can never appear. */
function markerPart(value: string): string {
  return value.replace(/[^A-Za-z0-9._/-]/g, '_').replace(/-{2,}/g, '-').slice(0, 200);
}

/** The hidden marker the note starts with: `<!-- scanhub:<project>:<topic> -->`. */
export function noteMarker(project: string, topic: string): string {
  return `<!-- scanhub:${markerPart(project)}:${markerPart(topic)} -->`;
}

/** Text from scanner output made inert inside a Markdown table cell or list item. */
export function escapeMarkdown(text: string, max = 200): string {
  const one = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  const points = Array.from(one);
  const cut = points.length > max ? `${points.slice(0, max).join('')}…` : one;
  return cut
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_{}[\]()#+!|~$])/g, '\\$1')
    .replace(/(^|\s)@/g, '$1@\u200b') // no accidental mentions
    .replace(/:\/\//g, ':\u200b//'); // no auto-linked URLs from findings
}

/** Only http(s) URLs become links; anything else is dropped. */
function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
    return u.toString().replace(/[()<>\s]/g, (c) => encodeURIComponent(c));
  } catch {
    return undefined;
  }
}

const HEADLINE: Record<VerdictOutcome, string> = {
  pass: ':white_check_mark: **ScanHub: PASS**',
  warn: ':warning: **ScanHub: WARN**',
  fail: ':x: **ScanHub: FAIL**',
  error: ':exclamation: **ScanHub: ERROR** (the scan could not be assessed)',
};

/** The whole note body, marker first. */
export function renderMrNote(data: MrNoteData): string {
  const lines: string[] = [noteMarker(data.project, data.topic)];
  lines.push(`### ${HEADLINE[data.verdict.outcome]} · ${escapeMarkdown(data.project, 120)}${data.topic ? ` · ${escapeMarkdown(data.topic, 60)}` : ''}`);
  lines.push('');
  if (data.verdict.summary) lines.push(escapeMarkdown(data.verdict.summary, 500), '');

  const triggered = (data.verdict.rules ?? []).filter((r) => r.triggered);
  if (triggered.length > 0) {
    const failed = triggered.filter((r) => r.action === 'fail');
    const warned = triggered.filter((r) => r.action === 'warn');
    for (const [title, rules] of [['Failed rules', failed], ['Warnings', warned]] as const) {
      if (rules.length === 0) continue;
      lines.push(`**${title}**`, '');
      for (const r of rules.slice(0, 20)) {
        const n = r.matched !== undefined ? ` (${r.matched} finding${r.matched === 1 ? '' : 's'})` : '';
        lines.push(`- \`${r.id.replace(/`/g, "'").slice(0, 100)}\`${n}${r.reason ? `: ${escapeMarkdown(r.reason, 300)}` : ''}`);
      }
      if (rules.length > 20) lines.push(`- … and ${rules.length - 20} more`);
      lines.push('');
    }
  }

  if (data.counts) {
    const c = data.counts;
    const parts = [`**${c.new}** new`, `**${c.fixed}** fixed`];
    if (c.existing !== undefined) parts.push(`${c.existing} existing`);
    if (c.total !== undefined) parts.push(`${c.total} total`);
    lines.push(`Findings: ${parts.join(' · ')}`, '');
  }

  const top = (data.topFindings ?? []).slice(0, MAX_TOP_FINDINGS);
  if (top.length > 0) {
    lines.push('<details><summary>Top findings</summary>', '');
    lines.push('| Severity | Finding | Where |', '| --- | --- | --- |');
    for (const f of top) {
      const ids = f.vulnerabilityIds?.length ? ` (${f.vulnerabilityIds.slice(0, 3).map((i) => escapeMarkdown(i, 40)).join(', ')})` : '';
      const rule = f.ruleId ? ` \`${f.ruleId.replace(/`/g, "'").slice(0, 80)}\`` : '';
      lines.push(`| ${escapeMarkdown(f.severity, 20)}${f.isNew ? ' · new' : ''} | ${escapeMarkdown(f.title, 160)}${ids}${rule} | ${f.location ? escapeMarkdown(f.location, 120) : ''} |`);
    }
    lines.push('', '</details>', '');
  }

  const footer: string[] = [];
  const report = safeUrl(data.reportUrl);
  if (report) footer.push(`[Full report](${report})`);
  if (data.commitSha && /^[0-9a-f]{7,64}$/i.test(data.commitSha)) footer.push(`commit \`${data.commitSha.slice(0, 12)}\``);
  const pipeline = safeUrl(data.pipelineUrl);
  const pid = data.pipelineId !== undefined && /^\d+$/.test(String(data.pipelineId)) ? `#${data.pipelineId}` : undefined;
  if (pipeline) footer.push(`[pipeline${pid ? ` ${pid}` : ''}](${pipeline})`);
  else if (pid) footer.push(`pipeline ${pid}`);
  if (data.updatedAt) footer.push(`updated ${data.updatedAt.toISOString().replace(/\.\d{3}Z$/, 'Z')}`);
  if (footer.length > 0) lines.push(`<sub>${footer.join(' · ')} · edited in place by ScanHub on every pipeline</sub>`);

  let body = lines.join('\n').trimEnd() + '\n';
  if (body.length > MAX_NOTE_LENGTH) body = body.slice(0, MAX_NOTE_LENGTH - 40) + '\n\n… (truncated)\n';
  return body;
}

/** True when a note body is ScanHub's note for this project and topic. */
export function isScanhubNote(body: string, project: string, topic: string): boolean {
  return body.trimStart().startsWith(noteMarker(project, topic));
}
