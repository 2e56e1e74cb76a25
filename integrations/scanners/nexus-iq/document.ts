// The bridge document: what NexusIqClient.pull() hands the ingest pipeline and the `nexus-iq-evaluation`
// format reads — IQ's raw and policy report bodies of one application evaluation, unchanged, under a
// `scanhub` marker that says which application, stage and scan they belong to.
import { BRIDGE_DOCUMENT_KIND, type BridgeMarker } from './schema.js';

export interface BridgeDocumentInput {
  applicationPublicId: string;
  applicationId?: string | undefined;
  stage: string;
  scanId: string;
  /** ISO 8601, or epoch milliseconds as IQ's policy report `reportTime` gives it. */
  reportTime?: string | number | undefined;
  reportHtmlUrl?: string | undefined;
  serverVersion?: string | undefined;
  raw: unknown;
  policy?: unknown;
}

export interface NexusIqBridgeDocument {
  scanhub: BridgeMarker;
  raw: unknown;
  policy: unknown;
}

function isoTime(value: string | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function buildBridgeDocument(input: BridgeDocumentInput): NexusIqBridgeDocument {
  const reportTime = isoTime(input.reportTime);
  return {
    scanhub: {
      kind: BRIDGE_DOCUMENT_KIND,
      version: 1,
      applicationPublicId: input.applicationPublicId,
      ...(input.applicationId ? { applicationId: input.applicationId } : {}),
      stage: input.stage,
      scanId: input.scanId,
      ...(reportTime ? { reportTime } : {}),
      ...(input.reportHtmlUrl ? { reportHtmlUrl: input.reportHtmlUrl } : {}),
      ...(input.serverVersion ? { serverVersion: input.serverVersion } : {}),
    },
    raw: input.raw,
    policy: input.policy ?? null,
  };
}
