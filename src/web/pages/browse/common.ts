// Shared by the browse pages: the signed-in identity, the clock, query-string helpers and the
// small view formatters the templates need (the templates stay logic-free).
import type { Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../../http/deps.js';
import { authorize } from '../../../http/middleware/auth.js';
import type { TokenIdentity } from '../../../security/tokens.js';
import type { Queryable } from '../../../store/db.js';
import { getProject, type Project } from '../../../store/repositories/projects.js';
import { pageSession } from '../../page.js';

export const uuidSchema = z.string().uuid();

/** Who is looking at this page. */
export const viewer = (res: Response): TokenIdentity => pageSession(res).identity;

export const clock = (deps: AppDeps) => (): Date => deps.now?.() ?? new Date();

/** A project the viewer may read, by name or id (the same check as GET /api/v1/projects/:project). */
export async function readableProject(q: Queryable, id: TokenIdentity, nameOrId: string): Promise<Project> {
  const project = await getProject(q, nameOrId);
  authorize(id, 'read', project.id);
  return project;
}

/** The page URL of a project: names contain '/', so the whole name is one encoded segment. */
export const projectHref = (name: string) => `/projects/${encodeURIComponent(name)}`;

/** A link to the same page with some query parameters replaced (undefined/'' removes one). */
export function withQuery(path: string, current: Record<string, unknown>, changes: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...current, ...changes })) {
    if (v === undefined || v === '' || v === null) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, String(item));
    else params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** "2026-03-04 10:22 UTC": unambiguous, short, and the same for every viewer. */
export function when(iso: string | Date | null | undefined): string {
  if (!iso) return '';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return '';
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Whole days between two instants (for "open for N days"). */
export const daysBetween = (from: string | Date, to: Date) => Math.max(0, Math.floor((to.getTime() - new Date(from).getTime()) / 86_400_000));

/** Form values arrive as a string, an array (repeated fields) or not at all. */
export const formList = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : typeof value === 'string' && value ? [value] : []);
