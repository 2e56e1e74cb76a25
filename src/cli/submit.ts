// `scanhub submit`: multipart upload of report files to the API (axios), with a verdict-ready result.
import { constants, openAsBlob } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import axios, { AxiosError } from 'axios';
import { EXIT } from './exit-codes.js';

export interface SubmitOptions {
  url: string;
  token: string;
  project: string;
  ref: string;
  commit?: string | undefined;
  tool?: string | undefined;
  idempotencyKey?: string | undefined;
  targetRef?: string | undefined;
  files: string[];
}

/**
 * Adds a report file to the upload as a Blob backed by the file: the request streams it from disk, so
 * a 500 MB report is never held in the CLI's memory. Throws the file's error (ENOENT, EACCES, EISDIR).
 */
export async function appendReportFile(form: FormData, file: string): Promise<void> {
  await access(file, constants.R_OK);
  if ((await stat(file)).isDirectory()) throw Object.assign(new Error(`${file} is a directory`), { code: 'EISDIR' });
  form.append('report', await openAsBlob(file), basename(file));
}

/** Uploads do not follow redirects (see maxRedirects): say where the server points instead. */
export function redirectHint(res: { status: number; headers: Record<string, unknown> }): string {
  const location = res.headers.location;
  return res.status >= 300 && res.status < 400 ? ` (a redirect${typeof location === 'string' ? ` to ${location}` : ''}: set SCANHUB_URL to the address ScanHub is served at)` : '';
}

export type SubmitOutcome = { ok: true; body: unknown } | { ok: false; exitCode: number; message: string };

export async function submitReports(opts: SubmitOptions): Promise<SubmitOutcome> {
  const form = new FormData();
  form.set('ref', opts.ref);
  if (opts.commit) form.set('commit', opts.commit);
  if (opts.tool) form.set('tool', opts.tool);
  if (opts.targetRef) form.set('targetRef', opts.targetRef);
  for (const file of opts.files) {
    try {
      await appendReportFile(form, file);
    } catch (error) {
      return { ok: false, exitCode: EXIT.usage, message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` };
    }
  }
  const endpoint = `${opts.url.replace(/\/+$/, '')}/api/v1/projects/${encodeURIComponent(opts.project)}/submissions`;
  try {
    const res = await axios.post(endpoint, form, {
      headers: { Authorization: `Bearer ${opts.token}`, ...(opts.idempotencyKey ? { 'Idempotency-Key': opts.idempotencyKey } : {}) },
      maxBodyLength: Infinity,
      // follow-redirects keeps every byte sent to replay it on a redirect: the report would be held whole.
      maxRedirects: 0,
      timeout: 120_000,
    });
    return { ok: true, body: res.data };
  } catch (error) {
    const e = error as AxiosError<{ error?: { code?: string; message?: string } }>;
    if (e.response) {
      const body = e.response.data?.error;
      const message = `${e.response.status} ${body?.code ?? ''}: ${body?.message ?? e.message}${redirectHint(e.response)}`.trim();
      return { ok: false, exitCode: e.response.status >= 500 ? EXIT.error : EXIT.usage, message };
    }
    return { ok: false, exitCode: EXIT.error, message: `cannot reach ScanHub at ${opts.url}: ${e.code ?? e.message}` };
  }
}

/** GET the project's scan configuration as JSON or shell commands. */
type ApiResult<T> = { ok: true; body: T } | { ok: false; exitCode: number; message: string };

/** GET an API path with the CLI's token; errors become an exit code and the server's message. */
export async function apiGet(opts: { url: string; token: string; path: string }): Promise<ApiResult<Buffer>> {
  const endpoint = `${opts.url.replace(/\/+$/, '')}/api/v1${opts.path}`;
  try {
    const res = await axios.get<ArrayBuffer>(endpoint, { headers: { Authorization: `Bearer ${opts.token}` }, responseType: 'arraybuffer', timeout: 120_000 });
    return { ok: true, body: Buffer.from(res.data) };
  } catch (error) {
    const e = error as AxiosError<ArrayBuffer>;
    if (e.response) {
      let message = e.message;
      try {
        message = (JSON.parse(Buffer.from(e.response.data).toString('utf8')) as { error: { message: string } }).error.message;
      } catch {
        // keep the transport message
      }
      return { ok: false, exitCode: e.response.status >= 500 ? EXIT.error : EXIT.usage, message: `${e.response.status}: ${message}` };
    }
    return { ok: false, exitCode: EXIT.error, message: `cannot reach ScanHub at ${opts.url}: ${e.code ?? e.message}` };
  }
}

export async function fetchScanConfig(opts: { url: string; token: string; project: string; format: 'json' | 'shell' }): Promise<ApiResult<string>> {
  const result = await apiGet({ ...opts, path: `/projects/${encodeURIComponent(opts.project)}/scan-config${opts.format === 'shell' ? '?format=shell' : ''}` });
  if (!result.ok) return result;
  const text = result.body.toString('utf8');
  return { ok: true, body: opts.format === 'json' ? JSON.stringify(JSON.parse(text), null, 2) + '\n' : text };
}
