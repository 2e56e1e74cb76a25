// Shapes of Semgrep's outputs that detection relies on; items are read defensively.
import { z } from 'zod';

/** `semgrep scan --json` (CliOutput in semgrep_output_v1): results[] and errors[], version since 1.x. */
export const cliOutputSchema = z.looseObject({
  results: z.array(z.unknown()),
  errors: z.array(z.unknown()).optional(),
  version: z.string().optional(),
});

export const cliResultSchema = z.looseObject({
  check_id: z.string(),
  path: z.string(),
  start: z.looseObject({ line: z.number() }),
  extra: z.looseObject({}),
});

/** Semgrep Supply Chain "deployments vulns" API page. */
export const supplyChainSchema = z.looseObject({ vulns: z.array(z.unknown()) });

/** Semgrep AppSec Platform findings export. */
export const platformSchema = z.looseObject({ findings: z.array(z.unknown()) });
