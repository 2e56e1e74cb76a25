// One conditional download: If-None-Match / If-Modified-Since from the last stored validators, a
// deadline over the whole exchange, a size limit enforced while reading (the fetch is aborted once
// exceeded) and a truncation check against Content-Length.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { AxiosInstance } from 'axios';

export class FetchError extends Error {
  override name = 'FetchError';
}

export type FetchResult =
  | { url: string; status: 'not-modified' }
  | { url: string; status: 'ok'; body: Buffer; etag: string | null; lastModified: string | null; checksum: string };

export interface FetchOptions {
  etag?: string | null | undefined;
  lastModified?: string | null | undefined;
  timeoutMs: number;
  maxBytes: number;
}

/** A URL without credentials or query, for messages and logs. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

export async function fetchConditional(http: AxiosInstance, url: string, options: FetchOptions): Promise<FetchResult> {
  const shown = displayUrl(url);
  const controller = new AbortController();
  let timedOut = false;
  let stream: Readable | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
    stream?.destroy(new Error('timeout'));
  }, options.timeoutMs);
  const headers: Record<string, string> = { Accept: '*/*' };
  if (options.etag) headers['If-None-Match'] = options.etag;
  if (options.lastModified) headers['If-Modified-Since'] = options.lastModified;
  try {
    let response;
    try {
      response = await http.get<Readable>(url, {
        headers,
        responseType: 'stream',
        signal: controller.signal,
        timeout: options.timeoutMs,
        validateStatus: () => true,
      });
    } catch (error) {
      if (timedOut) throw new FetchError(`GET ${shown}: no answer within ${options.timeoutMs} ms`);
      throw new FetchError(`GET ${shown}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const data = response.data;
    stream = data;
    if (response.status === 304) {
      data.resume();
      return { url, status: 'not-modified' };
    }
    if (response.status !== 200) {
      data.resume();
      throw new FetchError(`GET ${shown}: HTTP ${response.status}`);
    }
    const header = (name: string): string | null => {
      const v: unknown = response.headers[name];
      return typeof v === 'string' && v ? v : null;
    };
    const declared = header('content-length');
    // axios decompresses Content-Encoding; the declared length then describes the compressed bytes.
    const encoded = header('content-encoding') !== null && header('content-encoding') !== 'identity';
    if (declared !== null && Number(declared) > options.maxBytes) {
      data.destroy();
      throw new FetchError(`GET ${shown}: ${declared} bytes is larger than the limit of ${options.maxBytes} bytes`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    await new Promise<void>((resolve, reject) => {
      data.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          // Rejected first: destroying the stream emits 'aborted'/'error', which must not win.
          reject(new FetchError(`GET ${shown}: the body exceeds the limit of ${options.maxBytes} bytes; aborted`));
          data.destroy();
          controller.abort();
          return;
        }
        chunks.push(chunk);
      });
      data.on('end', resolve);
      data.on('aborted', () => reject(new FetchError(`GET ${shown}: the connection closed before the body was complete (truncated)`)));
      data.on('error', (error: NodeJS.ErrnoException) =>
        reject(
          new FetchError(
            timedOut ? `GET ${shown}: the download did not finish within ${options.timeoutMs} ms` : `GET ${shown}: the body could not be read (${error.code ?? error.message}; truncated?)`,
          ),
        ),
      );
    });
    const body = Buffer.concat(chunks);
    if (declared !== null && !encoded && body.length !== Number(declared)) {
      throw new FetchError(`GET ${shown}: received ${body.length} of ${declared} bytes (truncated)`);
    }
    return { url, status: 'ok', body, etag: header('etag'), lastModified: header('last-modified'), checksum: sha256(body) };
  } finally {
    clearTimeout(timer);
  }
}
