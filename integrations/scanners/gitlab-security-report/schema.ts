// Shape of GitLab security reports (gl-container-scanning / gl-dependency-scanning / gl-sast) that
// detection relies on; vulnerabilities are read defensively.
import { z } from 'zod';

export const gitlabReportSchema = z.looseObject({
  version: z.string(),
  vulnerabilities: z.array(z.unknown()),
  scan: z.looseObject({ type: z.string().optional() }).optional(),
});

export const REPORT_TYPES = ['container_scanning', 'dependency_scanning', 'sast', 'secret_detection', 'cluster_image_scanning'] as const;
