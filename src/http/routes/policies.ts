// Policies: PUT/GET per project (YAML body or {"policy": "<yaml>"}), history with diffs, the
// organisation default, and a dry run of a candidate policy over stored submissions.
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { assessSubmission } from '../../assess/assess.js';
import { effectivePolicy } from '../../assess/policies.js';
import { parsePolicy, PolicyError } from '../../domain/policy/parse.js';
import { lineDiff } from '../../domain/text-diff.js';
import { policyHistory, savePolicy } from '../../store/repositories/policies.js';
import { getProject } from '../../store/repositories/projects.js';
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

function validated(text: string) {
  try {
    return parsePolicy(text);
  } catch (error) {
    if (error instanceof PolicyError) throw new AppError('POLICY_INVALID', error.message, { problems: error.problems });
    throw error;
  }
}

export function policyRoutes(deps: AppDeps): Router {
  const { db } = deps;
  const now = () => deps.now?.() ?? new Date();
  const router = Router();

  const history = (versions: Awaited<ReturnType<typeof policyHistory>>) =>
    versions.map((v, i) => ({ ...v, diff: lineDiff(versions[i + 1]?.source ?? '', v.source) }));

  router.put(['/projects/:project/policy', '/policy'], yamlBody, async (req, res) => {
    const id = identity(res);
    const project = typeof req.params.project === 'string' ? await getProject(db, req.params.project) : undefined;
    authorize(id, 'policy.write', project?.id);
    if (!project && id.projectId) throw new AppError('FORBIDDEN', 'A project-scoped token cannot change the organisation policy.');
    const text = policyText(req);
    validated(text);
    const { policy, changed } = await db.transaction((tx) => savePolicy(tx, project?.id ?? null, text, `token:${id.name}`));
    res.status(changed ? 201 : 200).json(policy);
  });

  router.get('/projects/:project/policy', async (req, res) => {
    const id = identity(res);
    const project = await getProject(db, req.params.project);
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
    const project = typeof req.params.project === 'string' ? await getProject(db, req.params.project) : undefined;
    authorize(id, 'read', project?.id);
    res.json({ items: history(await policyHistory(db, project?.id ?? null)) });
  });

  router.post('/projects/:project/policy/dry-run', yamlBody, async (req, res) => {
    const id = identity(res);
    const project = await getProject(db, req.params.project);
    authorize(id, 'read', project.id);
    const text = policyText(req);
    const policy = validated(text);
    const limit = dryRunQuery.parse(req.query).last;
    const { rows } = await db.query<{ id: string; ref: string; target_ref: string | null; tools: string[]; verdict: { outcome: string } | null; created_at: Date }>(
      `SELECT id, ref, target_ref, tools, verdict, created_at FROM submissions WHERE project_id = $1 ORDER BY created_at DESC LIMIT $2`,
      [project.id, limit],
    );
    const at = now();
    const items = [];
    // Read-only: every submission is re-assessed with the candidate, nothing is written.
    for (const s of rows) {
      const verdict = await assessSubmission(db, {
        projectId: project.id,
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
    res.json({ items });
  });
  return router;
}
