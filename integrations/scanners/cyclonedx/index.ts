// CycloneDX 1.0–1.7, JSON and XML: native vulnerabilities (1.4+, with VEX analysis) and the
// ext/vulnerability/1.0 XML extension; a BOM without vulnerabilities is a clean report.
import type { ScannerPlugin } from '../../../src/plugins/scanner.js';
import { isRecord } from '../../../src/plugins/parse-helpers.js';
import { CDX_XML_NAMESPACE, cdxJsonSchema } from './schema.js';
import { parseCycloneDx } from './parse.js';

export const cyclonedx: ScannerPlugin = {
  kind: 'scanner',
  id: 'cyclonedx',
  name: 'CycloneDX',
  formats: [
    { id: 'cyclonedx-json', description: 'CycloneDX JSON 1.2–1.7 with vulnerabilities (VEX analysis kept)' },
    { id: 'cyclonedx-xml', description: 'CycloneDX XML 1.0–1.7: native vulnerabilities or the ext/vulnerability/1.0 extension' },
  ],
  detect(input) {
    if (input.syntax === 'xml') {
      const head = input.text.slice(0, 3000);
      return /<bom\b/.test(head) && CDX_XML_NAMESPACE.test(head) ? { format: 'cyclonedx-xml', score: 20 } : null;
    }
    const doc = input.tryJson();
    return isRecord(doc) && cdxJsonSchema.safeParse(doc).success ? { format: 'cyclonedx-json', score: 20 } : null;
  },
  parse: parseCycloneDx,
  // JSON BOMs: vulnerabilities item by item; components (what they affect) stay whole.
  streamItems: [['vulnerabilities', '*']],
};
