import { describe, expect, it } from 'vitest';
import { findingSchema, parsedFindingSchema, type Finding } from '../finding.js';
import { fingerprint } from '../identity.js';
import { evaluatePolicy, PolicyEvaluation, type AssessedFinding } from './evaluate.js';
import { parsePolicy, PolicyError } from './parse.js';

const DESIGN_POLICY = `version: 1
require:
  tools: [trivy, semgrep]
  maxDataAge: 72h
rules:
  - id: fixable-critical
    when: { severity: ">=critical", fixAvailable: true }
    action: fail
    reason: Critical vulnerabilities with a fix must be fixed before release.
  - id: known-exploited
    when: { kev: true }
    action: fail
  - id: new-high
    when: { severity: ">=high", new: true }
    action: warn
  - id: secrets
    when: { category: secret }
    action: fail
  - id: high-budget
    when: { severity: ">=high" }
    allow: 3
    action: fail
`;

function finding(over: Record<string, unknown>): Finding {
  const p = parsedFindingSchema.parse({ tool: 'trivy', ruleId: 'CVE-2024-0001', category: 'vulnerability', severity: 'high', title: 't', vulnerabilityIds: ['CVE-2024-0001'], package: { name: 'lib', version: '1' }, ...over });
  return findingSchema.parse({ ...p, fingerprint: fingerprint(p) });
}
const assessed = (f: Finding, over: Partial<AssessedFinding> = {}): AssessedFinding => ({ finding: f, sources: [f.tool], isNew: false, ...over });
const now = new Date('2026-11-24T12:00:00Z');
const fresh = { now, toolsRun: ['trivy', 'semgrep'], dataUpdatedAt: new Date('2026-11-24T00:00:00Z') };

describe('parsePolicy', () => {
  it('reads the policy of DESIGN §4', () => {
    const p = parsePolicy(DESIGN_POLICY);
    expect(p.rules.map((r) => r.id)).toEqual(['fixable-critical', 'known-exploited', 'new-high', 'secrets', 'high-budget']);
    expect(p.require.maxDataAge).toBe(72 * 3_600_000);
    expect(p.rules[4]!.allow).toBe(3);
  });

  it('refuses an unknown condition with its line and column', () => {
    const text = 'version: 1\nrules:\n  - id: r1\n    when:\n      severty: high\n    action: fail\n';
    let error: unknown;
    try {
      parsePolicy(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).problems[0]).toMatchObject({ line: 5, column: 7, message: 'unknown key "severty"', path: 'rules.0.when' });
    expect((error as Error).message).toContain('line 5, column 7');
  });

  it('refuses bad values and YAML syntax errors with positions', () => {
    expect(() => parsePolicy('version: 1\nrules:\n  - id: a\n    action: block\n')).toThrow(/line 4, column 13/);
    expect(() => parsePolicy('version: 1\nrules: [\n')).toThrow(PolicyError);
    // An alias with no anchor only fails when values are built (found by schemathesis: it was a 500).
    expect(() => parsePolicy('*nowhere')).toThrow(PolicyError);
    expect(() => parsePolicy('version: 1\nrules: *missing\n')).toThrow(/alias/i);
    expect(() => parsePolicy('version: 2\n')).toThrow(/version/);
    expect(() => parsePolicy('version: 1\nrules:\n  - { id: a, action: fail, when: { severity: urgent } }\n')).toThrow(/severity/);
    expect(() => parsePolicy('version: 1\nrules:\n  - { id: a, action: fail }\n  - { id: a, action: warn }\n')).toThrow(/unique/);
  });
});

describe('evaluatePolicy', () => {
  const policy = parsePolicy(DESIGN_POLICY);

  it('passes a clean submission and explains nothing failed', () => {
    const v = evaluatePolicy(policy, [assessed(finding({ severity: 'low' }))], fresh);
    expect(v.outcome).toBe('pass');
    expect(v.rules.every((r) => !r.triggered)).toBe(true);
  });

  it('fails on a fixable critical, naming the rule, the reason and the finding', () => {
    const crit = finding({ severity: 'critical', fixedVersions: ['1.1'], ruleId: 'CVE-2024-9', vulnerabilityIds: ['CVE-2024-9'] });
    const v = evaluatePolicy(policy, [assessed(crit), assessed(finding({ severity: 'critical' }))], fresh);
    expect(v.outcome).toBe('fail');
    const rule = v.rules.find((r) => r.id === 'fixable-critical')!;
    expect(rule).toMatchObject({ triggered: true, matched: 1, reason: 'Critical vulnerabilities with a fix must be fixed before release.' });
    expect(rule.findings.map((f) => f.ruleId)).toEqual(['CVE-2024-9']);
    expect(v.reasons.some((r) => r.startsWith('FAIL fixable-critical'))).toBe(true);
  });

  it('leaves excepted findings out and reports expired exceptions', () => {
    const crit = finding({ severity: 'critical', fixedVersions: ['1.1'] });
    const exception = { id: 'ex-1', kind: 'accepted_risk' as const, reason: 'patched in base image next sprint', owner: 'sec@example.test', expiresAt: '2026-12-01T00:00:00Z' };
    const ok = evaluatePolicy(policy, [assessed(crit, { exception })], fresh);
    expect(ok.outcome).toBe('pass');
    expect(ok.counts).toEqual({ findings: 1, excepted: 1, assessed: 0 });
    const expired = evaluatePolicy(policy, [assessed(crit, { expiredExceptions: [exception] })], fresh);
    expect(expired.outcome).toBe('fail');
    expect(expired.reasons.join(' ')).toContain('Exception ex-1');
  });

  it('warns on new highs only, and honours allow budgets', () => {
    const highs = [1, 2, 3].map((i) => assessed(finding({ ruleId: `CVE-2024-000${i}`, vulnerabilityIds: [`CVE-2024-000${i}`] })));
    const newOne = assessed(finding({ ruleId: 'CVE-2024-0100', vulnerabilityIds: ['CVE-2024-0100'] }), { isNew: true });
    const v = evaluatePolicy(policy, [...highs, newOne], fresh);
    const newHigh = v.rules.find((r) => r.id === 'new-high')!;
    expect(newHigh).toMatchObject({ triggered: true, matched: 1 });
    expect(v.rules.find((r) => r.id === 'high-budget')).toMatchObject({ matched: 4, allowed: 3, triggered: true });
    expect(v.outcome).toBe('fail');
    expect(evaluatePolicy(policy, highs, fresh).outcome).toBe('pass');
  });

  it('is an error, never a pass, when a required tool did not report or the input had problems', () => {
    expect(evaluatePolicy(policy, [], { ...fresh, toolsRun: ['trivy'] })).toMatchObject({ outcome: 'error' });
    expect(evaluatePolicy(policy, [], { ...fresh, problems: ['semgrep.json could not be parsed'] }).outcome).toBe('error');
  });

  it('warns (by default) or fails on stale vulnerability data', () => {
    const stale = { ...fresh, dataUpdatedAt: new Date('2026-11-01T00:00:00Z') };
    expect(evaluatePolicy(policy, [], stale).outcome).toBe('warn');
    const strict = parsePolicy(DESIGN_POLICY.replace('maxDataAge: 72h', 'maxDataAge: 72h\n  staleDataAction: fail'));
    expect(evaluatePolicy(strict, [], stale).outcome).toBe('fail');
    expect(evaluatePolicy(strict, [], { ...fresh, dataUpdatedAt: undefined }).outcome).toBe('fail');
  });

  it('matches every kind of condition', () => {
    const f = finding({
      severity: 'medium', category: 'vulnerability', ruleId: 'GHSA-xxxx-yyyy-zzzz', vulnerabilityIds: ['CVE-2023-1', 'GHSA-xxxx-yyyy-zzzz'], cwes: [79],
      package: { name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash@4.17.20' }, location: { path: 'web/package-lock.json' },
      cvss: [{ version: '3.1', score: 6.1 }],
    });
    const a = assessed(f, { epss: 0.4, kev: true, firstSeenAt: new Date('2026-10-01T00:00:00Z'), sources: ['grype', 'trivy'] });
    const check = (when: string) =>
      evaluatePolicy(parsePolicy(`version: 1\nrules:\n  - id: r\n    action: fail\n    when: ${when}\n`), [a], fresh).rules[0]!.matched;
    expect(check('{ tool: grype }')).toBe(1);
    expect(check('{ vulnerabilityId: "CVE-2023-*" }')).toBe(1);
    expect(check('{ ruleId: [ "CVE-*" ] }')).toBe(0);
    expect(check('{ package: lodash }')).toBe(1);
    expect(check('{ package: { ecosystem: npm, purl: "pkg:npm/lodash@*" } }')).toBe(1);
    expect(check('{ path: "web/**" }')).toBe(1);
    expect(check('{ path: "api/**" }')).toBe(0);
    expect(check('{ cwe: [79, 89] }')).toBe(1);
    expect(check('{ cvss: ">=7" }')).toBe(0);
    expect(check('{ cvss: { min: 6, max: 7 } }')).toBe(1);
    expect(check('{ epss: 0.5 }')).toBe(0);
    expect(check('{ epss: 0.3, kev: true }')).toBe(1);
    expect(check('{ age: 30d }')).toBe(1);
    expect(check('{ age: 60d }')).toBe(0);
    expect(check('{ category: [code, secret] }')).toBe(0);
  });
});

describe('PolicyEvaluation', () => {
  it('gives the verdict of one call when fed in batches, in any order, and lists the most severe matches first', () => {
    const severities = ['critical', 'high', 'medium', 'low'];
    const all = Array.from({ length: 900 }, (_, i) => assessed(finding({ ruleId: `CVE-2024-${1000 + i}`, vulnerabilityIds: [`CVE-2024-${1000 + i}`], severity: severities[i % 4], fixedVersions: ['2'] }), { isNew: i % 3 === 0 }));
    const policy = parsePolicy('version: 1\nrules:\n  - id: any\n    when: {}\n    action: warn\n  - id: new-high\n    when: { severity: ">=high", new: true }\n    action: fail\n');
    const whole = evaluatePolicy(policy, all, fresh);
    // Shuffled deterministically, then added 7 at a time.
    const shuffled = [...all].sort((a, b) => (a.finding.fingerprint.slice(9) < b.finding.fingerprint.slice(9) ? -1 : 1));
    const batched = new PolicyEvaluation(policy, fresh);
    for (let i = 0; i < shuffled.length; i += 7) batched.add(shuffled.slice(i, i + 7));
    expect(batched.finish()).toEqual(whole);
    const any = whole.rules.find((r) => r.id === 'any')!;
    expect(any.matched).toBe(900);
    expect(any.findings).toHaveLength(200);
    // 225 criticals: the list is all critical, in fingerprint order.
    expect(new Set(any.findings.map((f) => f.severity))).toEqual(new Set(['critical']));
    expect(any.findings.map((f) => f.fingerprint)).toEqual([...any.findings.map((f) => f.fingerprint)].sort());
    const newHigh = whole.rules.find((r) => r.id === 'new-high')!;
    // 75 new criticals and 75 new highs: all listed, criticals first.
    expect(newHigh.matched).toBe(150);
    expect(newHigh.findings.map((f) => f.severity)).toEqual([...Array(75).fill('critical'), ...Array(75).fill('high')]);
  });
});
