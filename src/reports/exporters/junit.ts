// JUnit XML export of a policy verdict (one testcase per rule), for GitLab and Jenkins test reports.
import { SEVERITIES, type Severity } from '../../domain/finding.js';
import { describeFinding, type RuleResult, type VerdictFinding } from '../../domain/policy/evaluate.js';
import type { StoredFinding } from '../../store/repositories/findings.js';
import type { ExportContext, ExportResult } from './context.js';
import { severityRank } from '../../domain/severity.js';
import { isoTimestamp, sortFindings, stripInvalidXmlChars } from './shared.js';

export interface JunitOptions {
  /**
   * Only used without a verdict (one testcase per severity): groups at this severity or worse fail when they hold
   * findings; milder groups pass and list their findings in `<system-out>`. Default 'high'.
   */
  failOnSeverity?: Severity;
}

/** Escapes text for XML element content or a double-quoted attribute, dropping characters XML 1.0 forbids. */
export function escapeXml(text: string): string {
  return stripInvalidXmlChars(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Attribute value: escaped, and TAB/LF/CR as character references so attribute normalisation keeps them. */
function attr(text: string): string {
  return escapeXml(text).replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

/** `YYYY-MM-DDTHH:MM:SS` (UTC), the JUnit XSD timestamp form (no zone, no fraction). */
function junitTimestamp(date: Date): string {
  return isoTimestamp(date).slice(0, 19);
}

type Finding = VerdictFinding;

/** One line per finding: severity, ids, package/location, title. */
export function describeVerdictFinding(f: Finding): string {
  const ids = [...new Set([...f.vulnerabilityIds, f.ruleId])].join(', ');
  const where: string[] = [];
  if (f.package) where.push(f.package.version ? `${f.package.name}@${f.package.version}` : f.package.name);
  if (f.location?.image) where.push(f.location.image);
  if (f.location?.path) where.push(f.location.startLine ? `${f.location.path}:${f.location.startLine}` : f.location.path);
  return `[${f.severity.toUpperCase()}] ${ids}${where.length > 0 ? ` ${where.join(' ')}` : ''}: ${f.title}`;
}

function findingLines(findings: readonly Finding[], matched: number): string {
  const lines = findings.map(describeVerdictFinding);
  if (matched > findings.length) lines.push(`… and ${matched - findings.length} more`);
  return lines.join('\n');
}

const toVerdictFinding = (f: StoredFinding): Finding => describeFinding(f);

interface Testcase {
  name: string;
  failure?: { message: string; type: string; text: string };
  error?: { message: string; type: string; text: string };
  systemOut?: string;
}

function ruleTestcase(rule: RuleResult): Testcase {
  const detail = `${rule.reason}\nmatched ${rule.matched}, allowed ${rule.allowed}`;
  if (!rule.triggered) return { name: rule.id };
  const listed = findingLines(rule.findings, rule.matched);
  if (rule.action === 'fail') {
    return { name: rule.id, failure: { message: rule.reason, type: 'policy.fail', text: `${detail}\n${listed}` } };
  }
  return { name: rule.id, systemOut: `WARNING (does not fail the gate): ${detail}\n${listed}` };
}

function severityTestcases(findings: readonly StoredFinding[], failOn: Severity): Testcase[] {
  const sorted = sortFindings(findings);
  return SEVERITIES.map((severity) => {
    const group = sorted.filter((f) => f.severity === severity).map(toVerdictFinding);
    const name = `${severity} findings`;
    if (group.length === 0) return { name };
    const text = findingLines(group, group.length);
    const summary = `${group.length} ${severity} finding${group.length === 1 ? '' : 's'}`;
    if (severityRank(severity) >= severityRank(failOn)) return { name, failure: { message: summary, type: severity, text } };
    return { name, systemOut: `${summary} (below the ${failOn} threshold)\n${text}` };
  });
}

/**
 * JUnit XML: `<testsuites>` holding one `<testsuite name="scanhub policy: <project>">`.
 * With a verdict: one testcase per policy rule (a triggered fail rule fails, a triggered warn rule passes with a
 * `<system-out>` note), plus an errored "verdict" testcase when the verdict's outcome is `error`.
 * Without one: one testcase per severity (see `JunitOptions.failOnSeverity`).
 */
export function exportJunit(findings: readonly StoredFinding[], context: ExportContext, options: JunitOptions = {}): ExportResult {
  const verdict = context.verdict;
  const cases: Testcase[] = verdict
    ? verdict.rules.map(ruleTestcase)
    : severityTestcases(findings, options.failOnSeverity ?? 'high');
  if (verdict?.outcome === 'error') {
    cases.push({
      name: 'verdict',
      error: { message: verdict.summary, type: 'policy.error', text: verdict.reasons.join('\n') },
    });
  }
  const failures = cases.filter((c) => c.failure).length;
  const errors = cases.filter((c) => c.error).length;
  const timestamp = junitTimestamp(context.generatedAt);
  const suiteName = `scanhub policy: ${context.project}`;
  const counts = `tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0" time="0"`;

  const properties: [string, string | undefined][] = [
    ['project', context.project],
    ['ref', context.ref],
    ['commit', context.commit],
    ['submissionId', context.submissionId],
    ['outcome', verdict?.outcome],
    ['summary', verdict?.summary],
    ['reportUrl', context.reportUrl],
    ['scanhubVersion', context.scanhubVersion],
  ];

  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(`<testsuites name="ScanHub" ${counts}>`);
  out.push(`  <testsuite name="${attr(suiteName)}" ${counts} timestamp="${timestamp}">`);
  out.push('    <properties>');
  for (const [name, value] of properties) {
    if (value !== undefined) out.push(`      <property name="${attr(name)}" value="${attr(value)}"/>`);
  }
  out.push('    </properties>');
  for (const c of cases) {
    const open = `    <testcase classname="${attr(context.project)}" name="${attr(c.name)}" time="0"`;
    if (!c.failure && !c.error && c.systemOut === undefined) {
      out.push(`${open}/>`);
      continue;
    }
    out.push(`${open}>`);
    if (c.failure) out.push(`      <failure message="${attr(c.failure.message)}" type="${attr(c.failure.type)}">${escapeXml(c.failure.text)}</failure>`);
    if (c.error) out.push(`      <error message="${attr(c.error.message)}" type="${attr(c.error.type)}">${escapeXml(c.error.text)}</error>`);
    if (c.systemOut !== undefined) out.push(`      <system-out>${escapeXml(c.systemOut)}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return { body: `${out.join('\n')}\n`, contentType: 'application/xml; charset=utf-8', fileExtension: 'xml' };
}
