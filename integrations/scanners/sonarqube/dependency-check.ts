// Issues the Dependency-Check SonarQube plugin pushes into SonarQube (rule repository `OWASP`,
// e.g. OWASP:UsingComponentWithKnownVulnerability) carry the vulnerability only in their message:
//   "Filename: package:1.1.2 | Reference: CVE-2024-2529 | CVSS Score: 6.4 | Category: CWE-120 | …"
//   "Filename: nimbus-jose-jwt-9.24.4.jar | Highest CVSS Score: 7.5 | Amount of CVSS: 1 | References: CVE-2023-52428 (7.5)"
import type { FindingPackage } from '../../../src/domain/finding.js';
import { ecosystemType } from '../../../src/domain/identity.js';
import { num, orderVulnIds } from '../../../src/plugins/parse-helpers.js';
import { cwesInText } from './rules.js';

export interface DependencyCheckFacts {
  vulnerabilityIds: string[];
  cwes: number[];
  cvssScore?: number | undefined;
  package?: FindingPackage | undefined;
}

const VULN_ID = /\b(CVE-\d{4}-\d{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3})\b/gi;

/** The package a `Filename:` value names: `name:version`, `name-1.2.3.jar`, or a bare name. */
export function packageOfFilename(value: string): FindingPackage | undefined {
  const file = value.trim();
  if (file === '') return undefined;
  const colon = file.lastIndexOf(':');
  if (colon > 0 && colon < file.length - 1) return { name: file.slice(0, colon), version: file.slice(colon + 1) };
  const archive = /^(.+?)-(\d[\w.+-]*)\.(jar|war|ear)$/i.exec(file);
  if (archive) return { name: archive[1]!, version: archive[2]!, ecosystem: ecosystemType('jar') };
  return { name: file };
}

/** The plugin's facts, or undefined when the message is not one of its "Filename: … | …" messages. */
export function dependencyCheckFacts(message: string | undefined): DependencyCheckFacts | undefined {
  if (!message || !/^\s*Filename:/i.test(message)) return undefined;
  const fields = message.split('|').map((part) => part.trim());
  const filename = /^Filename:\s*(.*)$/i.exec(fields[0] ?? '')?.[1];
  // References first, then any id elsewhere in the message (its description may quote more).
  const referenceText = fields.filter((f) => /^References?:/i.test(f)).join(' ');
  const ids = orderVulnIds([...(referenceText.match(VULN_ID) ?? []), ...(message.match(VULN_ID) ?? [])]);
  const categories = fields.filter((f) => /^Category:/i.test(f)).join(' ');
  const score = num(/(?:^|\|)\s*(?:Highest )?CVSS Score:\s*([\d.]+)/i.exec(message)?.[1]);
  return {
    vulnerabilityIds: ids,
    cwes: cwesInText(categories),
    cvssScore: score !== undefined && score >= 0 && score <= 10 ? score : undefined,
    package: filename ? packageOfFilename(filename) : undefined,
  };
}
