// Policy evaluation: unique merged findings (after exceptions) + context → an explained verdict.
// Pure: the caller supplies the clock, enrichment and which tools ran.
import picomatch from 'picomatch';
import type { Finding, Severity } from '../finding.js';
import { parseSeverityComparison, severityRank } from '../severity.js';
import type { Policy, PolicyCondition, PolicyRule } from './schema.js';

export type Outcome = 'pass' | 'warn' | 'fail' | 'error';

export interface AppliedException {
  id: string;
  kind: 'false_positive' | 'accepted_risk' | 'not_affected';
  reason: string;
  owner: string;
  expiresAt?: string | undefined;
}

export interface AssessedFinding {
  finding: Finding;
  sources: string[];
  isNew: boolean;
  firstSeenAt?: Date | undefined;
  kev?: boolean | undefined;
  epss?: number | undefined;
  /** An exception that applies: the finding is left out of every rule. */
  exception?: AppliedException | undefined;
  /** Exceptions that matched but expired: the verdict names them. */
  expiredExceptions?: AppliedException[] | undefined;
}

export interface AssessmentContext {
  now: Date;
  toolsRun: readonly string[];
  /** Problems that make the submission unassessable (a report that failed to parse, an incomplete upload). */
  problems?: readonly string[];
  /** Freshness of the vulnerability data behind the verdict. */
  dataUpdatedAt?: Date | undefined;
}

export interface VerdictFinding {
  fingerprint: string;
  ruleId: string;
  vulnerabilityIds: string[];
  title: string;
  severity: string;
  package?: { name: string; version?: string | undefined } | undefined;
  location?: { path?: string | undefined; startLine?: number | undefined; image?: string | undefined } | undefined;
}

export interface RuleResult {
  id: string;
  action: 'warn' | 'fail';
  reason: string;
  matched: number;
  allowed: number;
  triggered: boolean;
  /** The matches, most severe first (then by fingerprint), at most MAX_LISTED of them. */
  findings: VerdictFinding[];
}

export interface Verdict {
  outcome: Outcome;
  summary: string;
  reasons: string[];
  rules: RuleResult[];
  exceptions: { fingerprint: string; exception: AppliedException }[];
  expiredExceptions: { fingerprint: string; exception: AppliedException }[];
  counts: { findings: number; excepted: number; assessed: number };
  evaluatedAt: string;
}

const MAX_LISTED = 200;

/** Most severe first, then by fingerprint: the same list however the findings arrive (in memory, or window by window). */
type Listable = { severity: string; fingerprint: string };
function listedBefore(a: Listable, b: Listable): boolean {
  const bySeverity = severityRank(a.severity as Severity) - severityRank(b.severity as Severity);
  return bySeverity !== 0 ? bySeverity > 0 : a.fingerprint < b.fingerprint;
}

/** Keeps `listed` as the MAX_LISTED matches that come first in that order. */
function listWorstFirst(listed: VerdictFinding[], f: Finding): void {
  const last = listed[listed.length - 1];
  if (listed.length >= MAX_LISTED && last && !listedBefore(f, last)) return;
  let lo = 0;
  let hi = listed.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (listedBefore(listed[mid]!, f)) lo = mid + 1;
    else hi = mid;
  }
  listed.splice(lo, 0, describeFinding(f));
  if (listed.length > MAX_LISTED) listed.pop();
}

function globs(patterns: readonly string[]): (value: string | undefined) => boolean {
  const matchers = patterns.map((p) => picomatch(p, { nocase: true, dot: true }));
  return (value) => value !== undefined && matchers.some((m) => m(value));
}

function compile(when: PolicyCondition, now: Date): (f: AssessedFinding) => boolean {
  const checks: ((f: AssessedFinding) => boolean)[] = [];
  if (when.severity) {
    const pred = parseSeverityComparison(when.severity)!;
    checks.push((f) => pred(f.finding.severity));
  }
  if (when.category) {
    const set = new Set<string>(when.category);
    checks.push((f) => set.has(f.finding.category));
  }
  if (when.tool) {
    const m = globs(when.tool);
    checks.push((f) => f.sources.some((s) => m(s)));
  }
  if (when.ruleId) {
    const m = globs(when.ruleId);
    checks.push((f) => m(f.finding.ruleId));
  }
  if (when.vulnerabilityId) {
    const m = globs(when.vulnerabilityId);
    checks.push((f) => f.finding.vulnerabilityIds.some((id) => m(id)) || m(f.finding.ruleId));
  }
  if (when.package) {
    const { name, purl, ecosystem }: { name?: string[]; purl?: string[]; ecosystem?: string[] } = when.package;
    if (name) {
      const m = globs(name);
      checks.push((f) => m(f.finding.package?.name));
    }
    if (purl) {
      const m = globs(purl);
      checks.push((f) => m(f.finding.package?.purl));
    }
    if (ecosystem) {
      const m = globs(ecosystem);
      checks.push((f) => m(f.finding.package?.ecosystem) || m(/^pkg:([^/]+)/.exec(f.finding.package?.purl ?? '')?.[1]));
    }
  }
  if (when.path) {
    const m = globs(when.path);
    checks.push((f) => m(f.finding.location?.path));
  }
  if (when.cwe) {
    const set = new Set(when.cwe);
    checks.push((f) => f.finding.cwes.some((c) => set.has(c)));
  }
  if (when.cvss) {
    const { min, max } = when.cvss;
    checks.push((f) => {
      const scores = (f.finding.cvss ?? []).map((c) => c.score).filter((s): s is number => s !== undefined);
      if (scores.length === 0) return false;
      const top = Math.max(...scores);
      return top >= min && top <= max;
    });
  }
  if (when.fixAvailable !== undefined) checks.push((f) => f.finding.fixedVersions.length > 0 === when.fixAvailable);
  if (when.new !== undefined) checks.push((f) => f.isNew === when.new);
  if (when.kev !== undefined) checks.push((f) => (f.kev ?? false) === when.kev);
  if (when.epss !== undefined) checks.push((f) => f.epss !== undefined && f.epss >= when.epss!);
  if (when.age !== undefined) checks.push((f) => f.firstSeenAt !== undefined && now.getTime() - f.firstSeenAt.getTime() >= when.age!);
  return (f) => checks.every((c) => c(f));
}

/** The short form of a finding that verdicts (and JUnit) list. */
export function describeFinding(f: Finding): VerdictFinding {
  return {
    fingerprint: f.fingerprint,
    ruleId: f.ruleId,
    vulnerabilityIds: f.vulnerabilityIds,
    title: f.title,
    severity: f.severity,
    ...(f.package ? { package: { name: f.package.name, version: f.package.version } } : {}),
    ...(f.location ? { location: { path: f.location.path, startLine: f.location.startLine, image: f.location.image } } : {}),
  };
}

function defaultReason(rule: PolicyRule): string {
  return rule.description ?? `Policy rule "${rule.id}" matched.`;
}

export function evaluatePolicy(policy: Policy, findings: readonly AssessedFinding[], ctx: AssessmentContext): Verdict {
  const evaluation = new PolicyEvaluation(policy, ctx);
  evaluation.add(findings);
  return evaluation.finish();
}

/**
 * A verdict built a batch of findings at a time (a report too large to hold whole is assessed as it
 * is ingested): per rule, a count and the first MAX_LISTED matches; the same verdict as one call
 * with every finding in the same order.
 */
export class PolicyEvaluation {
  readonly #rules: { rule: PolicyRule; test: (f: AssessedFinding) => boolean; matched: number; listed: VerdictFinding[] }[];
  readonly #excepted: { fingerprint: string; exception: AppliedException }[] = [];
  readonly #expired: { fingerprint: string; exception: AppliedException }[] = [];
  readonly policy: Policy;
  readonly ctx: AssessmentContext;
  #findings = 0;

  constructor(policy: Policy, ctx: AssessmentContext) {
    this.policy = policy;
    this.ctx = ctx;
    this.#rules = policy.rules.map((rule) => ({ rule, test: compile(rule.when, ctx.now), matched: 0, listed: [] }));
  }

  add(findings: Iterable<AssessedFinding>): void {
    for (const f of findings) {
      this.#findings += 1;
      for (const exception of f.expiredExceptions ?? []) this.#expired.push({ fingerprint: f.finding.fingerprint, exception });
      if (f.exception) {
        this.#excepted.push({ fingerprint: f.finding.fingerprint, exception: f.exception });
        continue;
      }
      for (const r of this.#rules) {
        if (!r.test(f)) continue;
        r.matched += 1;
        listWorstFirst(r.listed, f.finding);
      }
    }
  }

  finish(dataUpdatedAt: Date | undefined = this.ctx.dataUpdatedAt): Verdict {
    const policy = this.policy;
    const ctx = { ...this.ctx, dataUpdatedAt };
    const reasons: string[] = [];
    let outcome = 'pass' as Outcome;
    const raise = (to: Outcome) => {
      const order: Outcome[] = ['pass', 'warn', 'fail', 'error'];
      if (order.indexOf(to) > order.indexOf(outcome)) outcome = to;
    };

    for (const problem of ctx.problems ?? []) {
      reasons.push(problem);
      raise('error');
    }
    const missing = policy.require.tools.filter((t) => !ctx.toolsRun.includes(t));
    if (missing.length) {
      reasons.push(`Required tool${missing.length > 1 ? 's' : ''} did not report: ${missing.join(', ')}.`);
      raise('error');
    }
    if (policy.require.maxDataAge !== undefined) {
      const age = ctx.dataUpdatedAt ? ctx.now.getTime() - ctx.dataUpdatedAt.getTime() : Infinity;
      if (age > policy.require.maxDataAge) {
        const hours = Math.round(policy.require.maxDataAge / 3_600_000);
        reasons.push(
          ctx.dataUpdatedAt
            ? `Vulnerability data is stale: last updated ${ctx.dataUpdatedAt.toISOString()}, older than ${hours}h.`
            : `The age of the vulnerability data is unknown; the policy requires it to be under ${hours}h.`,
        );
        raise(policy.require.staleDataAction);
      }
    }

    const rules: RuleResult[] = this.#rules.map(({ rule, matched, listed }) => {
      const allowed = rule.allow ?? 0;
      const triggered = matched > allowed;
      const reason = rule.reason ?? defaultReason(rule);
      if (triggered) {
        raise(rule.action);
        reasons.push(`${rule.action === 'fail' ? 'FAIL' : 'WARN'} ${rule.id}: ${matched} finding${matched === 1 ? '' : 's'}${allowed ? ` (allowed ${allowed})` : ''}. ${reason}`);
      }
      return { id: rule.id, action: rule.action, reason, matched, allowed, triggered, findings: listed };
    });

    const expired = this.#expired;
    for (const e of expired) reasons.push(`Exception ${e.exception.id} (${e.exception.kind}, owner ${e.exception.owner}) expired ${e.exception.expiresAt ?? ''} and no longer applies.`.replace(' ()', ''));

    const active = this.#findings - this.#excepted.length;
    const failed = rules.filter((r) => r.triggered && r.action === 'fail').length;
    const warned = rules.filter((r) => r.triggered && r.action === 'warn').length;
    const summary =
      outcome === 'error'
        ? 'Could not assess: ' + reasons.filter((r) => !/^(FAIL|WARN) /.test(r)).join(' ')
        : outcome === 'pass'
          ? `Passed ${rules.length} rule${rules.length === 1 ? '' : 's'} on ${active} finding${active === 1 ? '' : 's'}.`
          : `${failed} rule${failed === 1 ? '' : 's'} failed, ${warned} warned, on ${active} finding${active === 1 ? '' : 's'}.`;
    return {
      outcome,
      summary,
      reasons,
      rules,
      exceptions: [...this.#excepted],
      expiredExceptions: [...expired],
      counts: { findings: this.#findings, excepted: this.#excepted.length, assessed: active },
      evaluatedAt: ctx.now.toISOString(),
    };
  }
}
