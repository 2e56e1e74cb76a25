// npm audit --json: npm ≤ 6 (advisories) and npm ≥ 7 (auditReportVersion 2).
import { ReportFormatError } from '../../../src/errors.js';
import type { ScannerPlugin } from '../../../src/plugins/scanner.js';
import { isRecord, str } from '../../../src/plugins/parse-helpers.js';
import { npm6Schema, npm7Schema, npmErrorSchema } from './schema.js';
import { parseNpm6 } from './parse-npm6.js';
import { parseNpm7 } from './parse-npm7.js';

function unwrap(doc: unknown): unknown {
  // `npm audit fix --dry-run --json` nests the report under "audit".
  return isRecord(doc) && isRecord(doc.audit) && 'auditReportVersion' in doc.audit ? doc.audit : doc;
}

export const npmAudit: ScannerPlugin = {
  kind: 'scanner',
  id: 'npm-audit',
  name: 'npm audit',
  formats: [
    { id: 'npm-audit-v2', description: 'npm audit --json, npm 7 and later (auditReportVersion 2)' },
    { id: 'npm-audit-v1', description: 'npm audit --json, npm 6 and earlier (advisories)' },
    { id: 'npm-audit-error', description: 'npm audit error output (refused with npm’s own message)' },
  ],
  detect(input) {
    const doc = unwrap(input.tryJson());
    if (!isRecord(doc)) return null;
    if (npm7Schema.safeParse(doc).success) return { format: 'npm-audit-v2', score: 85 };
    if (npm6Schema.safeParse(doc).success && ('actions' in doc || 'muted' in doc || 'metadata' in doc)) return { format: 'npm-audit-v1', score: 85 };
    if (npmErrorSchema.safeParse(doc).success && Object.keys(doc).length === 1) return { format: 'npm-audit-error', score: 40 };
    return null;
  },
  parse(input) {
    const doc = unwrap(input.json());
    const format = this.detect(input)?.format;
    if (format === 'npm-audit-v2') return parseNpm7(doc as Record<string, unknown>);
    if (format === 'npm-audit-v1') return parseNpm6(doc as Record<string, unknown>);
    if (format === 'npm-audit-error' && isRecord(doc) && isRecord(doc.error)) {
      throw new ReportFormatError(`npm audit failed instead of reporting: ${str(doc.error.code) ?? 'error'}: ${str(doc.error.summary) ?? ''}`.trim(), { pointer: '/error' });
    }
    throw new ReportFormatError('Not an npm audit report: expected "auditReportVersion" (npm ≥ 7) or "advisories" (npm ≤ 6).', { pointer: '' });
  },
};
