// Reads the SonarQube corpus IN PLACE (test/helpers/corpus.ts: $SCANHUB_CORPUS_DIR or
// ../shared/corpus), a fresh parsed copy per use so a test cannot change another's bodies.
import { readCorpus } from '../../helpers/corpus.js';

/** A fresh parsed copy of `<folder>/<file>` (e.g. `sonarqube_api`, `hotspots/one_vuln.json`). */
export function sonarCorpusJson<T = unknown>(folder: 'sonarqube' | 'sonarqube_api', file: string): T {
  return JSON.parse(readCorpus(folder, ...file.split('/')).toString('utf8')) as T;
}

export const CORPUS = {
  /** DefectDojo's importer fixtures: unwrapped client return values (see their MANIFEST). */
  dummyProject: 'product.json',
  dummyIssues: 'issues.json',
  dummyHotspots: 'hotspots/many_vulns.json',
  deadStoreRule: 'rule.json',
  hardCodedCredentialsRule: 'hotspots/rule.json',
  /** A real api/issues/search page (Dependency-Check plugin issues), served as project `testapplication`. */
  issuesPage: 'findings_over_api.json',
  /** sonar-report JSON whose `qualityGateStatus` is an api/qualitygates/project_status body. */
  gateReport: 'sonar-no-finding.json',
} as const;
