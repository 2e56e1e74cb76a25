// `scanhub gate`: the same policy evaluation as the server, on report files, with no database.
import type { Finding } from '../domain/finding.js';
import { vulnerabilityKey } from '../domain/identity.js';
import { evaluatePolicy, type AssessedFinding, type Verdict } from '../domain/policy/evaluate.js';
import type { Policy } from '../domain/policy/schema.js';
import { planMerge } from '../ingest/merge-plan.js';
import type { ParsedReport } from '../ingest/parse-report.js';

export function gateReports(policy: Policy, reports: readonly ParsedReport[], baseline: readonly ParsedReport[] | undefined, now: Date): Verdict {
  const incoming = reports.flatMap((r, reportIndex) => r.findings.map((finding) => ({ finding, reportIndex })));
  const plan = planMerge(incoming, [], []);
  const base = baseline?.flatMap((r) => r.findings) ?? [];
  const baseFingerprints = new Set(base.map((f) => f.fingerprint));
  const baseAliases = new Set(base.flatMap((f) => { const k = vulnerabilityKey(f); return k ? f.vulnerabilityIds.map((id) => `${k}|${id}`) : []; }));
  const inBaseline = (f: Finding) => {
    if (baseFingerprints.has(f.fingerprint)) return true;
    const k = vulnerabilityKey(f);
    return !!k && f.vulnerabilityIds.some((id) => baseAliases.has(`${k}|${id}`));
  };
  const assessed: AssessedFinding[] = plan.findings.map((p) => ({
    finding: p.data,
    sources: p.tools,
    isNew: baseline ? ![...p.occurrences.values()].some((o) => inBaseline(o.finding)) : true,
  }));
  const dates = reports.map((r) => (r.dbUpdatedAt ? Date.parse(r.dbUpdatedAt) : NaN)).filter((d) => !Number.isNaN(d));
  return evaluatePolicy(policy, assessed, {
    now,
    toolsRun: [...new Set(reports.map((r) => r.tool))],
    dataUpdatedAt: dates.length ? new Date(Math.min(...dates)) : undefined,
  });
}

/** A short human table: each failed or warned rule with the findings that tripped it. */
export function formatVerdict(v: Verdict, maxPerRule = 10): string {
  const lines = [`${v.outcome.toUpperCase()}: ${v.summary}`];
  for (const reason of v.reasons.filter((r) => !/^(FAIL|WARN) /.test(r))) lines.push(`  ! ${reason}`);
  for (const rule of v.rules.filter((r) => r.triggered)) {
    lines.push('', `${rule.action.toUpperCase()}  ${rule.id}  (${rule.matched} matched${rule.allowed ? `, ${rule.allowed} allowed` : ''})  ${rule.reason}`);
    for (const f of rule.findings.slice(0, maxPerRule)) {
      const where = f.package ? `${f.package.name}@${f.package.version ?? '?'}` : f.location?.path ? `${f.location.path}${f.location.startLine ? `:${f.location.startLine}` : ''}` : '';
      lines.push(`    ${f.severity.padEnd(8)} ${f.ruleId.padEnd(24)} ${where}  ${f.title}`.trimEnd());
    }
    if (rule.findings.length > maxPerRule) lines.push(`    … and ${rule.matched - maxPerRule} more`);
  }
  if (v.exceptions.length) lines.push('', `${v.exceptions.length} finding(s) covered by exceptions.`);
  return lines.join('\n') + '\n';
}
