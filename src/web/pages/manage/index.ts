// Manage pages: policies, alert rules and channels, vulnerability data, admin.
import { Router } from 'express';
import type { AppDeps } from '../../../http/deps.js';

export function managePages(_deps: AppDeps): Router {
  return Router();
}
