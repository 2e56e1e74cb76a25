// `scanhub submit`: multipart upload of report files to the API (axios), with a verdict-ready result.
import { readFile } from 'node:fs/promises';
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

export type SubmitOutcome = { ok: true; body: unknown } | { ok: false; exitCode: number; message: string };

export async function submitReports(opts: SubmitOptions): Promise<SubmitOutcome> {
  const form = new FormData();
  form.set('ref', opts.ref);
  if (opts.commit) form.set('commit', opts.commit);
  if (opts.tool) form.set('tool', opts.tool);
  if (opts.targetRef) form.set('targetRef', opts.targetRef);
  for (const file of opts.files) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      return { ok: false, exitCode: EXIT.usage, message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` };
    }
    form.append('report', new Blob([new Uint8Array(bytes)]), basename(file));
  }
  const endpoint = `${opts.url.replace(/\/+$/, '')}/api/v1/projects/${encodeURIComponent(opts.project)}/submissions`;
  try {
    const res = await axios.post(endpoint, form, {
      headers: { Authorization: `Bearer ${opts.token}`, ...(opts.idempotencyKey ? { 'Idempotency-Key': opts.idempotencyKey } : {}) },
      maxBodyLength: Infinity,
      timeout: 120_000,
    });
    return { ok: true, body: res.data };
  } catch (error) {
    const e = error as AxiosError<{ error?: { code?: string; message?: string } }>;
    if (e.response) {
      const body = e.response.data?.error;
      const message = `${e.response.status} ${body?.code ?? ''}: ${body?.message ?? e.message}`.trim();
      return { ok: false, exitCode: e.response.status >= 500 ? EXIT.error : EXIT.usage, message };
    }
    return { ok: false, exitCode: EXIT.error, message: `cannot reach ScanHub at ${opts.url}: ${e.code ?? e.message}` };
  }
}

/** GET the project's scan configuration as JSON or shell commands. */
export async function fetchScanConfig(opts: { url: string; token: string; project: string; format: 'json' | 'shell' }): Promise<{ ok: true; body: string } | { ok: false; exitCode: number; message: string }> {
  const endpoint = `${opts.url.replace(/\/+$/, '')}/api/v1/projects/${encodeURIComponent(opts.project)}/scan-config${opts.format === 'shell' ? '?format=shell' : ''}`;
  try {
    const res = await axios.get<string>(endpoint, { headers: { Authorization: `Bearer ${opts.token}` }, responseType: 'text', timeout: 30_000, transformResponse: (x: string) => x });
    return { ok: true, body: opts.format === 'json' ? JSON.stringify(JSON.parse(res.data), null, 2) + '\n' : res.data };
  } catch (error) {
    const e = error as AxiosError<string>;
    if (e.response) {
      let message = e.message;
      try {
        message = (JSON.parse(e.response.data) as { error: { message: string } }).error.message;
      } catch {
        // keep the transport message
      }
      return { ok: false, exitCode: e.response.status >= 500 ? EXIT.error : EXIT.usage, message: `${e.response.status}: ${message}` };
    }
    return { ok: false, exitCode: EXIT.error, message: `cannot reach ScanHub at ${opts.url}: ${e.code ?? e.message}` };
  }
}
