// Policies: PUT/GET per project (YAML body or {"policy": "<yaml>"}), history with diffs, the
// organisation default, and a dry run of a candidate policy over stored submissions.
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { assessSubmission } from '../../assess/assess.js';
import { effectivePolicy } from '../../assess/policies.js';
import { parsePolicy, PolicyError, type PolicyProblem } from '../../domain/policy/parse.js';
import type { Policy } from '../../domain/policy/schema.js';
import { lineDiff } from '../../domain/text-diff.js';
import { policyHistory, savePolicy } from '../../store/repositories/policies.js';
import { getProject, type Project } from '../../store/repositories/projects.js';
import type { Database } from '../../store/db.js';
import type { TokenIdentity } from '../../security/tokens.js';
import { authorize, identity } from '../middleware/auth.js';
import type { AppDeps } from '../deps.js';

export const dryRunQuery = z.object({ last: z.coerce.number().int().min(1).max(100).default(10) });

const yamlBody = express.text({ type: ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'], limit: '256kb' });

/** The policy text of a request: a YAML body, or JSON {"policy": "<yaml>"}. */
function policyText(req: Request): string {
  if (typeof req.body === 'string') return req.body;
  const parsed = z.object({ policy: z.string().min(1) }).safeParse(req.body);
  if (!parsed.success) throw new AppError('VALIDATION_FAILED', 'Send the policy as YAML (Content-Type: application/yaml) or JSON {"policy": "<yaml>"}.');
  return parsed.data.policy;
}

/** The problems of a candidate policy (empty when valid), each with its line and column where known. */
export function policyProblems(text: string): PolicyProblem[] {
  try {
    parsePolicy(text);
    return [];
  } catch (error) {
    if (error instanceof PolicyError) return error.problems;
    throw error;
  }
}

function validated(text: string) {
  try {
    return parsePolicy(text);
  } catch (error) {
    if (error instanceof PolicyError) throw new AppError('POLICY_INVALID', error.message, { problems: error.problems });
    throw error;
  }
}

/** Saves a new version of a project's policy (or the organisation's, project undefined) after checking who may. */
export async function writePolicy(db: Database, id: TokenIdentity, project: Project | undefined, text: string) {
  authorize(id, 'policy.write', project?.id);
  if (!project && id.projectId) throw new AppError('FORBIDDEN', 'A project-scoped token cannot change the organisation policy.');
  validated(text);
  return db.transaction((tx) => savePolicy(tx, project?.id ?? null, text, `token:${id.name}`));
}

/** Versions newest first, each with its diff against the version before it. */
export async function policyVersionsWithDiffs(db: Database, projectId: string | null, page?: { limit: number; offset: number }) {
  // One version more than shown: the oldest shown needs its predecessor for the diff.
  const versions = await policyHistory(db, projectId, page && { limit: page.limit + 1, offset: page.offset });
  const shown = page ? versions.slice(0, page.limit) : versions;
  return { items: shown.map((v, i) => ({ ...v, diff: lineDiff(versions[i + 1]?.source ?? '', v.source) })), more: versions.length > shown.length };
}

/** Re-assesses the project's last `limit` submissions under a candidate policy; read-only. */
export async function dryRunPolicy(db: Database, projectId: string, policy: Policy, limit: number, at: Date) {
  const { rows } = await db.query<{ id: string; ref: string; target_ref: string | null; tools: string[]; verdict: { outcome: string } | null; created_at: Date }>(
    // Only submissions that still hold their findings (retention, migration 0018) can be re-assessed.
    `SELECT id, ref, target_ref, tools, verdict, created_at FROM submissions WHERE project_id = $1 AND detail_pruned_at IS NULL ORDER BY created_at DESC LIMIT $2`,
    [projectId, limit],
  );
  const items = [];
  // Read-only: every submission is re-assessed with the candidate, nothing is written.
  for (const s of rows) {
    const verdict = await assessSubmission(db, {
      projectId,
      submissionId: s.id,
      ref: s.ref,
      targetRef: s.target_ref,
      toolsRun: s.tools,
      policy: { policy, id: null, version: null, origin: 'candidate' },
      now: at,
    });
    items.push({
      submissionId: s.id,
      ref: s.ref,
      createdAt: new Date(s.created_at).toISOString(),
      current: s.verdict?.outcome ?? null,
      candidate: verdict.outcome,
      changed: (s.verdict?.outcome ?? null) !== verdict.outcome,
      verdict,
    });
  }
  return items;
}

export function policyRoutes(deps: AppDeps): Router {
  const { db } = deps;
  const now = () => deps.now?.() ?? new Date();
  const router = Router();

  router.put(['/projects/:project/policy', '/policy'], yamlBody, async (req, res) => {
    const id = identity(res);
    const project = typeof req.params.project === 'string' ? await getProject(db, req.params.project, deps.lookups?.projects) : undefined;
    authorize(id, 'policy.write', project?.id);
    const { policy, changed } = await writePolicy(db, id, project, policyText(req));
    res.status(changed ? 201 : 200).json(policy);
  });

  router.get('/projects/:project/policy', async (req, res) => {
    const id = identity(res);
    const project = await getProject(db, req.params.project, deps.lookups?.projects);
    authorize(id, 'read', project.id);
    const effective = await effectivePolicy(db, project.id);
    if (req.accepts(['json', 'application/yaml']) === 'application/yaml') {
      res.type('application/yaml').send(effective.source);
      return;
    }
    res.json({ origin: effective.origin, id: effective.id, version: effective.version, source: effective.source, policy: effective.policy });
  });

  router.get(['/projects/:project/policy/history', '/policy/history'], async (req, res) => {
    const id = identity(res);
    const project = typeof req.params.project === 'string' ? await getProject(db, req.params.project, deps.lookups?.projects) : undefined;
    authorize(id, 'read', project?.id);
    res.json({ items: (await policyVersionsWithDiffs(db, project?.id ?? null)).items });
  });

  router.post('/projects/:project/policy/dry-run', yamlBody, async (req, res) => {
    const id = identity(res);
    const project = await getProject(db, req.params.project, deps.lookups?.projects);
    authorize(id, 'read', project.id);
    const text = policyText(req);
    const policy = validated(text);
    const limit = dryRunQuery.parse(req.query).last;
    res.json({ items: await dryRunPolicy(db, project.id, policy, limit, now()) });
  });

  // Validation only (the editor checks as the person types): problems with line and column, nothing saved.
  router.post('/policy/validate', yamlBody, async (req, res) => {
    authorize(identity(res), 'read');
    const problems = policyProblems(policyText(req));
    res.json({ valid: problems.length === 0, problems });
  });
  return router;
}
