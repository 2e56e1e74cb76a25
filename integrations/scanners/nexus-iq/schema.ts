// Shapes of the Nexus IQ (Sonatype Lifecycle) bodies ScanHub reads: the Application Report raw data
// (ApiReportRawDataDTOV2), the policy report (ApiReportPolicyDataDTOV2) and the bridge document the
// client builds from both. Top-level schemas recognise a body; item schemas are applied one item at
// a time so that a malformed component or issue is skipped with a warning, not the whole report.
// Contract: shared/notes/sonar-nexus-contract.md B.3–B.5.
import { z } from 'zod';

const text = z.string().nullish();
const maybeNumber = z.union([z.number(), z.string()]).nullish();

export const componentIdentifierSchema = z.looseObject({
  format: z.string(),
  coordinates: z.record(z.string(), z.unknown()).nullish(),
});

/** securityData.securityIssues[] (ApiSecurityIssueDTO). `severity` is the CVSS score IQ uses. */
export const securityIssueSchema = z.looseObject({
  source: text,
  reference: z.string().min(1),
  severity: maybeNumber,
  status: text,
  url: text,
  threatCategory: text,
  cwe: z.union([z.string(), z.number()]).nullish(),
  cvssVector: text,
  cvssVectorSource: text,
  analysis: z.looseObject({ state: text, justification: text, detail: text }).nullish(),
});

/** What raw and policy components share: identity and where IQ found the component. */
const componentBase = {
  hash: text,
  componentIdentifier: componentIdentifierSchema.nullish(),
  packageUrl: text,
  displayName: text,
  proprietary: z.boolean().nullish(),
  matchState: text,
  pathnames: z.array(z.string()).nullish(),
};

export const rawComponentSchema = z.looseObject({
  ...componentBase,
  securityData: z.looseObject({ securityIssues: z.array(z.unknown()).nullish() }).nullish(),
});

export const violationSchema = z.looseObject({
  policyId: text,
  policyName: text,
  policyViolationId: text,
  policyThreatCategory: text,
  policyThreatLevel: maybeNumber,
  waived: z.boolean().nullish(),
  waivedWithAutoWaiver: z.boolean().nullish(),
  grandfathered: z.boolean().nullish(),
  legacyViolation: z.boolean().nullish(),
  constraints: z
    .array(
      z.looseObject({
        constraintId: text,
        constraintName: text,
        conditions: z.array(z.looseObject({ conditionSummary: text, conditionReason: text })).nullish(),
      }),
    )
    .nullish(),
});

export const policyComponentSchema = z.looseObject({
  ...componentBase,
  violations: z.array(z.unknown()).nullish(),
});

const applicationSchema = z.looseObject({ id: text, publicId: z.string().min(1), name: text, organizationId: text });

/** A body with IQ's `componentIdentifier` on its components is IQ's; CycloneDX has `bomFormat` instead. */
const hasIqComponents = (components: unknown[]): boolean =>
  components.some((c) => typeof c === 'object' && c !== null && 'componentIdentifier' in c);

/**
 * Raw report data: `components[]` plus `matchSummary` (always sent by IQ), or — for a trimmed body
 * without it — at least one component carrying `componentIdentifier`.
 */
export const rawReportSchema = z
  .looseObject({
    components: z.array(z.unknown()),
    matchSummary: z.looseObject({ totalComponentCount: z.number().optional(), knownComponentCount: z.number().optional() }).optional(),
  })
  // A policy report (with `application`) and a CycloneDX BOM (with `bomFormat`) are not raw data.
  .refine((doc) => !('application' in doc) && !('bomFormat' in doc) && (doc.matchSummary !== undefined || hasIqComponents(doc.components)));

/** Policy report data: the application, the report time and components with `violations[]`. */
export const policyReportSchema = z.looseObject({
  application: applicationSchema,
  reportTime: z.union([z.number(), z.string()]),
  components: z.array(z.unknown()),
  reportTitle: text,
  initiator: text,
});

export const BRIDGE_DOCUMENT_KIND = 'nexus-iq-evaluation';

/** The `scanhub` marker of the bridge document: which application evaluation it holds. */
export const bridgeMarkerSchema = z.looseObject({
  kind: z.literal(BRIDGE_DOCUMENT_KIND),
  version: z.literal(1),
  applicationPublicId: z.string().min(1),
  applicationId: z.string().nullish(),
  stage: z.string().min(1),
  scanId: z.string().min(1),
  /** When IQ evaluated the application (ISO 8601). */
  reportTime: z.string().nullish(),
  reportHtmlUrl: z.string().nullish(),
  /** IQ's product version from its `Server` header, when it sent one. */
  serverVersion: z.string().nullish(),
});

/** What `client.pull()` returns and the `nexus-iq-evaluation` format reads: raw + policy of one scan. */
export const bridgeDocumentSchema = z.looseObject({
  scanhub: bridgeMarkerSchema,
  raw: z.looseObject({ components: z.array(z.unknown()) }),
  policy: z.looseObject({ components: z.array(z.unknown()) }).nullish(),
});

export type SecurityIssue = z.infer<typeof securityIssueSchema>;
export type RawComponent = z.infer<typeof rawComponentSchema>;
export type PolicyComponent = z.infer<typeof policyComponentSchema>;
export type Violation = z.infer<typeof violationSchema>;
export type ComponentIdentifier = z.infer<typeof componentIdentifierSchema>;
export type BridgeMarker = z.infer<typeof bridgeMarkerSchema>;
export type BridgeDocument = z.infer<typeof bridgeDocumentSchema>;
