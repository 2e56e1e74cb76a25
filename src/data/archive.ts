// Just enough of gzip, zip (OSV publishes a zip per ecosystem, zip64 for the big ones) and tar
// (offline bundles) to read and write what the vulnerability data needs — with size limits, so a
// hostile archive cannot exhaust memory. Everything is in memory: these files are bounded by the
// download limit first.
import { crc32, deflateRawSync, gunzipSync, inflateRawSync } from 'node:zlib';

export class ArchiveError extends Error {
  override name = 'ArchiveError';
}

export function isGzip(buf: Buffer): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

export function isZip(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32LE(0) === 0x04034b50;
}

/** gunzip, refusing output beyond maxBytes and any corrupt or truncated stream. */
export function gunzipLimited(buf: Buffer, maxBytes: number, what = 'gzip'): Buffer {
  try {
    return gunzipSync(buf, { maxOutputLength: maxBytes });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) throw new ArchiveError(`${what}: uncompressed content is larger than ${maxBytes} bytes.`);
    throw new ArchiveError(`${what}: not a valid gzip stream (${code ?? (error as Error).message}).`);
  }
}

export interface ArchiveEntry {
  name: string;
  data: Buffer;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * The files of a zip, in central-directory order. Stored and deflated entries; zip64 sizes and
 * counts; CRC checked; directories skipped. Throws ArchiveError on anything malformed.
 */
export function* readZip(buf: Buffer, maxTotalBytes: number, what = 'zip'): Generator<ArchiveEntry> {
  const bad = (why: string): never => {
    throw new ArchiveError(`${what}: ${why}`);
  };
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65_535); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) bad('no end of central directory (truncated?)');
  let count = buf.readUInt16LE(eocd + 10);
  let cdSize = buf.readUInt32LE(eocd + 12);
  let cdOffset = buf.readUInt32LE(eocd + 16);
  if ((count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) && eocd >= 20 && buf.readUInt32LE(eocd - 20) === EOCD64_LOCATOR) {
    const at = Number(buf.readBigUInt64LE(eocd - 20 + 8));
    if (at + 56 > buf.length || buf.readUInt32LE(at) !== EOCD64) bad('broken zip64 end record');
    count = Number(buf.readBigUInt64LE(at + 32));
    cdSize = Number(buf.readBigUInt64LE(at + 40));
    cdOffset = Number(buf.readBigUInt64LE(at + 48));
  }
  if (cdOffset + cdSize > buf.length) bad('central directory beyond the end of the file (truncated?)');
  let p = cdOffset;
  let total = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL) bad(`central directory entry ${n} is broken`);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    let compSize = buf.readUInt32LE(p + 20);
    let size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    let local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    // zip64 extra field: the 64-bit values of the fields that are 0xffffffff, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = buf.readUInt16LE(e);
      const len = buf.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) (size = Number(buf.readBigUInt64LE(q))), (q += 8);
        if (compSize === 0xffffffff) (compSize = Number(buf.readBigUInt64LE(q))), (q += 8);
        if (local === 0xffffffff) local = Number(buf.readBigUInt64LE(q));
      }
      e += 4 + len;
    }
    p = extraEnd + commentLen;
    if (name.endsWith('/')) continue;
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== LOCAL) bad(`${name}: local header is broken`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (start + compSize > buf.length) bad(`${name}: data beyond the end of the file (truncated?)`);
    total += size;
    if (total > maxTotalBytes) bad(`uncompressed content is larger than ${maxTotalBytes} bytes`);
    const raw = buf.subarray(start, start + compSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) {
      try {
        data = inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) });
      } catch {
        return bad(`${name}: deflate data is corrupt`);
      }
    } else return bad(`${name}: compression method ${method} is not supported`);
    if (data.length !== size || crc32(data) !== crc) bad(`${name}: CRC or size mismatch (corrupt)`);
    yield { name, data };
  }
}

/** A zip of the given files (deflated; no zip64). Tests and small mirrors use it. */
export function writeZip(entries: readonly ArchiveEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const packed = deflateRawSync(entry.data);
    const crc = crc32(entry.data);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(LOCAL, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(0x0800, 6); // UTF-8 names
    head.writeUInt16LE(8, 8);
    head.writeUInt32LE(crc, 14);
    head.writeUInt32LE(packed.length, 18);
    head.writeUInt32LE(entry.data.length, 22);
    head.writeUInt16LE(name.length, 26);
    locals.push(head, name, packed);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += head.length + name.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(EOCD, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** A ustar archive of regular files (mode 0644, the given mtime). */
export function writeTar(entries: readonly ArchiveEntry[], mtime = new Date()): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    if (name.length > 100) throw new ArchiveError(`tar: name too long: ${entry.name}`);
    const header = Buffer.alloc(512);
    name.copy(header, 0);
    header.write('0000644\0', 100, 'ascii');
    header.write('0000000\0', 108, 'ascii');
    header.write('0000000\0', 116, 'ascii');
    header.write(entry.data.length.toString(8).padStart(11, '0') + '\0', 124, 'ascii');
    header.write(Math.floor(mtime.getTime() / 1000).toString(8).padStart(11, '0') + '\0', 136, 'ascii');
    header.write('        ', 148, 'ascii');
    header.write('0', 156, 'ascii');
    header.write('ustar\0' + '00', 257, 'ascii');
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    parts.push(header, entry.data, Buffer.alloc((512 - (entry.data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** The regular files of a ustar archive. Refuses bad checksums, truncation, links and duplicates. */
export function readTar(buf: Buffer, what = 'tar'): ArchiveEntry[] {
  const bad = (why: string): never => {
    throw new ArchiveError(`${what}: ${why}`);
  };
  const out: ArchiveEntry[] = [];
  const seen = new Set<string>();
  let p = 0;
  for (;;) {
    if (p + 512 > buf.length) bad('truncated (no end-of-archive marker)');
    const header = buf.subarray(p, p + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, len: number) => header.toString('utf8', start, start + len).replace(/\0.*$/s, '');
    const stored = parseInt(field(148, 8).trim(), 8);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
    if (stored !== sum) bad(`header checksum mismatch at offset ${p} (corrupt)`);
    const sizeText = field(124, 12).trim();
    if (!/^[0-7]+$/.test(sizeText)) bad(`bad size field at offset ${p}`);
    const size = parseInt(sizeText, 8);
    const type = field(156, 1);
    const prefix = field(257, 6).startsWith('ustar') ? field(345, 155) : '';
    const name = (prefix ? prefix + '/' : '') + field(0, 100);
    if (type !== '0' && type !== '') bad(`${name}: only regular files are allowed (type ${type})`);
    if (p + 512 + size > buf.length) bad(`${name}: truncated`);
    if (seen.has(name)) bad(`${name}: appears twice`);
    seen.add(name);
    out.push({ name, data: Buffer.from(buf.subarray(p + 512, p + 512 + size)) });
    p += 512 + size + ((512 - (size % 512)) % 512);
  }
  return out;
}
