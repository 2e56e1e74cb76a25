// Shared plumbing of the HTTP fakes: a node:http server on 127.0.0.1, port 0, that records every
// request (headers, raw body, time) and can answer from a scripted queue before its own logic.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query, as received. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The body bytes exactly as received. */
  raw: Buffer;
  /** The body parsed as JSON, when it parses. */
  json: unknown;
  /** Why JSON.parse refused the body, when it did. */
  jsonError: string | undefined;
  at: Date;
}

/** One scripted answer: status, body (a string, or an object sent as JSON) and headers. */
export interface ScriptedReply {
  status: number;
  body?: string | object;
  headers?: Record<string, string>;
}

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  /** Answers used, in order, for the next requests before the fake's own behaviour. */
  script: ScriptedReply[];
  close(): Promise<void>;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function reply(res: ServerResponse, answer: ScriptedReply): void {
  const isJson = answer.body !== undefined && typeof answer.body !== 'string';
  const body = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'Content-Type': isJson ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    ...answer.headers,
  });
  res.end(body);
}

/**
 * Starts a recording server. `handle` decides the answer when no scripted reply is queued; it gets
 * the recorded request (body already read).
 */
export async function startRecordingServer(handle: (request: RecordedRequest, req: IncomingMessage) => ScriptedReply | Promise<ScriptedReply>): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const script: ScriptedReply[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      let json: unknown;
      let jsonError: string | undefined;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch (error) {
        jsonError = (error as Error).message;
      }
      const recorded: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, json, jsonError, at: new Date() };
      requests.push(recorded);
      const scripted = script.shift();
      reply(res, scripted ?? (await handle(recorded, req)));
    })().catch(() => {
      res.statusCode = 500;
      res.end('fake failed');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
