// Every report file in the corpus is detected by the plugin its folder belongs to and parses —
// or is refused exactly where its MANIFEST says it is not a report (or, for the 0-byte OSV file,
// where ScanHub deliberately refuses an empty upload; see integrations/scanners/osv-scanner/readme.md).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { scanners } from '../../integrations/index.js';
import { ReportFormatError } from '../../src/errors.js';
import { parseReport } from '../../src/ingest/parse-report.js';
import { corpusInput, corpusRoot, describeCorpus } from '../helpers/corpus.js';

const FOLDERS: Record<string, string> = {
  anchore_grype: 'grype',
  bandit: 'bandit',
  cyclonedx: 'cyclonedx',
  dependency_check: 'dependency-check',
  gitlab_container_scan: 'gitlab-security-report',
  gitlab_dep_scan: 'gitlab-security-report',
  gitlab_sast: 'gitlab-security-report',
  npm_audit: 'npm-audit',
  npm_audit_7_plus: 'npm-audit',
  osv_scanner: 'osv-scanner',
  sarif: 'sarif',
  semgrep: 'semgrep',
  semgrep_pro: 'semgrep',
  sonarqube: 'sonarqube',
  sonatype: 'nexus-iq',
  trivy: 'trivy',
  xray: 'xray',
};

/** Not scanner reports (MANIFEST sections D, G, H of xray) or deliberately refused. */
const REFUSED = new Set([
  'osv_scanner/no_findings.json',
  ...[
    'xray-artifact-status-done.clientgo.json', 'xray-artifact-status-pending.clientgo.json', 'xray-artifact-status-not-supported.clientgo.json',
    'xray-report-generate-vulnerabilities-response.clientgo.json', 'xray-report-status-completed.clientgo.json', 'xray-report-delete-response.clientgo.json',
    'xray-entitlements-entitled.clientgo.json', 'xray-entitlements-not-entitled.clientgo.json', 'xray-build-scan-v2-trigger-info.clientgo.json',
    'artifactory-webhook-docker-pushed.keel.json', 'artifactory-webhook-docker-pushed-data.jfrog-docs.json', 'artifactory-webhook-docker-deleted-data.jfrog-docs.json',
    'artifactory-webhook-artifact-deployed.jfrog-docs.json', 'artifactory-webhook-subscription-test-request.jfrog-docs.json',
    'artifactory-xray-scanBuild-legacy-alerts.clientgo.json', 'artifactory-xray-scanBuild-legacy-clean.clientgo.json', 'artifactory-xray-scanBuild-legacy-fatal-errors.clientgo.json',
  ].map((f) => `xray/${f}`),
]);

function* reportFiles(folder: string, sub = ''): Generator<string> {
  for (const name of readdirSync(join(corpusRoot, folder, sub))) {
    const rel = sub ? `${sub}/${name}` : name;
    if (statSync(join(corpusRoot, folder, rel)).isDirectory()) {
      if (name !== 'schema') yield* reportFiles(folder, rel);
    } else if (!name.endsWith('.md')) {
      yield rel;
    }
  }
}

describeCorpus('corpus coverage', () => {
  for (const [folder, tool] of Object.entries(FOLDERS)) {
    it(`${folder}: every file is read by ${tool} or refused as its MANIFEST says`, () => {
      let parsed = 0;
      for (const file of reportFiles(folder)) {
        const key = `${folder}/${file}`;
        const run = () => parseReport(scanners, corpusInput(folder, ...file.split('/')));
        if (REFUSED.has(key)) {
          expect(run, key).toThrow(ReportFormatError);
          continue;
        }
        // SARIF and CycloneDX outputs of other tools stay with the generic plugin of their format.
        expect(run().tool, key).toBe(tool);
        parsed += 1;
      }
      expect(parsed).toBeGreaterThan(0);
    });
  }
});
