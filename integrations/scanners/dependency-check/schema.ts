// Shapes of Dependency-Check reports that detection relies on.
import { z } from 'zod';

/** JSON report (reportSchema 1.1): `--format JSON`. */
export const jsonReportSchema = z.looseObject({
  reportSchema: z.string().optional(),
  scanInfo: z.looseObject({ engineVersion: z.string().optional() }),
  dependencies: z.array(z.unknown()),
});

/** XML namespaces of report schemas 1.x to 4.x. */
export const XML_NAMESPACE = /jeremylong\.github\.io\/DependencyCheck\/dependency-check\.\d+\.\d+\.xsd/;
