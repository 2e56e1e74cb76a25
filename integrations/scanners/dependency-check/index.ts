// OWASP Dependency-Check: XML (report schemas 1.3 to 4.1) and JSON (reportSchema 1.1, CVSS v4).
import type { ScannerPlugin } from '../../../src/plugins/scanner.js';
import { isRecord } from '../../../src/plugins/parse-helpers.js';
import { jsonReportSchema, XML_NAMESPACE } from './schema.js';
import { parseDependencyCheckJson } from './parse-json.js';
import { parseDependencyCheckXml } from './parse-xml.js';

export const dependencyCheck: ScannerPlugin = {
  kind: 'scanner',
  id: 'dependency-check',
  name: 'OWASP Dependency-Check',
  formats: [
    { id: 'dependency-check-xml', description: 'Dependency-Check XML report, schemas 1.3 to 4.1' },
    { id: 'dependency-check-json', description: 'Dependency-Check JSON report, reportSchema 1.1 (CVSS v2, v3, v4)' },
  ],
  detect(input) {
    if (input.syntax === 'xml') {
      // The namespace is in the first bytes; no need to parse the document to claim it.
      const head = input.text.slice(0, 2000);
      return XML_NAMESPACE.test(head) && /<analysis\b/.test(head) ? { format: 'dependency-check-xml', score: 90 } : null;
    }
    const doc = input.tryJson();
    return isRecord(doc) && jsonReportSchema.safeParse(doc).success ? { format: 'dependency-check-json', score: 90 } : null;
  },
  // The JSON report, a dependency at a time (the XML report is read whole).
  streamItems: [['dependencies', '*']],
  parse(input) {
    return input.syntax === 'xml' ? parseDependencyCheckXml(input) : parseDependencyCheckJson(input);
  },
};
