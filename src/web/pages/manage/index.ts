// Manage pages: policies, alert rules and channels, vulnerability data, admin.
import { Router } from 'express';
import type { AppDeps } from '../../../http/deps.js';
import { adminPages } from './admin.js';
import { alertPages } from './alerts.js';
import { dataPages } from './data.js';
import { policyPages } from './policies.js';

export function managePages(deps: AppDeps): Router {
  const router = Router();
  router.use(policyPages(deps));
  router.use(alertPages(deps));
  router.use(dataPages(deps));
  router.use(adminPages(deps));
  return router;
}
