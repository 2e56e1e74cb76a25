// Helpers the manage pages share: the signed-in identity, page numbers, form bodies, and turning a
// zod error into messages next to the fields that caused them.
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { TokenIdentity } from '../../../security/tokens.js';
import { pageSession } from '../../page.js';

/** Form bodies: small, except the policy editor's YAML (the API accepts up to 256 kB). */
export const smallForm = express.urlencoded({ extended: false, limit: '16kb' });
export const policyForm = express.urlencoded({ extended: false, limit: '300kb' });

export const identityOf = (res: Response): TokenIdentity => pageSession(res).identity;
export const requestIdOf = (res: Response) => res.locals.requestId as string | undefined;

const pageNumber = z.coerce.number().int().min(1).max(10_000).catch(1);

/** ?<name>=N (1-based) → rows to skip and read; one row more than shown tells whether a next page exists. */
export function pageOf(req: Request, size: number, name = 'page') {
  const page = pageNumber.parse(req.query[name]);
  return { page, limit: size, offset: (page - 1) * size };
}

/** Links to the previous and next page, keeping the other query parameters. */
export function pager(req: Request, page: number, more: boolean, name = 'page') {
  const link = (n: number) => {
    const params = new URLSearchParams(req.query as Record<string, string>);
    params.set(name, String(n));
    return `${req.path}?${params.toString()}`;
  };
  return { page, prev: page > 1 ? link(page - 1) : null, next: more ? link(page + 1) : null };
}

/** One form field (the last value when a name repeats), trimmed; undefined when empty. */
export function field(body: unknown, name: string): string | undefined {
  const raw = (body as Record<string, unknown> | undefined)?.[name];
  const value = Array.isArray(raw) ? raw.at(-1) : raw;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Every value of a repeated form field (checkboxes). */
export function fields(body: unknown, name: string): string[] {
  const raw = (body as Record<string, unknown> | undefined)?.[name];
  return (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((v): v is string => typeof v === 'string' && v !== '');
}

/**
 * zod issues → { formField: message }. `paths` maps an issue path ("filters.severity") to the form
 * field that holds it; unmapped paths land on the first of their segments, then on "form".
 */
export function fieldErrors(error: z.ZodError, paths: Record<string, string> = {}, known: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.');
    const key = paths[path] ?? paths[String(issue.path[0])] ?? (known.includes(String(issue.path[0])) ? String(issue.path[0]) : 'form');
    out[key] = out[key] ? `${out[key]}; ${issue.message}` : `${path ? `${path}: ` : ''}${issue.message}`;
  }
  return out;
}

export const iso = (value: string | Date | null | undefined) => (value ? new Date(value).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : null);
