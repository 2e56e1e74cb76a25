// Shape of `osv-scanner --format json` that detection relies on.
import { z } from 'zod';

export const osvReportSchema = z.looseObject({ results: z.array(z.unknown()) });

export const osvResultSchema = z.looseObject({
  source: z.looseObject({ path: z.string() }),
  packages: z.array(z.unknown()),
});
