// GitLab security reports: container scanning, dependency scanning, SAST and secret detection
// (schemas 2.x to 15.x), as GitLab analyzers and Trivy's GitLab template write them.
import type { ScannerPlugin } from '../../../src/plugins/scanner.js';
import { isRecord, str } from '../../../src/plugins/parse-helpers.js';
import { gitlabReportSchema } from './schema.js';
import { parseGitlab, reportType } from './parse.js';

export const gitlabSecurityReport: ScannerPlugin = {
  kind: 'scanner',
  id: 'gitlab-security-report',
  name: 'GitLab security report',
  formats: [
    { id: 'gitlab-container-scanning', description: 'GitLab container scanning report (gl-container-scanning-report.json), schemas 2.x–15.x' },
    { id: 'gitlab-dependency-scanning', description: 'GitLab dependency scanning report (gl-dependency-scanning-report.json), schemas 2.x–15.x' },
    { id: 'gitlab-sast', description: 'GitLab SAST or secret detection report (gl-sast-report.json), schemas 2.x–15.x' },
  ],
  detect(input) {
    const doc = input.tryJson();
    if (!isRecord(doc) || !gitlabReportSchema.safeParse(doc).success) return null;
    const first = (doc.vulnerabilities as unknown[])[0];
    const marked = isRecord(doc.scan) || (isRecord(first) && Array.isArray(first.identifiers) && isRecord(first.location));
    if (!marked && !(Array.isArray(doc.remediations) || str(doc.version)?.match(/^\d+\.\d+(\.\d+)?$/))) return null;
    return { format: `gitlab-${reportType(doc).replace('_', '-').replace('secret-detection', 'sast').replace('cluster-image-scanning', 'container-scanning')}`, score: marked ? 70 : 30 };
  },
  parse: parseGitlab,
};
