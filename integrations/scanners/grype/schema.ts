// Shapes of `grype -o json` that detection relies on; matches are read defensively in parse.ts.
import { z } from 'zod';

export const grypeReportSchema = z.looseObject({
  matches: z.array(z.unknown()),
  source: z.unknown().optional(),
  descriptor: z.looseObject({ name: z.string() }).optional(),
});

export const grypeMatchSchema = z.looseObject({
  vulnerability: z.looseObject({ id: z.string() }),
  artifact: z.looseObject({ name: z.string() }),
});
