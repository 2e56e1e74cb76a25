// Shape of `bandit -f json` that detection relies on; results are read defensively.
import { z } from 'zod';

export const banditReportSchema = z.looseObject({
  results: z.array(z.unknown()),
  metrics: z.unknown().optional(),
  generated_at: z.string().optional(),
  errors: z.array(z.unknown()).optional(),
});

export const banditResultSchema = z.looseObject({
  test_id: z.string(),
  issue_severity: z.string(),
  filename: z.string(),
});
