// The OpenAPI 3.1 description of /api/v1, built from the route table (permissions.ts) and the same
// zod schemas the routes validate with. A test fails when a route has no entry here, and CI runs
// schemathesis against the served document.
import { z } from 'zod';
import { exceptionRequestSchema } from '../domain/exceptions.js';
import { scanConfigSchema } from '../domain/scan-config.js';
import { ERROR_CATALOGUE } from '../errors.js';
import { API_ROUTES, PERMISSIONS, type ApiRoute } from './permissions.js';
import { auditQuery, createTokenBody } from './routes/admin.js';
import { exceptionImportQuery, exceptionListQuery } from './routes/exceptions.js';
import { findingQuerySchema } from './routes/findings.js';
import { channelBody, channelPatchBody, integrationBody, verifyQuery } from './routes/integrations.js';
import { alertRuleRequest, channelTestBody, notificationQuery } from './routes/alerts.js';
import { dryRunQuery } from './routes/policies.js';
import { dataUpdateBody } from './routes/data.js';
import { projectReportQuery, reportQuery } from './routes/reports.js';
import { createProjectBody, updateProjectBody } from './routes/projects.js';
import { fieldsSchema } from './routes/submissions.js';
import { scanRequestBody } from './routes/scans.js';

type Body = { json: z.ZodType } | { yaml: true } | { multipart: z.ZodObject } | { anyText: true };

interface RouteDoc {
  summary: string;
  tag: string;
  body?: Body;
  query?: z.ZodObject;
  /** Success status → description (and the response content type, JSON unless said). */
  success: Record<number, string>;
  yamlResponse?: boolean;
  /** The body is a report file in the asked format. */
  reportResponse?: boolean;
}

const errorSchema = z.object({
  error: z.object({
    code: z.enum(Object.keys(ERROR_CATALOGUE) as [keyof typeof ERROR_CATALOGUE]),
    message: z.string(),
    requestId: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

const idOrName = { type: 'string', minLength: 1, maxLength: 200, description: 'Project name (e.g. team/app, URL-encoded) or id', examples: ['demo/shop'] } as const;
const uuid = { type: 'string', format: 'uuid' } as const;

export const ROUTE_DOCS: Record<string, RouteDoc> = {
  'POST /projects': { summary: 'Create a project', tag: 'projects', body: { json: createProjectBody }, success: { 201: 'The project' } },
  'GET /projects': { summary: 'List projects the token can see', tag: 'projects', success: { 200: 'Projects' } },
  'GET /projects/:project': { summary: 'One project', tag: 'projects', success: { 200: 'The project' } },
  'PATCH /projects/:project': { summary: "Set a project's tags (alert rules select projects by tag)", tag: 'projects', body: { json: updateProjectBody }, success: { 200: 'The project' } },
  'POST /projects/:project/submissions': {
    summary: 'Submit scanner reports (multipart: ref, commit, report files); returns the verdict',
    tag: 'submissions',
    body: { multipart: fieldsSchema },
    success: { 200: 'Replayed (same Idempotency-Key)', 201: 'The submission with counts and verdict', 202: 'Accepted for a worker (large upload or Prefer: respond-async): GET the submission for its status and verdict' },
  },
  'GET /submissions/:id': { summary: 'One submission', tag: 'submissions', success: { 200: 'The submission' } },
  'GET /submissions/:id/verdict': { summary: "A submission's verdict with per-rule findings", tag: 'submissions', success: { 200: 'The verdict' } },
  'GET /projects/:project/findings': { summary: "A project's findings, filtered and paged", tag: 'findings', query: findingQuerySchema, success: { 200: 'A page of findings' } },
  'PUT /projects/:project/policy': { summary: "Set a project's policy (YAML)", tag: 'policies', body: { yaml: true }, success: { 200: 'Unchanged', 201: 'A new version' } },
  'PUT /policy': { summary: 'Set the organisation policy (YAML)', tag: 'policies', body: { yaml: true }, success: { 200: 'Unchanged', 201: 'A new version' } },
  'GET /projects/:project/policy': { summary: "A project's effective policy", tag: 'policies', success: { 200: 'The policy' }, yamlResponse: true },
  'GET /projects/:project/policy/history': { summary: "A project's policy versions with diffs", tag: 'policies', success: { 200: 'Versions' } },
  'GET /policy/history': { summary: 'Organisation policy versions with diffs', tag: 'policies', success: { 200: 'Versions' } },
  'POST /projects/:project/policy/dry-run': {
    summary: 'Evaluate a policy against the last submissions without saving it',
    tag: 'policies',
    body: { yaml: true },
    query: dryRunQuery,
    success: { 200: 'Verdicts under the proposed policy' },
  },
  'POST /exceptions': { summary: 'Request (or, for security roles, grant) an exception', tag: 'exceptions', body: { json: exceptionRequestSchema }, success: { 201: 'The exception' } },
  'GET /exceptions': { summary: 'List exceptions (JSON or CycloneDX VEX)', tag: 'exceptions', query: exceptionListQuery, success: { 200: 'Exceptions' } },
  'GET /exceptions/:id': { summary: 'One exception', tag: 'exceptions', success: { 200: 'The exception' } },
  'POST /exceptions/:id/approve': { summary: 'Approve a pending exception', tag: 'exceptions', success: { 200: 'The exception' } },
  'POST /exceptions/:id/reject': { summary: 'Reject a pending exception', tag: 'exceptions', success: { 200: 'The exception' } },
  'POST /exceptions/:id/revoke': { summary: 'Revoke an exception', tag: 'exceptions', success: { 200: 'The exception' } },
  'POST /exceptions/import': {
    summary: 'Import .trivyignore.yaml, Dependency-Check suppressions, CycloneDX VEX or OpenVEX',
    tag: 'exceptions',
    body: { anyText: true },
    query: exceptionImportQuery,
    success: { 201: 'Imported exceptions' },
  },
  'PUT /projects/:project/scan-config': { summary: "Set a project's scan configuration", tag: 'scan-config', body: { json: scanConfigSchema }, success: { 200: 'The configuration' } },
  'PUT /scan-config': { summary: 'Set the organisation scan configuration', tag: 'scan-config', body: { json: scanConfigSchema }, success: { 200: 'The configuration' } },
  'GET /projects/:project/scan-config': { summary: "A project's effective scan configuration (JSON or ?format=shell)", tag: 'scan-config', success: { 200: 'The configuration' } },
  'POST /tokens': { summary: 'Create an API token (its value is shown once)', tag: 'admin', body: { json: createTokenBody }, success: { 201: 'The token' } },
  'GET /tokens': { summary: 'List tokens (never their values)', tag: 'admin', success: { 200: 'Tokens' } },
  'DELETE /tokens/:id': { summary: 'Revoke a token', tag: 'admin', success: { 204: 'Revoked' } },
  'GET /audit': { summary: 'The audit log, filtered', tag: 'admin', query: auditQuery, success: { 200: 'Entries' } },
  'GET /scanners': { summary: 'Scanner plugins and their formats', tag: 'projects', success: { 200: 'Plugins' } },
  'GET /submissions/:id/report': {
    summary: 'A submission as a report: html (default), pdf, json, csv, sarif, junit, gitlab-*, cyclonedx-vex',
    tag: 'reports',
    query: reportQuery,
    success: { 200: 'The report file' },
    reportResponse: true,
  },
  'GET /projects/:project/report': {
    summary: "A project's current state as a report, under the findings filters",
    tag: 'reports',
    query: projectReportQuery,
    success: { 200: 'The report file' },
    reportResponse: true,
  },
  'GET /integrations': { summary: 'All configured integrations (secrets masked)', tag: 'integrations', success: { 200: 'Integrations' } },
  'POST /integrations/:kind': { summary: 'Configure an integration (jfrog, gitlab, jenkins); secrets sealed at rest', tag: 'integrations', body: { json: integrationBody }, success: { 201: 'The integration' } },
  'GET /integrations/:kind': { summary: 'Integrations of one kind', tag: 'integrations', success: { 200: 'Integrations' } },
  'GET /integrations/:kind/:id': { summary: 'One integration (secrets masked)', tag: 'integrations', success: { 200: 'The integration' } },
  'PUT /integrations/:kind/:id': { summary: 'Replace settings; masked secrets sent back are kept', tag: 'integrations', body: { json: integrationBody }, success: { 200: 'The integration' } },
  'DELETE /integrations/:kind/:id': { summary: 'Remove an integration', tag: 'integrations', success: { 204: 'Removed' } },
  'POST /integrations/:kind/:id/verify': { summary: 'Check reachability, authentication and permission (each its own code)', tag: 'integrations', query: verifyQuery, success: { 200: 'The checks' } },
  'GET /channels': { summary: 'Notification channels (secrets masked)', tag: 'channels', success: { 200: 'Channels' } },
  'POST /channels': { summary: 'Add a channel (email, slack, teams, webhook, sms)', tag: 'channels', body: { json: channelBody }, success: { 201: 'The channel' } },
  'GET /channels/:id': { summary: 'One channel', tag: 'channels', success: { 200: 'The channel' } },
  'PUT /channels/:id': { summary: "Replace a channel's settings", tag: 'channels', body: { json: channelBody.partial({ type: true }) }, success: { 200: 'The channel' } },
  'DELETE /channels/:id': { summary: 'Remove a channel', tag: 'channels', success: { 204: 'Removed' } },
  'PATCH /channels/:id': { summary: "Change some of a channel's settings (others, and masked secrets, kept)", tag: 'channels', body: { json: channelPatchBody }, success: { 200: 'The channel' } },
  'POST /channels/:id/test': { summary: 'Send a test message through the channel', tag: 'channels', body: { json: channelTestBody }, success: { 200: 'Delivered' } },
  'POST /alert-rules': { summary: 'Create an alert rule', tag: 'alerts', body: { json: alertRuleRequest }, success: { 201: 'The rule' } },
  'GET /alert-rules': { summary: 'Alert rules', tag: 'alerts', success: { 200: 'Rules' } },
  'GET /alert-rules/:id': { summary: 'One alert rule', tag: 'alerts', success: { 200: 'The rule' } },
  'PUT /alert-rules/:id': { summary: 'Replace an alert rule', tag: 'alerts', body: { json: alertRuleRequest }, success: { 200: 'The rule' } },
  'DELETE /alert-rules/:id': { summary: 'Remove an alert rule', tag: 'alerts', success: { 204: 'Removed' } },
  'GET /notifications': { summary: 'Deliveries with their state (pending, deferred, sent, suppressed, dead) and reason', tag: 'alerts', query: notificationQuery, success: { 200: 'Deliveries' } },
  'POST /projects/:project/scans': { summary: 'Scan on demand through a bridge (Xray image, SonarQube branch, Nexus IQ stage)', tag: 'scans', body: { json: scanRequestBody }, success: { 202: 'The scan, queued: follow it at GET /scans/{id}' } },
  'GET /scans/:id': { summary: 'An on-demand scan: status, step, and the submission it produced or why it failed', tag: 'scans', success: { 200: 'The scan' } },
  'POST /policy/validate': { summary: 'Validate a policy (YAML) without saving it: each problem with its line and column', tag: 'policies', body: { yaml: true }, success: { 200: '{ valid, problems[] }' } },
  'POST /data/update': { summary: "Update ScanHub's vulnerability data (KEV, EPSS, OSV)", tag: 'data', body: { json: dataUpdateBody }, success: { 200: 'Per source: updated, unchanged or failed with the reason (installed data kept)' } },
  'GET /data/status': { summary: 'Vulnerability-data sources: version, dates, rows, sha256, age, staleness, last outcome', tag: 'data', success: { 200: 'Sources' } },
  'GET /data/sources': { summary: 'Same as GET /data/status', tag: 'data', success: { 200: 'Sources' } },
  'POST /notifications/:id/ack': { summary: 'Acknowledge an alert (stops its escalation)', tag: 'alerts', success: { 200: 'Acknowledged' } },
};

const ERROR_STATUSES = [400, 401, 403, 404, 409, 410, 413, 415, 422, 429, 502, 503] as const;

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

function parameters(route: ApiRoute, doc: RouteDoc): unknown[] {
  const params: unknown[] = [];
  for (const name of route.path.match(/:(\w+)/g) ?? []) {
    const key = name.slice(1);
    params.push({ name: key, in: 'path', required: true, schema: key === 'project' ? idOrName : key === 'kind' ? { type: 'string', enum: ['jfrog', 'gitlab', 'jenkins'] } : uuid });
  }
  if (doc.query) {
    const shape = jsonSchema(doc.query) as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, schema] of Object.entries(shape.properties ?? {})) {
      params.push({ name, in: 'query', required: shape.required?.includes(name) ?? false, schema });
    }
  }
  return params;
}

function requestBody(body: Body): unknown {
  if ('json' in body) return { required: true, content: { 'application/json': { schema: jsonSchema(body.json) } } };
  if ('yaml' in body) return { required: true, content: { 'application/yaml': { schema: { type: 'string' } }, 'text/plain': { schema: { type: 'string' } } } };
  if ('anyText' in body) return { required: true, content: { 'application/json': { schema: { type: 'object' } }, 'application/yaml': { schema: { type: 'string' } }, 'application/xml': { schema: { type: 'string' } } } };
  const fields = jsonSchema(body.multipart) as { properties: Record<string, unknown>; required?: string[] };
  return {
    required: true,
    content: {
      'multipart/form-data': {
        schema: {
          type: 'object',
          properties: { ...fields.properties, report: { type: 'array', items: { type: 'string', contentMediaType: 'application/octet-stream' }, minItems: 1 } },
          required: [...(fields.required ?? []), 'report'],
        },
      },
    },
  };
}

export function buildOpenApi(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of API_ROUTES) {
    const doc = ROUTE_DOCS[`${route.method} ${route.path}`];
    if (!doc) throw new Error(`No OpenAPI entry for ${route.method} ${route.path}`);
    const path = '/api/v1' + route.path.replace(/:(\w+)/g, '{$1}');
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(doc.success)) {
      responses[status] =
        status === '204'
          ? { description }
          : {
              description,
              content: {
                'application/json': { schema: { type: 'object' } },
                ...(doc.yamlResponse ? { 'application/yaml': { schema: { type: 'string' } } } : {}),
                ...(doc.reportResponse
                  ? {
                      'text/html': { schema: { type: 'string' } },
                      'application/pdf': { schema: { type: 'string', contentMediaType: 'application/pdf' } },
                      'text/csv': { schema: { type: 'string' } },
                      'application/xml': { schema: { type: 'string' } },
                      'application/sarif+json': { schema: { type: 'object' } },
                      'application/vnd.cyclonedx+json': { schema: { type: 'object' } },
                    }
                  : {}),
                ...(route.path === '/exceptions' ? { 'application/vnd.cyclonedx+json': { schema: { type: 'object' } } } : {}),
                ...(route.path.endsWith('scan-config') && route.method === 'GET' ? { 'text/plain': { schema: { type: 'string' } } } : {}),
              },
            };
    }
    for (const status of ERROR_STATUSES) {
      responses[status] = { description: 'A coded error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[:/{}-](\w)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: doc.summary,
      tags: [doc.tag],
      description: `Roles: ${PERMISSIONS[route.action].join(', ')}${route.projectScoped ? '; a project-scoped token only for its project' : ''}.`,
      parameters: parameters(route, doc),
      ...(doc.body ? { requestBody: requestBody(doc.body) } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'ScanHub API', version, description: 'Security findings hub: ingest, assess, triage, report, notify.' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token (shk_…) from `scanhub token create` or POST /api/v1/tokens. Without one, a GET that asks for HTML over JSON (a browser following a link) is redirected (303) to sign in; any other request is answered 401.' } },
      schemas: { Error: jsonSchema(errorSchema) },
    },
    paths,
  };
}
