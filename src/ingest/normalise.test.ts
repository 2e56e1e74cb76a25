import { describe, expect, it } from 'vitest';
import { parsedFindingSchema, type ParsedFinding } from '../domain/finding.js';
import { normaliseFinding } from './normalise.js';

const base: ParsedFinding = { tool: 't', ruleId: 'R1', category: 'code', severity: 'high', title: 'x' };

describe('normaliseFinding', () => {
  it('applies the same defaults as the zod model', () => {
    const fast = normaliseFinding({ ...base, vulnerabilityIds: ['GHSA-aaaa-bbbb-cccc', 'cve-2020-1234'] });
    expect(fast.ok && fast.finding).toEqual(parsedFindingSchema.parse({ ...base, vulnerabilityIds: ['CVE-2020-1234', 'GHSA-aaaa-bbbb-cccc'] }));
  });

  it('refuses what the model refuses, with a reason', () => {
    const bad: [Partial<ParsedFinding>, RegExp][] = [
      [{ ruleId: '' }, /ruleId/],
      [{ severity: 'urgent' as never }, /severity/],
      [{ category: 'bug' as never }, /category/],
      [{ cwes: [0] }, /cwes/],
      [{ cwes: [1.5] }, /cwes/],
      [{ status: 'closed' as never }, /status/],
      [{ package: { name: '' } }, /package/],
      [{ cvss: [{ version: '3.1', score: 11 }] }, /cvss/],
      [{ location: { startLine: -1 } }, /startLine/],
      [{ references: [1 as never] }, /references/],
    ];
    for (const [patch, reason] of bad) {
      const r = normaliseFinding({ ...base, ...patch });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
      expect(parsedFindingSchema.safeParse({ ...base, ...patch }).success).toBe(false);
    }
  });
});
