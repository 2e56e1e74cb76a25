// Report bytes as uploaded → the report itself: gzip is inflated under a size cap and a ratio cap
// (a decompression bomb stops at the cap, not after filling memory); archives are refused.
import { gunzipSync } from 'node:zlib';
import { AppError } from '../errors.js';

/** Scanner reports compress 5–50×; a ratio far beyond that is a bomb, not a report. */
export const MAX_GZIP_RATIO = 200;
const MIN_RATIO_FLOOR = 1024 * 1024;

export function decodeUpload(content: Buffer, filename: string | undefined, maxSize: number): Buffer {
  const name = filename ?? 'the report';
  if (content.length >= 4 && content[0] === 0x50 && content[1] === 0x4b && (content[2] === 0x03 || content[2] === 0x05)) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `${name} is a ZIP archive. Upload the report file itself (gzip is accepted).`);
  }
  if (content.length >= 2 && content[0] === 0x1f && content[1] === 0x8b) {
    // The ratio cap only bites above 1 MiB, so small, very regular reports still inflate.
    const cap = Math.min(maxSize, Math.max(MIN_RATIO_FLOOR, content.length * MAX_GZIP_RATIO));
    try {
      return gunzipSync(content, { maxOutputLength: cap });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new AppError(
          'PAYLOAD_TOO_LARGE',
          cap < maxSize
            ? `${name} inflates more than ${MAX_GZIP_RATIO}× its compressed size: refused as a decompression bomb.`
            : `${name} inflates beyond the upload limit (SCANHUB_MAX_UPLOAD).`,
        );
      }
      throw new AppError('REPORT_MALFORMED', `${name} is not a valid gzip file: ${(error as Error).message}`);
    }
  }
  return content;
}
