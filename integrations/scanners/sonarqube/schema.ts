// The SonarQube documents ScanHub reads as reports, recognised by their top-level keys; items are
// read defensively by the readers (a malformed issue is skipped with a warning, not the report).
// Wire contract: shared/notes/sonar-nexus-contract.md Part A (A.1 issues, A.2 hotspots, A.4 rules).
import { z } from 'zod';

const paging = z.looseObject({ pageIndex: z.number(), pageSize: z.number(), total: z.number() });

/** One page of `GET api/issues/search` (9.x–2025.x; `paging` replaced the top-level p/ps/total in 9.8). */
export const issuesPageSchema = z.looseObject({ paging, issues: z.array(z.unknown()), components: z.array(z.unknown()).optional() });

/** One page of `GET api/hotspots/search` (8.1+). */
export const hotspotsPageSchema = z.looseObject({ paging, hotspots: z.array(z.unknown()), components: z.array(z.unknown()).optional() });

/** The fields an issue of api/issues/search always has; detection looks at the first one only. */
export const issueShape = z.looseObject({ key: z.string(), rule: z.string(), component: z.string() });
export const hotspotShape = z.looseObject({ key: z.string(), component: z.string(), vulnerabilityProbability: z.string().optional(), securityCategory: z.string().optional() });

/** The marker of the document ScanHub's own SonarQube client builds (client.ts `pull`). */
export const BRIDGE_FORMAT = 'sonarqube-pull' as const;
export const bridgeMarkerSchema = z.looseObject({
  format: z.literal(BRIDGE_FORMAT),
  version: z.literal(1),
  projectKey: z.string().min(1),
  branch: z.string().optional(),
  pullRequest: z.string().optional(),
  serverUrl: z.string().optional(),
  serverVersion: z.string().optional(),
  analysisDate: z.string().optional(),
  pulledAt: z.string().optional(),
});
export const bridgeSchema = z.looseObject({
  scanhub: bridgeMarkerSchema,
  issues: z.array(z.unknown()),
  hotspots: z.array(z.unknown()),
  components: z.array(z.unknown()),
  rules: z.array(z.unknown()),
});
export type BridgeMarker = z.infer<typeof bridgeMarkerSchema>;

/** soprasteria sonar-report `--save-report-json`: `date`, `projectName`, `rules{}`, `issues[]`, `hotspotKeys[]`. */
export const soprasteriaSchema = z.looseObject({
  date: z.string(),
  projectName: z.string(),
  rules: z.record(z.string(), z.unknown()),
  issues: z.array(z.unknown()),
  hotspotKeys: z.array(z.unknown()),
});
