// A local mirror of the vulnerability-data sources for tests (never the internet):
//   GET /kev.json         the real CISA KEV copy in ../shared/data/kev/ (read in place), or a replacement
//   GET /epss.csv.gz      an EPSS gzip CSV the test builds with makeEpss()
//   GET /osv/<name>       OSV records: a zip (makeOsvZip) or JSON the test sets
// with ETag / Last-Modified and 304 on a matching If-None-Match / If-Modified-Since, and misbehaviour
// on demand: HTTP 500, a truncated body, an oversized body, a body of the wrong schema, a hang.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { writeZip } from '../../src/data/archive.js';

/** The real KEV copy beside the repository (../shared/data/kev/); SCANHUB_TEST_KEV_DIR overrides. */
export const KEV_DIR = process.env.SCANHUB_TEST_KEV_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '../../../shared/data/kev');
export const KEV_FILE = join(KEV_DIR, 'known_exploited_vulnerabilities.json');

/** The real catalog, parsed (for tests that derive a changed catalog from it). */
export function readRealKev(): { catalogVersion: string; dateReleased: string; count: number; vulnerabilities: Record<string, unknown>[] } {
  return JSON.parse(readFileSync(KEV_FILE, 'utf8')) as never;
}

export interface EpssSpec {
  modelVersion?: string;
  scoreDate?: string;
  rows: { cve: string; epss: number; percentile: number }[];
}

/** An EPSS file as FIRST publishes it: gzip of `#model_version:…,score_date:…`, `cve,epss,percentile`, rows. */
export function makeEpss(spec: EpssSpec): Buffer {
  const lines = [
    `#model_version:${spec.modelVersion ?? 'v2025.03.14'},score_date:${spec.scoreDate ?? '2026-11-28T00:00:00+0000'}`,
    'cve,epss,percentile',
    ...spec.rows.map((r) => `${r.cve},${r.epss.toFixed(5)},${r.percentile.toFixed(5)}`),
  ];
  return gzipSync(Buffer.from(lines.join('\n') + '\n'));
}

export interface OsvSpec {
  id: string;
  aliases?: string[];
  modified?: string;
  withdrawn?: string;
  affected?: { ecosystem: string; name: string; fixed?: string[] }[];
}

export function osvRecord(spec: OsvSpec): Record<string, unknown> {
  return {
    schema_version: '1.6.0',
    id: spec.id,
    modified: spec.modified ?? '2026-11-20T10:00:00Z',
    published: '2026-01-01T00:00:00Z',
    ...(spec.withdrawn ? { withdrawn: spec.withdrawn } : {}),
    aliases: spec.aliases ?? [],
    summary: `Advisory ${spec.id}`,
    affected: (spec.affected ?? []).map((a) => ({
      package: { ecosystem: a.ecosystem, name: a.name, purl: `pkg:${a.ecosystem.toLowerCase()}/${a.name}` },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, ...(a.fixed ?? []).map((f) => ({ fixed: f }))] }],
    })),
  };
}

/** A zip of OSV records, one <id>.json each, as osv-vulnerabilities.storage.googleapis.com serves per ecosystem. */
export function makeOsvZip(specs: OsvSpec[]): Buffer {
  return writeZip(specs.map((s) => ({ name: `${s.id}.json`, data: Buffer.from(JSON.stringify(osvRecord(s), null, 2)) })));
}

export type Misbehaviour =
  | { kind: 'status'; status: number }
  /** Declares the full Content-Length, sends half and closes the connection. */
  | { kind: 'truncate' }
  /** Streams `bytes` without a Content-Length (chunked). */
  | { kind: 'oversize'; bytes: number }
  /** Declares a Content-Length of `bytes` up front (and sends nothing useful). */
  | { kind: 'declared-oversize'; bytes: number }
  /** 200 with this body instead (wrong schema, garbage …). */
  | { kind: 'body'; body: Buffer | string }
  /** Sends headers, then nothing for `ms`. */
  | { kind: 'hang'; ms: number };

export interface MirrorRequest {
  path: string;
  headers: IncomingHttpHeaders;
  status: number;
}

export interface DataMirror {
  url: string;
  kevUrl: string;
  epssUrl: string;
  osvUrl(name: string): string;
  requests: MirrorRequest[];
  /** Sets (or replaces) what a path serves; its ETag and Last-Modified change with it. */
  set(path: string, body: Buffer | string, lastModified?: Date): void;
  /** The next `times` requests of the path misbehave (default once). */
  misbehave(path: string, how: Misbehaviour, times?: number): void;
  /** Turn off ETag/Last-Modified (a mirror that does not support conditional requests). */
  conditional: boolean;
  close(): Promise<void>;
}

interface Served {
  body: Buffer;
  etag: string;
  lastModified: string;
}

export async function startDataMirror(initial: { epss?: Buffer; osv?: Record<string, Buffer | string> } = {}): Promise<DataMirror> {
  const files = new Map<string, Served>();
  const faults = new Map<string, { how: Misbehaviour; times: number }>();
  const requests: MirrorRequest[] = [];
  const set = (path: string, body: Buffer | string, lastModified = new Date('2026-11-28T06:00:00Z')) => {
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
    files.set(path, { body: buf, etag: `"${createHash('sha256').update(buf).digest('hex').slice(0, 32)}"`, lastModified: lastModified.toUTCString() });
  };
  set('/kev.json', readFileSync(KEV_FILE));
  if (initial.epss) set('/epss.csv.gz', initial.epss);
  for (const [name, body] of Object.entries(initial.osv ?? {})) set(`/osv/${name}`, body);

  const mirror: DataMirror = {
    url: '',
    kevUrl: '',
    epssUrl: '',
    osvUrl: (name) => `${mirror.url}/osv/${name}`,
    requests,
    set,
    misbehave(path, how, times = 1) {
      faults.set(path, { how, times });
    },
    conditional: true,
    close: async () => {},
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const log = (status: number) => requests.push({ path, headers: req.headers, status });
    const fault = faults.get(path);
    if (fault) {
      if (--fault.times <= 0) faults.delete(path);
      const how = fault.how;
      const file = files.get(path);
      switch (how.kind) {
        case 'status':
          log(how.status);
          res.writeHead(how.status, { 'Content-Type': 'text/plain' }).end('mirror says no');
          return;
        case 'truncate': {
          log(200);
          const body = file?.body ?? Buffer.alloc(1000, 65);
          res.writeHead(200, { 'Content-Length': String(body.length), 'Content-Type': 'application/octet-stream' });
          res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => res.socket?.destroy(), 20));
          return;
        }
        case 'oversize': {
          log(200);
          res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
          const chunk = Buffer.alloc(64 * 1024, 0x61);
          let sent = 0;
          const pump = () => {
            while (sent < how.bytes && !res.destroyed) {
              sent += chunk.length;
              if (!res.write(chunk)) return void res.once('drain', pump);
            }
            if (!res.destroyed) res.end();
          };
          res.on('error', () => {});
          pump();
          return;
        }
        case 'declared-oversize':
          log(200);
          res.writeHead(200, { 'Content-Length': String(how.bytes), 'Content-Type': 'application/octet-stream' });
          res.on('error', () => {});
          res.write(Buffer.alloc(1024));
          setTimeout(() => res.socket?.destroy(), 200);
          return;
        case 'body': {
          log(200);
          const body = Buffer.isBuffer(how.body) ? how.body : Buffer.from(how.body);
          res.writeHead(200, { 'Content-Length': String(body.length), 'Content-Type': 'application/octet-stream' }).end(body);
          return;
        }
        case 'hang':
          log(200);
          res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
          res.write('x');
          setTimeout(() => res.socket?.destroy(), how.ms);
          return;
      }
    }
    const file = files.get(path);
    if (!file || req.method !== 'GET') {
      log(404);
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    if (mirror.conditional) {
      const inm = req.headers['if-none-match'];
      const ims = req.headers['if-modified-since'];
      const notModified = inm !== undefined ? inm === file.etag : ims !== undefined && new Date(ims).getTime() >= new Date(file.lastModified).getTime();
      if (notModified) {
        log(304);
        res.writeHead(304, { ETag: file.etag, 'Last-Modified': file.lastModified }).end();
        return;
      }
    }
    log(200);
    res
      .writeHead(200, {
        'Content-Length': String(file.body.length),
        'Content-Type': path.endsWith('.json') ? 'application/json' : path.endsWith('.gz') ? 'application/gzip' : 'application/octet-stream',
        ...(mirror.conditional ? { ETag: file.etag, 'Last-Modified': file.lastModified } : {}),
      })
      .end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  mirror.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mirror.kevUrl = `${mirror.url}/kev.json`;
  mirror.epssUrl = `${mirror.url}/epss.csv.gz`;
  mirror.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return mirror;
}
