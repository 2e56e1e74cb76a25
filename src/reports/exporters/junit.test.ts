import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../domain/policy/evaluate.js';
import { describeVerdictFinding, escapeXml, exportJunit } from './junit.js';
import { allFindings, awsSecret, baseContext, failingVerdict, hostileFinding, infoFinding, opensslCve } from '../../../test/helpers/export-fixtures.js';

interface Case {
  '@_classname': string;
  '@_name': string;
  failure?: { '#text': string; '@_message': string; '@_type': string };
  error?: { '#text': string; '@_message': string };
  'system-out'?: string;
}
interface Doc {
  testsuites: {
    '@_tests': string;
    '@_failures': string;
    testsuite: { '@_name': string; '@_tests': string; '@_failures': string; '@_errors': string; '@_timestamp': string; testcase: Case[] };
  };
}

function parse(xml: string): Doc {
  const valid = XMLValidator.validate(xml);
  expect(valid, JSON.stringify(valid)).toBe(true);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    processEntities: true,
    htmlEntities: true, // decode numeric character references (&#10;) as XML does
    isArray: (name) => name === 'testcase',
  });
  return parser.parse(xml) as Doc;
}

describe('escapeXml', () => {
  it('escapes markup characters and strips characters XML 1.0 forbids', () => {
    expect(escapeXml(`a & b < c > d " e ' f`)).toBe('a &amp; b &lt; c &gt; d &quot; e &apos; f');
    expect(escapeXml('x\u0001y\u0000z\u001f\uFFFEw')).toBe('xyzw');
    expect(escapeXml('tab\tnl\ncr\r')).toBe('tab\tnl\ncr\r');
    expect(escapeXml('lone \uD800 surrogate, pair \uD83D\uDE00')).toBe('lone  surrogate, pair \uD83D\uDE00');
  });
});

describe('exportJunit with a verdict', () => {
  const context = { ...baseContext, verdict: failingVerdict };
  const out = exportJunit(allFindings, context);
  const doc = parse(out.body);
  const suite = doc.testsuites.testsuite;
  const byName = (name: string) => suite.testcase.find((c) => c['@_name'] === name)!;

  it('has one testsuite named after the project and one testcase per rule', () => {
    expect(out.contentType).toMatch(/^application\/xml/);
    expect(out.fileExtension).toBe('xml');
    expect(out.body.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')).toBe(true);
    expect(suite['@_name']).toBe('scanhub policy: shop');
    expect(suite.testcase.map((c) => c['@_name'])).toEqual(['no-critical-vulns', 'no-secrets', 'max-high']);
    for (const c of suite.testcase) expect(c['@_classname']).toBe('shop');
    expect(suite['@_tests']).toBe('3');
    expect(suite['@_failures']).toBe('1');
    expect(doc.testsuites['@_failures']).toBe('1');
    expect(suite['@_timestamp']).toBe('2024-03-01T12:34:56');
  });

  it('fails a triggered fail rule and lists its findings', () => {
    const c = byName('no-critical-vulns');
    expect(c.failure?.['@_message']).toBe('Critical vulnerabilities are not allowed <now>');
    expect(c.failure?.['#text']).toContain('[CRITICAL] CVE-2024-0727 openssl@3.0.12-r0 registry.example.com/shop:1.4: ' + opensslCve.title);
    expect(c['system-out']).toBeUndefined();
  });

  it('notes a triggered warn rule without failing, and passes an untriggered rule', () => {
    const warn = byName('no-secrets');
    expect(warn.failure).toBeUndefined();
    expect(warn['system-out']).toContain('Secrets should be rotated');
    const pass = byName('max-high');
    expect(pass.failure).toBeUndefined();
    expect(pass['system-out']).toBeUndefined();
  });

  it('keeps hostile titles well-formed: ]]>, <script>, quotes and U+0001', () => {
    const warn = byName('no-secrets');
    const expected = hostileFinding.title.replace('\u0001', '');
    expect(warn['system-out']).toContain(expected);
    expect(out.body).not.toContain('<script>');
    expect(out.body).not.toContain('\u0001');
    expect(out.body).not.toContain(']]>');
  });

  it('says when the rule matched more findings than the verdict lists', () => {
    const verdict: Verdict = {
      ...failingVerdict,
      rules: [{ ...failingVerdict.rules[0]!, matched: 205 }],
    };
    const c = parse(exportJunit([], { ...baseContext, verdict }).body).testsuites.testsuite.testcase[0]!;
    expect(c.failure?.['#text']).toContain('… and 204 more');
  });

  it('adds an errored testcase when the verdict could not be reached', () => {
    const verdict: Verdict = { ...failingVerdict, outcome: 'error', summary: 'trivy report failed to parse', reasons: ['bad json'], rules: [] };
    const s = parse(exportJunit([], { ...baseContext, verdict }).body).testsuites.testsuite;
    expect(s['@_errors']).toBe('1');
    expect(s.testcase[0]!['@_name']).toBe('verdict');
    expect(s.testcase[0]!.error?.['@_message']).toBe('trivy report failed to parse');
  });

  it('keeps newlines and quotes in attribute values', () => {
    const verdict: Verdict = {
      ...failingVerdict,
      rules: [{ ...failingVerdict.rules[0]!, reason: 'line "one"\nline \'two\' & <three>' }],
    };
    const c = parse(exportJunit([], { ...baseContext, project: 'a"b<c>&\'d', verdict }).body).testsuites.testsuite.testcase[0]!;
    expect(c.failure?.['@_message']).toBe('line "one"\nline \'two\' & <three>');
    expect(c['@_classname']).toBe('a"b<c>&\'d');
  });
});

describe('exportJunit without a verdict', () => {
  it('has one testcase per severity; high and worse fail by default', () => {
    const s = parse(exportJunit(allFindings, baseContext).body).testsuites.testsuite;
    expect(s.testcase.map((c) => c['@_name'])).toEqual(['critical findings', 'high findings', 'medium findings', 'low findings', 'info findings']);
    const [critical, high, medium, low, info] = s.testcase;
    expect(critical!.failure?.['@_message']).toBe('1 critical finding');
    expect(high!.failure?.['@_message']).toBe('2 high findings');
    expect(high!.failure?.['#text']).toContain(describeVerdictFinding({ ...awsSecret, location: { path: 'config/deploy.env', startLine: 3 } }));
    expect(medium!.failure).toBeUndefined();
    expect(medium!['system-out']).toContain('2 medium findings');
    expect(low!['system-out']).toContain(hostileFinding.title.replace('\u0001', ''));
    expect(info!['system-out']).toContain(infoFinding.title);
    expect(s['@_failures']).toBe('2');
  });

  it('honours failOnSeverity and passes empty groups', () => {
    const s = parse(exportJunit([infoFinding], baseContext, { failOnSeverity: 'info' }).body).testsuites.testsuite;
    expect(s['@_failures']).toBe('1');
    expect(s.testcase[4]!.failure?.['@_message']).toBe('1 info finding');
    for (const c of s.testcase.slice(0, 4)) {
      expect(c.failure).toBeUndefined();
      expect(c['system-out']).toBeUndefined();
    }
  });

  it('is deterministic and independent of input order', () => {
    expect(exportJunit([...allFindings].reverse(), baseContext).body).toBe(exportJunit(allFindings, baseContext).body);
  });
});
