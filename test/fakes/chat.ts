// A fake Slack / Microsoft Teams incoming webhook on 127.0.0.1. It checks what the real services
// check before accepting a post, and answers the way they do:
//  - Slack: 200 "ok" (text/html); 400 "invalid_payload" for a body that is not JSON, "no_text" when
//    there is neither text nor blocks, "invalid_blocks" for blocks Slack would refuse (header over
//    150 chars, more than 10 section fields, more than 50 blocks, empty texts); 404 "no_service" for an
//    unknown hook path.
//  - Teams (Workflows webhook): 202 with an empty body; 400 for a body that is not JSON or is not a
//    message with an Adaptive Card attachment. With `teamsLegacy`, the old Office 365 connector
//    answers: 200 "1".
// Scripted replies (e.g. 429 with Retry-After, then the normal answer) go first.
import { startRecordingServer, type FakeServer, type RecordedRequest, type ScriptedReply } from './http.js';

export interface ChatFakeOptions {
  flavour: 'slack' | 'teams';
  /** Answer like the retired Office 365 connector (200 "1") instead of a Workflows webhook. */
  teamsLegacy?: boolean;
  /** Replies used first, in order. */
  script?: ScriptedReply[];
}

export interface ChatFake extends FakeServer {
  /** The incoming-webhook URL to configure (its path is the secret, as with the real services). */
  webhookUrl: string;
  /** The path token inside webhookUrl, to assert it never shows up in errors. */
  token: string;
}

export async function start(options: ChatFakeOptions): Promise<ChatFake> {
  const token = `XyZ${Math.random().toString(36).slice(2, 14)}SeCrEt`;
  const hookPath = options.flavour === 'slack' ? `/services/T0001/B0002/${token}` : `/workflows/${token}/triggers/manual/paths/invoke`;
  const server = await startRecordingServer((request) => {
    if (request.method !== 'POST') return { status: 405, body: 'invalid_method' };
    if (request.path.split('?')[0] !== hookPath) return options.flavour === 'slack' ? { status: 404, body: 'no_service' } : { status: 404, body: { error: { code: 'NotFound' } } };
    return options.flavour === 'slack' ? slack(request) : teams(request, options.teamsLegacy ?? false);
  });
  server.script.push(...(options.script ?? []));
  return { ...server, webhookUrl: `${server.url}${hookPath}`, token };
}

function slack(request: RecordedRequest): ScriptedReply {
  const type = String(request.headers['content-type'] ?? '');
  if (!type.startsWith('application/json')) return { status: 400, body: 'invalid_payload' };
  if (request.jsonError !== undefined || typeof request.json !== 'object' || request.json === null) return { status: 400, body: 'invalid_payload' };
  const payload = request.json as { text?: unknown; blocks?: unknown };
  const hasText = typeof payload.text === 'string' && payload.text.length > 0;
  if (!hasText && payload.blocks === undefined) return { status: 400, body: 'no_text' };
  if (payload.blocks !== undefined && !validSlackBlocks(payload.blocks)) return { status: 400, body: 'invalid_blocks' };
  return { status: 200, body: 'ok', headers: { 'Content-Type': 'text/html' } };
}

interface SlackText {
  type?: unknown;
  text?: unknown;
}

function textOk(t: unknown, max: number, type?: string): boolean {
  const o = t as SlackText | undefined;
  if (!o || typeof o.text !== 'string' || o.text.length === 0 || [...o.text].length > max) return false;
  if (o.type !== 'plain_text' && o.type !== 'mrkdwn') return false;
  return type === undefined || o.type === type;
}

function validSlackBlocks(blocks: unknown): boolean {
  if (!Array.isArray(blocks) || blocks.length > 50) return false;
  for (const block of blocks as Record<string, unknown>[]) {
    switch (block.type) {
      case 'header':
        if (!textOk(block.text, 150, 'plain_text')) return false;
        break;
      case 'section': {
        if (block.text === undefined && block.fields === undefined) return false;
        if (block.text !== undefined && !textOk(block.text, 3000)) return false;
        if (block.fields !== undefined) {
          if (!Array.isArray(block.fields) || block.fields.length === 0 || block.fields.length > 10) return false;
          if (!block.fields.every((f) => textOk(f, 2000))) return false;
        }
        break;
      }
      case 'context':
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10) return false;
        if (!block.elements.every((e) => textOk(e, 3000))) return false;
        break;
      case 'actions': {
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25) return false;
        for (const e of block.elements as Record<string, unknown>[]) {
          if (e.type !== 'button' || !textOk(e.text, 75, 'plain_text')) return false;
          if (e.url !== undefined && (typeof e.url !== 'string' || e.url.length > 3000 || !/^https?:\/\//.test(e.url))) return false;
        }
        break;
      }
      case 'divider':
        break;
      default:
        return false;
    }
  }
  return true;
}

function teams(request: RecordedRequest, legacy: boolean): ScriptedReply {
  const bad = (message: string): ScriptedReply => ({ status: 400, body: { error: { code: 'InvalidRequestContent', message } } });
  if (request.jsonError !== undefined || typeof request.json !== 'object' || request.json === null) return bad('The request content was not valid JSON.');
  const payload = request.json as { type?: unknown; attachments?: unknown };
  if (payload.type !== 'message' || !Array.isArray(payload.attachments) || payload.attachments.length === 0) return bad('Expected a message with attachments.');
  for (const attachment of payload.attachments as { contentType?: unknown; content?: { type?: unknown; body?: unknown; version?: unknown } }[]) {
    if (attachment.contentType !== 'application/vnd.microsoft.card.adaptive') return bad('Unsupported attachment content type.');
    if (attachment.content?.type !== 'AdaptiveCard' || typeof attachment.content.version !== 'string' || !Array.isArray(attachment.content.body)) return bad('Invalid Adaptive Card.');
  }
  if (request.raw.length > 28 * 1024) return { status: 413, body: { error: { code: 'MessageTooLarge', message: 'Message size exceeds 28 KB.' } } };
  return legacy ? { status: 200, body: '1' } : { status: 202 };
}
