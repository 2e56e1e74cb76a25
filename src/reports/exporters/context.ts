// Shared input/output shapes of the pure findings exporters.
import type { Verdict } from '../../domain/policy/evaluate.js';

export interface ExportContext {
  /** Project name (or key) the findings belong to. */
  project: string;
  ref?: string | undefined;
  commit?: string | undefined;
  submissionId?: string | undefined;
  verdict?: Verdict | undefined;
  /** The time stamped into the report; passed in so output is deterministic. */
  generatedAt: Date;
  scanhubVersion: string;
  /** Link back to the ScanHub page for these findings, when there is one. */
  reportUrl?: string | undefined;
  /** GitLab security report schema version to declare (the project's scan configuration; default 15.2.1). */
  gitlabSchemaVersion?: string | undefined;
}

export interface ExportResult {
  body: string;
  contentType: string;
  fileExtension: string;
}
