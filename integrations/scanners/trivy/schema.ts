// Shapes of Trivy's JSON output that detection relies on (items are read defensively in parse.ts).
import { z } from 'zod';

/** SchemaVersion 2 (Trivy ≥ 0.20): `trivy image|fs|repo|sbom --format json`. */
export const reportV2Schema = z.looseObject({
  SchemaVersion: z.number(),
  ArtifactName: z.string().optional(),
  ArtifactType: z.string().optional(),
  Results: z.unknown().optional(), // its shape is checked by the parser, which can then say where it broke
});

/** `trivy k8s --format json`: the older per-section layout and the newer `Resources[]` one. */
export const k8sReportSchema = z.looseObject({
  ClusterName: z.string(),
  Vulnerabilities: z.array(z.unknown()).nullable().optional(),
  Misconfigurations: z.array(z.unknown()).nullable().optional(),
  Resources: z.array(z.unknown()).nullable().optional(),
});

/** Before 0.20: a bare array of results. */
export const legacyResultSchema = z.looseObject({
  Target: z.string(),
  Vulnerabilities: z.array(z.unknown()).nullable().optional(),
});
