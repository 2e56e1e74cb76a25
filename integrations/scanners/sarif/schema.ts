// The parts of SARIF 2.1.0 detection relies on; everything else is read defensively.
import { z } from 'zod';

export const sarifLogSchema = z.looseObject({
  version: z.string().optional(),
  $schema: z.string().optional(),
  runs: z.array(z.unknown()),
});
