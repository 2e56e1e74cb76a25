import { describe, expect, it } from 'vitest';
import { findingSchema, parsedFindingSchema, type Finding } from '../domain/finding.js';
import { fingerprint, vulnerabilityKey } from '../domain/identity.js';
import { planMerge } from './merge-plan.js';

function f(over: Record<string, unknown>): Finding {
  const parsed = parsedFindingSchema.parse({
    tool: 'trivy', ruleId: 'CVE-2020-1', category: 'vulnerability', severity: 'high', title: 't',
    vulnerabilityIds: ['CVE-2020-1'], package: { name: 'lib', version: '1.0', ecosystem: 'npm' }, location: { path: 'package-lock.json' }, ...over,
  });
  return findingSchema.parse({ ...parsed, fingerprint: fingerprint(parsed) });
}

describe('planMerge', () => {
  it('merges exact duplicates inside a report and counts them', () => {
    const a = f({});
    const plan = planMerge([{ finding: a, reportIndex: 0 }, { finding: a, reportIndex: 0 }], [], []);
    expect(plan.findings).toHaveLength(1);
    expect(plan.duplicatesMerged).toBe(1);
    expect(plan.findings[0]!.occurrences.get('trivy')!.duplicates).toBe(2);
  });

  it('joins a GHSA-only finding to a CVE finding of the same package through the alias ids', () => {
    const trivy = f({ vulnerabilityIds: ['CVE-2020-1', 'GHSA-aaaa-bbbb-cccc'] });
    const grype = f({ tool: 'grype', ruleId: 'GHSA-aaaa-bbbb-cccc', vulnerabilityIds: ['GHSA-aaaa-bbbb-cccc'], severity: 'critical' });
    expect(trivy.fingerprint).not.toBe(grype.fingerprint);
    const plan = planMerge([{ finding: trivy, reportIndex: 0 }, { finding: grype, reportIndex: 1 }], [], []);
    expect(plan.findings).toHaveLength(1);
    const only = plan.findings[0]!;
    expect(only.tools).toEqual(['trivy', 'grype']);
    expect(only.matchedBy).toBe('alias:GHSA-aaaa-bbbb-cccc');
    expect(only.data.severity).toBe('critical');
    expect(only.fingerprint).toBe(trivy.fingerprint);
  });

  it('finds the stored finding by fingerprint, then by a stored alias', () => {
    const stored = f({});
    const ghsaOnly = f({ tool: 'grype', ruleId: 'GHSA-aaaa-bbbb-cccc', vulnerabilityIds: ['GHSA-aaaa-bbbb-cccc'] });
    const plan = planMerge(
      [{ finding: stored, reportIndex: 0 }, { finding: f({ package: { name: 'other', version: '1', ecosystem: 'npm' } }), reportIndex: 0 }, { finding: ghsaOnly, reportIndex: 1 }],
      [{ id: 'id-1', fingerprint: stored.fingerprint, tools: ['trivy'] }],
      [{ vulnKey: vulnerabilityKey(ghsaOnly)!, alias: 'GHSA-aaaa-bbbb-cccc', findingId: 'id-1' }],
    );
    expect(plan.findings.map((p) => [p.id === 'id-1', p.isNewToProject])).toEqual([[true, false], [false, true]]);
    expect(plan.findings[0]!.tools).toEqual(['trivy', 'grype']);
  });

  it('never merges the same id in different packages', () => {
    const plan = planMerge(
      [{ finding: f({}), reportIndex: 0 }, { finding: f({ package: { name: 'lib', version: '2.0', ecosystem: 'npm' } }), reportIndex: 0 }],
      [],
      [],
    );
    expect(plan.findings).toHaveLength(2);
  });
});

describe('merged vulnerability naming', () => {
  it('takes the CVE as the rule id when the first tool only named the GHSA', () => {
    const grype = f({ tool: 'grype', ruleId: 'GHSA-aaaa-bbbb-cccc', title: 'GHSA title', vulnerabilityIds: ['CVE-2020-1000', 'GHSA-aaaa-bbbb-cccc'] });
    const trivy = f({ ruleId: 'CVE-2020-1000', title: 'Trivy title', vulnerabilityIds: ['CVE-2020-1000', 'GHSA-aaaa-bbbb-cccc'] });
    const plan = planMerge([{ finding: grype, reportIndex: 0 }, { finding: trivy, reportIndex: 1 }], [], []);
    expect(plan.findings).toHaveLength(1);
    expect(plan.findings[0]!.data).toMatchObject({ ruleId: 'CVE-2020-1000', title: 'Trivy title' });
  });
});
