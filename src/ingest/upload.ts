// Report bytes as uploaded → the report itself: gzip is inflated under a size cap and a ratio cap
// (a decompression bomb stops at the cap, not after filling memory); archives are refused.
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { AppError } from '../errors.js';

/** Scanner reports compress 5–50×; a ratio far beyond that is a bomb, not a report. */
export const MAX_GZIP_RATIO = 200;
const MIN_RATIO_FLOOR = 1024 * 1024;

const inflatesTooFar = (name: string, cap: number, maxSize: number) =>
  new AppError(
    'PAYLOAD_TOO_LARGE',
    cap < maxSize ? `${name} inflates more than ${MAX_GZIP_RATIO}× its compressed size: refused as a decompression bomb.` : `${name} inflates beyond the upload limit (SCANHUB_MAX_UPLOAD).`,
  );
const notGzip = (name: string, error: unknown) => new AppError('REPORT_MALFORMED', `${name} is not a valid gzip file: ${(error as Error).message}`);
const isZip = (b: Buffer) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && (b[2] === 0x03 || b[2] === 0x05);
const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
/** The ratio cap only bites above 1 MiB, so small, very regular reports still inflate. */
const inflateCap = (compressed: number, maxSize: number) => Math.min(maxSize, Math.max(MIN_RATIO_FLOOR, compressed * MAX_GZIP_RATIO));
const zipRefused = (name: string) => new AppError('UNSUPPORTED_MEDIA_TYPE', `${name} is a ZIP archive. Upload the report file itself (gzip is accepted).`);

export function decodeUpload(content: Buffer, filename: string | undefined, maxSize: number): Buffer {
  const name = filename ?? 'the report';
  if (isZip(content)) throw zipRefused(name);
  if (isGzip(content)) {
    const cap = inflateCap(content.length, maxSize);
    try {
      return gunzipSync(content, { maxOutputLength: cap });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw inflatesTooFar(name, cap, maxSize);
      throw notGzip(name, error);
    }
  }
  return content;
}

/** Bytes per stored chunk of an upload waiting for a worker. */
export const UPLOAD_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * A report file as decoded chunks, without reading it whole: gzip is inflated as a stream under the
 * same caps as decodeUpload (the upload limit, and MAX_GZIP_RATIO × the compressed size), ZIP refused.
 */
export async function* decodeUploadFile(path: string, filename: string | undefined, maxSize: number): AsyncGenerator<Buffer> {
  const name = filename ?? 'the report';
  const { size } = await stat(path);
  const head = Buffer.alloc(4);
  const fh = await open(path, 'r');
  try {
    await fh.read(head, 0, 4, 0);
  } finally {
    await fh.close();
  }
  if (isZip(head.subarray(0, Math.min(4, size)))) throw zipRefused(name);
  const file = createReadStream(path, { highWaterMark: 1024 * 1024 });
  if (!isGzip(head.subarray(0, Math.min(4, size)))) {
    yield* file as AsyncIterable<Buffer>;
    return;
  }
  const cap = inflateCap(size, maxSize);
  const gunzip = createGunzip();
  const inflated = file.pipe(gunzip);
  file.on('error', (e) => gunzip.destroy(e));
  let total = 0;
  try {
    for await (const chunk of inflated as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > cap) throw inflatesTooFar(name, cap, maxSize);
      yield chunk;
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw notGzip(name, error);
  } finally {
    file.destroy();
    gunzip.destroy();
  }
}

/** A stream of buffers as one (for a report small enough to read whole). */
export async function concatChunks(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Regroups a stream of buffers into chunks of `size` bytes (the last one shorter). */
export async function* rechunk(source: AsyncIterable<Buffer> | Iterable<Buffer>, size = UPLOAD_CHUNK_BYTES): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let held = 0;
  for await (const buf of source) {
    let b = buf;
    while (held + b.length >= size) {
      const take = size - held;
      parts.push(b.subarray(0, take));
      yield Buffer.concat(parts);
      parts = [];
      held = 0;
      b = b.subarray(take);
    }
    if (b.length) {
      parts.push(b);
      held += b.length;
    }
  }
  if (held) yield Buffer.concat(parts);
}
