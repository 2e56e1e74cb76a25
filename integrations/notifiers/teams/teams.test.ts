import { afterEach, describe, expect, it } from 'vitest';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import type { NotifierContext } from '../../../src/plugins/notifier.js';
import { createOutbound } from '../../../src/security/outbound.js';
import { start, type ChatFake } from '../../../test/fakes/chat.js';
import { HOSTILE_SUBJECT, hostileMessage, testMessage } from '../../../test/fakes/messages.js';
import { TEAMS_MAX_BYTES, teamsNotifier } from './index.js';

const NOW = new Date('2025-06-01T12:00:00Z');
const ctx: NotifierContext = { outbound: createOutbound({ outboundAllow: '127.0.0.0/8' }), now: () => NOW };

let fake: ChatFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function failure(promise: Promise<unknown>, hook: ChatFake): Promise<IntegrationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IntegrationError);
  const e = error as IntegrationError;
  expect(e.message).not.toContain(hook.webhookUrl);
  expect(e.message).not.toContain(hook.token);
  return e;
}

interface Card {
  $schema: string;
  type: string;
  version: string;
  body: { type: string; text?: string; wrap?: boolean; facts?: { title: string; value: string }[] }[];
  actions?: { type: string; title: string; url: string }[];
}
interface TeamsMessage {
  type: string;
  attachments: { contentType: string; content: Card }[];
}

describe('teams notifier', () => {
  it('posts a message with an Adaptive Card: title, wrapped text, facts and an Open URL action', async () => {
    fake = await start({ flavour: 'teams' });
    expect(await teamsNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage(), ctx)).toEqual({});
    expect(fake.requests).toHaveLength(1);
    const request = fake.requests[0]!;
    expect(request.headers['content-type']).toMatch(/^application\/json/);
    const payload = request.json as TeamsMessage;
    expect(payload.type).toBe('message');
    expect(payload.attachments).toHaveLength(1);
    const attachment = payload.attachments[0]!;
    expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = attachment.content;
    expect(card).toMatchObject({ $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4' });
    expect(card.body.map((b) => b.type)).toEqual(['TextBlock', 'TextBlock', 'FactSet']);
    expect(card.body[0]!.text).toBe('New critical finding in shop-python');
    expect(card.body[1]).toMatchObject({ text: 'CVE-2024-0001 in requests 2.19.0\nFix: upgrade to 2.32.0', wrap: true });
    expect(card.body[2]!.facts).toEqual([
      { title: 'Severity', value: 'critical' },
      { title: 'Project', value: 'shop-python' },
      { title: 'Findings', value: '3 new' },
    ]);
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open in ScanHub', url: 'https://scanhub.example/projects/shop-python/findings?severity=critical' }]);
  });

  it('accepts the legacy connector answer (200 "1")', async () => {
    fake = await start({ flavour: 'teams', teamsLegacy: true });
    await teamsNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage(), ctx);
    expect(fake.requests).toHaveLength(1);
  });

  it('sends valid JSON that round-trips a hostile title exactly', async () => {
    fake = await start({ flavour: 'teams' });
    await teamsNotifier.send({ webhookUrl: fake.webhookUrl }, hostileMessage(), ctx);
    const request = fake.requests[0]!;
    expect(request.jsonError).toBeUndefined();
    const card = (request.json as TeamsMessage).attachments[0]!.content;
    expect(card.body[0]!.text).toBe(HOSTILE_SUBJECT.replace(/[\r\n]+/g, ' '));
    expect(card.body[1]!.text).toContain(HOSTILE_SUBJECT);
    expect(card.body[2]!.facts![1]).toEqual({ title: 'Title <script>', value: 'a "b" \\ c\n<img src=x onerror=alert(1)> 😀' });
  });

  it('stays under the Teams size limit for a huge text', async () => {
    fake = await start({ flavour: 'teams' });
    await teamsNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage({ text: 'x'.repeat(100_000) }), ctx);
    expect(fake.requests[0]!.raw.length).toBeLessThanOrEqual(TEAMS_MAX_BYTES);
    const card = (fake.requests[0]!.json as TeamsMessage).attachments[0]!.content;
    expect(card.body[1]!.text!.endsWith('…')).toBe(true);
  });

  it('has no action for a missing or non-http link', async () => {
    fake = await start({ flavour: 'teams' });
    await teamsNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage({ link: 'javascript:alert(1)' }), ctx);
    expect((fake.requests[0]!.json as TeamsMessage).attachments[0]!.content.actions).toBeUndefined();
  });

  it('maps 429 with Retry-After to TEAMS_HTTP_429, retryable, then delivers', async () => {
    fake = await start({ flavour: 'teams', script: [{ status: 429, headers: { 'Retry-After': '1' } }] });
    const error = await failure(teamsNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage(), ctx), fake);
    expect(error).toMatchObject({ code: 'TEAMS_HTTP_429', retryable: true });
    expect(error.options.retryAfterMs).toBe(1000);
    await teamsNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage(), ctx);
    expect(fake.requests).toHaveLength(2);
  });

  it('maps a 502 to TEAMS_HTTP_502, retryable', async () => {
    fake = await start({ flavour: 'teams', script: [{ status: 502, body: 'Bad Gateway' }] });
    const error = await failure(teamsNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage(), ctx), fake);
    expect(error).toMatchObject({ code: 'TEAMS_HTTP_502', retryable: true });
  });

  it('maps the legacy "200 with an embedded 429" answer to a retryable error', async () => {
    fake = await start({
      flavour: 'teams',
      script: [{ status: 200, body: 'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi-production-eus-azsc2-4-170,cv=abc.' }],
    });
    const error = await failure(teamsNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage(), ctx), fake);
    expect(error).toMatchObject({ code: 'TEAMS_HTTP_429', retryable: true });
  });

  it('maps a deleted workflow (404) to TEAMS_REJECTED, not retryable, with advice', async () => {
    fake = await start({ flavour: 'teams' });
    const wrong = fake.webhookUrl.replace(fake.token, 'deletedWorkflow42');
    const error = await failure(teamsNotifier.send({ webhookUrl: wrong }, testMessage(), ctx), fake);
    expect(error).toMatchObject({ code: 'TEAMS_REJECTED', retryable: false });
    expect(error.options.status).toBe(404);
    expect(error.message).toContain('deleted');
    expect(error.message).not.toContain('deletedWorkflow42');
  });

  it('maps a 400 card refusal to TEAMS_REJECTED, not retryable, with Teams\' reason', async () => {
    fake = await start({ flavour: 'teams', script: [{ status: 400, body: { error: { code: 'InvalidRequestContent', message: 'Invalid Adaptive Card.' } } }] });
    const error = await failure(teamsNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage(), ctx), fake);
    expect(error).toMatchObject({ code: 'TEAMS_REJECTED', retryable: false });
    expect(error.message).toContain('Invalid Adaptive Card.');
  });

  it('maps a refused connection to TEAMS_UNREACHABLE, retryable', async () => {
    fake = await start({ flavour: 'teams' });
    const hook = fake;
    await fake.close();
    fake = undefined;
    const error = await failure(teamsNotifier.send({ webhookUrl: hook.webhookUrl }, testMessage(), ctx), hook);
    expect(error).toMatchObject({ code: 'TEAMS_UNREACHABLE', retryable: true });
  });
});
