// Browse pages: overview, project, submission, findings explorer, finding, triage (one module each).
import { Router } from 'express';
import type { AppDeps } from '../../../http/deps.js';
import { findingPage } from './finding.js';
import { findingsPage } from './findings.js';
import { overviewPage } from './overview.js';
import { projectPage } from './project.js';
import { submissionPage } from './submission.js';
import { triagePage } from './triage.js';

export function browsePages(deps: AppDeps): Router {
  const router = Router();
  router.use(overviewPage(deps));
  router.use(projectPage(deps));
  router.use(submissionPage(deps));
  router.use(findingsPage(deps));
  router.use(findingPage(deps));
  router.use(triagePage(deps));
  return router;
}
