// A fake Nexus IQ Server on 127.0.0.1 (contract B.0–B.3): application lookup, evaluations that stay
// PENDING for N polls and then complete with a new report, latest reports per stage, raw report data
// served from the corpus and policy data derived from it, HTTP Basic (401), 403, 404 for unknown
// applications, and misbehaviour on demand (429 storms with Retry-After, 500s, slowness, malformed
// JSON). Every request is recorded (test/fakes/http.ts).
import { randomUUID } from 'node:crypto';
import { startRecordingServer, type FakeServer, type RecordedRequest, type ScriptedReply } from '../http.js';
import { IQ_CORPUS, iqCorpusJson } from './corpus.js';

export interface FakeIqBehaviour {
  /** The next `count` requests get 429 with Retry-After: retryAfterSeconds. */
  storm429?: { count: number; retryAfterSeconds: number };
  /** The next n requests get 500. */
  fail500?: number;
  slowMs?: number;
  /** Successful responses carry a truncated JSON body. */
  malformedJson?: boolean;
  /** Authenticated users lack View IQ Elements: every API call answers 403. */
  forbidden?: boolean;
}

export interface FakeIqApplication {
  id: string;
  publicId: string;
  name: string;
  /** The corpus raw-data file its reports serve (default many_vulns.json). */
  corpusFile?: string;
  /** Security issue references whose policy violations are waived. */
  waived?: string[];
}

export interface FakeIqOptions {
  user?: string;
  token?: string;
  applications?: FakeIqApplication[];
  /** Stages with a report already at start, per application public id (default: build for each). */
  initialStages?: string[];
  /** Status polls an evaluation answers PENDING before COMPLETED (default 2). */
  pendingPolls?: number;
  /** Evaluations end FAILED with this reason instead. */
  failEvaluations?: string;
  behaviour?: FakeIqBehaviour;
}

interface FakeReport {
  scanId: string;
  stage: string;
  evaluationDate: string;
}

export interface FakeNexusIq extends FakeServer {
  user: string;
  token: string;
  applications: FakeIqApplication[];
  /** Latest report per `publicId/stage`. */
  reports: Map<string, FakeReport>;
  /** Evaluations requested (ticket id → state). */
  evaluations: Map<string, { applicationId: string; stage: string; polls: number; report?: FakeReport }>;
  setBehaviour(b: FakeIqBehaviour): void;
}

const SERVER_HEADER = 'NexusIQ/1.204.2-01';

/** Sonatype's reference security policies (contract B.4): CVSS band → policy name and threat level. */
function securityPolicy(score: number): { name: string; level: number } {
  if (score >= 9) return { name: 'Security-Critical', level: 10 };
  if (score >= 7) return { name: 'Security-High', level: 9 };
  if (score >= 4) return { name: 'Security-Medium', level: 7 };
  return { name: 'Security-Low', level: 3 };
}

type RawComponent = Record<string, unknown> & { securityData?: { securityIssues?: { reference: string; severity?: number }[] } | null };

/** Policy report data for a raw body: one security violation per security issue per component. */
export function policyReportFor(app: FakeIqApplication, raw: { components: RawComponent[] }, reportTime: number): object {
  let n = 0;
  return {
    application: { id: app.id, publicId: app.publicId, name: app.name, organizationId: 'org-1' },
    reportTime,
    reportTitle: `${app.name} report`,
    initiator: 'fake-iq',
    counts: { totalComponentCount: raw.components.length, exactlyMatchedComponentCount: raw.components.length, partiallyMatchedComponentCount: 0, grandfatheredPolicyViolationCount: 0 },
    components: raw.components.map(({ securityData, licenseData: _licence, ...component }) => ({
      ...component,
      violations: (securityData?.securityIssues ?? []).map((issue) => {
        const policy = securityPolicy(issue.severity ?? 0);
        n += 1;
        return {
          policyId: policy.name.toLowerCase(), policyName: policy.name, policyViolationId: `violation-${n}`,
          policyThreatCategory: 'SECURITY', policyThreatLevel: policy.level,
          waived: (app.waived ?? []).includes(issue.reference), grandfathered: false, legacyViolation: false,
          constraints: [{ constraintId: 'c-1', constraintName: `${policy.name} CVSS`, conditions: [{ conditionSummary: 'Security Vulnerability Severity in band', conditionReason: `Found security vulnerability ${issue.reference} with severity ${issue.severity ?? 0}.` }] }],
        };
      }),
    })),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startFakeNexusIq(options: FakeIqOptions = {}): Promise<FakeNexusIq> {
  const user = options.user ?? 'scanhub-bot';
  const token = options.token ?? randomUUID();
  const applications = options.applications ?? [{ id: '4537e6fe68c24dd5ac83efd97d4fc2f4', publicId: 'MyApplicationID', name: 'MyApplication' }];
  const reports = new Map<string, FakeReport>();
  const evaluations = new Map<string, { applicationId: string; stage: string; polls: number; report?: FakeReport }>();
  let behaviour: FakeIqBehaviour = {};
  let remaining = { storm429: 0, fail500: 0 };
  const setBehaviour = (b: FakeIqBehaviour) => {
    behaviour = { ...b };
    remaining = { storm429: b.storm429?.count ?? 0, fail500: b.fail500 ?? 0 };
  };
  setBehaviour(options.behaviour ?? {});
  const newReport = (app: FakeIqApplication, stage: string): FakeReport => {
    const report = { scanId: randomUUID().replace(/-/g, ''), stage, evaluationDate: new Date().toISOString() };
    reports.set(`${app.publicId}/${stage}`, report);
    return report;
  };
  for (const app of applications) for (const stage of options.initialStages ?? ['build']) newReport(app, stage);

  const json = (status: number, body: unknown, headers: Record<string, string> = {}): ScriptedReply => {
    let text = JSON.stringify(body);
    if (behaviour.malformedJson && status < 300) text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    return { status, body: text, headers: { 'Content-Type': 'application/json', Server: SERVER_HEADER, ...headers } };
  };
  const reportUrls = (app: FakeIqApplication, r: FakeReport) => ({
    reportHtmlUrl: `ui/links/application/${app.publicId}/report/${r.scanId}`,
    reportPdfUrl: `ui/links/application/${app.publicId}/report/${r.scanId}/pdf`,
    reportDataUrl: `api/v2/applications/${app.publicId}/reports/${r.scanId}/raw`,
    embeddableReportHtmlUrl: `ui/links/application/${app.publicId}/report/${r.scanId}/embeddable`,
  });

  function route(method: string, url: URL, body: unknown): ScriptedReply {
    const path = url.pathname;
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/api/v2/applications') {
      const publicId = url.searchParams.get('publicId');
      const list = applications.filter((a) => publicId === null || a.publicId === publicId);
      return json(200, { applications: list.map((a) => ({ id: a.id, publicId: a.publicId, name: a.name, organizationId: 'org-1', contactUserName: null, applicationTags: [] })) });
    }
    if (method === 'GET' && (m = /^\/api\/v2\/reports\/applications\/([^/]+)$/.exec(path))) {
      const app = applications.find((a) => a.id === decodeURIComponent(m![1]!));
      if (!app) return json(404, { message: 'Application not found' });
      const list = [...reports.entries()].filter(([key]) => key.startsWith(`${app.publicId}/`)).map(([, r]) => ({
        applicationId: app.id, evaluationDate: r.evaluationDate, stage: r.stage, latestReportHtmlUrl: `ui/links/application/${app.publicId}/latestReport`, ...reportUrls(app, r),
      }));
      return json(200, list);
    }
    if (method === 'GET' && (m = /^\/api\/v2\/applications\/([^/]+)\/reports\/([^/]+)\/(raw|policy)$/.exec(path))) {
      const app = applications.find((a) => a.publicId === decodeURIComponent(m![1]!));
      const report = app && [...reports.values()].find((r) => r.scanId === m![2] && reports.get(`${app.publicId}/${r.stage}`) === r);
      if (!app || !report) return json(404, { message: 'Report not found' });
      const raw = iqCorpusJson<{ components: RawComponent[] }>(app.corpusFile ?? IQ_CORPUS.many);
      return json(200, m[3] === 'raw' ? raw : policyReportFor(app, raw, Date.parse(report.evaluationDate)));
    }
    if (method === 'POST' && (m = /^\/api\/v2\/evaluation\/applications\/([^/]+)\/(sourceControlEvaluation|promoteScan)$/.exec(path))) {
      const app = applications.find((a) => a.id === decodeURIComponent(m![1]!));
      if (!app) return json(404, { message: 'Application not found' });
      const b = (body ?? {}) as { stageId?: unknown; targetStageId?: unknown };
      const stage = m[2] === 'promoteScan' ? b.targetStageId : b.stageId;
      if (typeof stage !== 'string' || !stage) return json(400, { message: 'stageId / targetStageId is required' });
      const id = randomUUID();
      evaluations.set(id, { applicationId: app.id, stage, polls: 0 });
      return json(200, { statusUrl: `api/v2/evaluation/applications/${app.id}/status/${id}` });
    }
    if (method === 'GET' && (m = /^\/api\/v2\/evaluation\/applications\/([^/]+)\/status\/([^/]+)$/.exec(path))) {
      const evaluation = evaluations.get(m[2]!);
      const app = applications.find((a) => a.id === decodeURIComponent(m![1]!));
      if (!evaluation || !app || evaluation.applicationId !== app.id) return json(404, { message: 'Evaluation not found' });
      evaluation.polls += 1;
      if (evaluation.polls <= (options.pendingPolls ?? 2)) return json(200, { status: 'PENDING' });
      if (options.failEvaluations) return json(200, { status: 'FAILED', reason: options.failEvaluations });
      // The first COMPLETED poll stores a new report: it becomes the stage's latest.
      evaluation.report ??= newReport(app, evaluation.stage);
      return json(200, { status: 'COMPLETED', reason: null, ...reportUrls(app, evaluation.report) });
    }
    return json(404, { message: 'Not Found' });
  }

  const server = await startRecordingServer(async (request: RecordedRequest) => {
    if (behaviour.slowMs) await sleep(behaviour.slowMs);
    if (remaining.storm429 > 0) {
      remaining.storm429 -= 1;
      return json(429, { message: 'Too Many Requests' }, { 'Retry-After': String(behaviour.storm429?.retryAfterSeconds ?? 1) });
    }
    if (remaining.fail500 > 0) {
      remaining.fail500 -= 1;
      return json(500, { message: 'Internal Server Error' });
    }
    const expected = `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
    if (request.headers.authorization !== expected) return { status: 401, body: '', headers: { 'WWW-Authenticate': 'BASIC realm="Sonatype Nexus IQ Server"', Server: SERVER_HEADER } };
    if (behaviour.forbidden) return json(403, { message: 'User does not have permission' });
    return route(request.method, new URL(request.path, 'http://fake'), request.json);
  });
  return { ...server, user, token, applications, reports, evaluations, setBehaviour };
}
