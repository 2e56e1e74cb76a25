import { describe, expect, it } from 'vitest';
import { resolveSeverity, severitiesMatching, severityFromScore } from './severity.js';

describe('severity', () => {
  it('lets the label win and falls back to the score only when the label is missing or unknown', () => {
    expect(resolveSeverity('LOW', 9.8)).toBe('low');
    expect(resolveSeverity('UNKNOWN', 9.8)).toBe('critical');
    expect(resolveSeverity(undefined, 7.0)).toBe('high');
    expect(resolveSeverity(undefined, undefined)).toBe('info');
    expect(resolveSeverity('Moderate')).toBe('medium');
    expect(resolveSeverity('Negligible', 5)).toBe('info');
  });
  it('maps CVSS scores on the documented boundaries', () => {
    expect([9, 8.9, 7, 6.9, 4, 3.9, 0.1, 0].map(severityFromScore)).toEqual(['critical', 'high', 'high', 'medium', 'medium', 'low', 'low', 'info']);
  });
  it('parses comparisons', () => {
    expect(severitiesMatching('>=high')).toEqual(['critical', 'high']);
    expect(severitiesMatching('<medium')).toEqual(['low', 'info']);
    expect(severitiesMatching('medium')).toEqual(['medium']);
    expect(severitiesMatching('urgent')).toBeUndefined();
  });
});
