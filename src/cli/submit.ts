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
  files: string[];
}

export type SubmitOutcome = { ok: true; body: unknown } | { ok: false; exitCode: number; message: string };

export async function submitReports(opts: SubmitOptions): Promise<SubmitOutcome> {
  const form = new FormData();
  form.set('ref', opts.ref);
  if (opts.commit) form.set('commit', opts.commit);
  if (opts.tool) form.set('tool', opts.tool);
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
