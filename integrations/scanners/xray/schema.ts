// The Xray bodies ScanHub reads as reports, recognised by their top-level keys; items are read
// defensively in the readers. Status, entitlement, report-status and webhook-envelope bodies of the
// Xray/Artifactory APIs are not reports and match none of these.
import { z } from 'zod';

export const summarySchema = z.looseObject({ artifacts: z.array(z.looseObject({ general: z.unknown(), issues: z.unknown() })) });
export const graphScanSchema = z.looseObject({ scan_id: z.string().optional(), vulnerabilities: z.array(z.unknown()).optional(), violations: z.array(z.unknown()).optional(), component_id: z.string().optional(), package_type: z.string().optional() });
export const violationsListSchema = z.looseObject({ total_violations: z.number(), violations: z.array(z.unknown()) });
export const violationDetailsSchema = z.looseObject({ violation_id: z.string(), issue_id: z.string(), infected_components: z.array(z.unknown()) });
export const reportRowsSchema = z.looseObject({ total_rows: z.number(), rows: z.array(z.unknown()) });
export const securityExportSchema = z.looseObject({ total_count: z.number(), data: z.array(z.unknown()) });
export const webhookIssuesSchema = z.looseObject({ watch_name: z.string(), policy_name: z.string(), issues: z.array(z.unknown()) });
export const buildScanSchema = z.looseObject({ build_name: z.string(), build_number: z.string(), status: z.string(), vulnerabilities: z.array(z.unknown()).optional() });
