import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { ArchiveError, gunzipLimited, readTar, readZip, writeTar, writeZip } from './archive.js';

const entries = [
  { name: 'a.json', data: Buffer.from('{"a":1}') },
  { name: 'dir/b.txt', data: Buffer.alloc(5000, 0x62) },
  { name: 'empty', data: Buffer.alloc(0) },
];

describe('zip', () => {
  it('round-trips', () => {
    expect([...readZip(writeZip(entries), 1e9)]).toEqual(entries);
  });

  it('reads zip64 end records (OSV zips of big ecosystems have more than 65,535 entries)', () => {
    const zip = writeZip(entries);
    const eocd = zip.subarray(zip.length - 22);
    const cdSize = eocd.readUInt32LE(12);
    const cdOffset = eocd.readUInt32LE(16);
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(45, 12);
    record.writeUInt16LE(45, 14);
    record.writeBigUInt64LE(BigInt(entries.length), 24);
    record.writeBigUInt64LE(BigInt(entries.length), 32);
    record.writeBigUInt64LE(BigInt(cdSize), 40);
    record.writeBigUInt64LE(BigInt(cdOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(zip.length - 22), 8);
    locator.writeUInt32LE(1, 16);
    const end = Buffer.from(eocd);
    end.writeUInt16LE(0xffff, 8);
    end.writeUInt16LE(0xffff, 10);
    end.writeUInt32LE(0xffffffff, 16);
    expect([...readZip(Buffer.concat([zip.subarray(0, zip.length - 22), record, locator, end]), 1e9)]).toEqual(entries);
  });

  it('refuses corruption, truncation and too much content', () => {
    const zip = writeZip(entries);
    const flipped = Buffer.from(zip);
    flipped[40] = flipped[40]! ^ 0xff; // inside a.json's deflate data
    expect(() => [...readZip(flipped, 1e9)]).toThrow(ArchiveError);
    expect(() => [...readZip(zip.subarray(0, zip.length - 5), 1e9)]).toThrow(/end of central directory/);
    expect(() => [...readZip(zip, 100)]).toThrow(/larger than 100 bytes/);
  });
});

describe('tar', () => {
  it('round-trips', () => {
    expect(readTar(writeTar(entries, new Date('2026-11-28T00:00:00Z')))).toEqual(entries);
  });

  it('refuses a damaged header, truncation and duplicates', () => {
    const tar = writeTar(entries);
    const bad = Buffer.from(tar);
    bad[10] = 0x7a;
    expect(() => readTar(bad)).toThrow(/checksum mismatch/);
    expect(() => readTar(tar.subarray(0, 700))).toThrow(/truncated/);
    expect(() => readTar(writeTar([entries[0]!, entries[0]!]))).toThrow(/appears twice/);
  });
});

describe('gzip', () => {
  it('limits the output', () => {
    expect(gunzipLimited(gzipSync(Buffer.alloc(1000)), 1000)).toHaveLength(1000);
    expect(() => gunzipLimited(gzipSync(Buffer.alloc(1001)), 1000)).toThrow(/larger than 1000/);
    expect(() => gunzipLimited(Buffer.from('nope'), 1000)).toThrow(/not a valid gzip/);
  });
});
