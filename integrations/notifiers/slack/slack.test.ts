import { afterEach, describe, expect, it } from 'vitest';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import type { NotifierContext } from '../../../src/plugins/notifier.js';
import { createOutbound } from '../../../src/security/outbound.js';
import { start, type ChatFake } from '../../../test/fakes/chat.js';
import { HOSTILE_SUBJECT, hostileMessage, testMessage } from '../../../test/fakes/messages.js';
import { slackNotifier } from './index.js';

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
  expect(e.message).not.toContain('/services/');
  return e;
}

type Block = { type: string; text?: { type: string; text: string }; fields?: { text: string }[]; elements?: { type: string; text: unknown; url?: string }[] };

describe('slack notifier', () => {
  it('posts a Block Kit message Slack accepts: header, text, fields, context and a link button', async () => {
    fake = await start({ flavour: 'slack' });
    const result = await slackNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage(), ctx);
    expect(result).toEqual({});
    expect(fake.requests).toHaveLength(1);
    const request = fake.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toMatch(/^application\/json/);
    const payload = request.json as { text: string; blocks: Block[] };
    expect(payload.text).toBe('New critical finding in shop-python');
    expect(payload.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context', 'actions']);
    expect(payload.blocks[0]!.text).toEqual({ type: 'plain_text', text: 'New critical finding in shop-python', emoji: true });
    expect(payload.blocks[1]!.text).toEqual({ type: 'mrkdwn', text: 'CVE-2024-0001 in requests 2.19.0\nFix: upgrade to 2.32.0' });
    expect(payload.blocks[2]!.fields).toEqual([
      { type: 'mrkdwn', text: '*Project*\nshop-python' },
      { type: 'mrkdwn', text: '*Findings*\n3 new' },
    ]);
    expect(payload.blocks[3]!.elements![0]!.text).toContain('*critical*');
    expect(payload.blocks[4]!.elements![0]).toMatchObject({ type: 'button', url: 'https://scanhub.example/projects/shop-python/findings?severity=critical' });
  });

  it('sends valid JSON for a hostile title and escapes mrkdwn (no raw <script>, no <!channel> mention)', async () => {
    fake = await start({ flavour: 'slack' });
    await slackNotifier.send({ webhookUrl: fake.webhookUrl }, hostileMessage(), ctx);
    const request = fake.requests[0]!;
    expect(request.jsonError).toBeUndefined();
    const payload = request.json as { text: string; blocks: Block[] };
    // plain_text header carries the title verbatim (one line), emoji and quotes intact
    expect(payload.blocks[0]!.text!.type).toBe('plain_text');
    expect(payload.blocks[0]!.text!.text).toContain('"quoted"');
    expect(payload.blocks[0]!.text!.text).toContain('🚨🔥');
    expect(payload.blocks[0]!.text!.text).not.toContain('\n');
    expect([...payload.blocks[0]!.text!.text].length).toBeLessThanOrEqual(150);
    const mrkdwnTexts = [payload.text, ...payload.blocks.flatMap((b) => [b.text?.type === 'mrkdwn' ? b.text.text : undefined, ...(b.fields ?? []).map((f) => f.text)])].filter(
      (t): t is string => typeof t === 'string',
    );
    expect(mrkdwnTexts.length).toBeGreaterThanOrEqual(3);
    for (const text of mrkdwnTexts) {
      expect(text).not.toContain('<script>');
      expect(text).not.toContain('<!channel>');
      expect(text).not.toMatch(/<https?:/);
      expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
    expect(payload.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(payload.text).toContain('C:\\path\\to\\file \\"');
    expect(payload.text).toContain('&amp; &lt;!channel&gt;');
    expect(payload.blocks[2]!.fields![0]!.text).toBe('*Title &lt;script&gt;*\na "b" \\ c\n&lt;img src=x onerror=alert(1)&gt; 😀');
  });

  it('keeps Slack limits: a long title is cut to 150 code points without splitting an emoji, at most 10 fields', async () => {
    fake = await start({ flavour: 'slack' });
    const facts = Array.from({ length: 14 }, (_, i) => ({ label: `F${i}`, value: String(i) }));
    await slackNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage({ subject: '🚨'.repeat(200), text: '<'.repeat(4000), facts }), ctx);
    expect(fake.requests[0]!.jsonError).toBeUndefined();
    const payload = fake.requests[0]!.json as { blocks: Block[] };
    const header = payload.blocks[0]!.text!.text;
    expect([...header]).toHaveLength(150);
    expect(header.endsWith('…')).toBe(true);
    expect(header.slice(0, -1)).toBe('🚨'.repeat(149));
    const section = payload.blocks[1]!.text!.text;
    expect([...section].length).toBeLessThanOrEqual(3000);
    expect(section).toMatch(/^(&lt;)+…$/);
    const fields = payload.blocks[2]!.fields!;
    expect(fields).toHaveLength(10);
    expect(fields[9]!.text).toBe('…and 5 more');
  });

  it('drops a link that is not http(s)', async () => {
    fake = await start({ flavour: 'slack' });
    await slackNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage({ link: 'javascript:alert(1)' }), ctx);
    const payload = fake.requests[0]!.json as { blocks: Block[] };
    expect(payload.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('maps 429 to SLACK_HTTP_429, retryable after Retry-After, and succeeds on the retry', async () => {
    fake = await start({ flavour: 'slack', script: [{ status: 429, body: 'rate_limited', headers: { 'Retry-After': '30' } }] });
    const error = await failure(slackNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage(), ctx), fake);
    expect(error.code).toBe('SLACK_HTTP_429');
    expect(error.retryable).toBe(true);
    expect(error.options.retryAfterMs).toBe(30_000);
    expect(error.options.status).toBe(429);
    await slackNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage(), ctx);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.raw.equals(fake.requests[0]!.raw)).toBe(true);
  });

  it('reads an HTTP-date Retry-After relative to ctx.now', async () => {
    fake = await start({ flavour: 'slack', script: [{ status: 503, body: 'service unavailable', headers: { 'Retry-After': new Date(NOW.getTime() + 90_000).toUTCString() } }] });
    const error = await failure(slackNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage(), ctx), fake);
    expect(error.code).toBe('SLACK_HTTP_503');
    expect(error.retryable).toBe(true);
    expect(error.options.retryAfterMs).toBe(90_000);
  });

  it('maps a 500 to a retryable error without Retry-After', async () => {
    fake = await start({ flavour: 'slack', script: [{ status: 500, body: 'internal_error' }] });
    const error = await failure(slackNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage(), ctx), fake);
    expect(error).toMatchObject({ code: 'SLACK_HTTP_500', retryable: true });
    expect(error.options.retryAfterMs).toBeUndefined();
  });

  it.each([
    ['invalid_payload', 400],
    ['channel_not_found', 404],
    ['no_service', 404],
    ['action_prohibited', 403],
  ])('maps %s (HTTP %i) to SLACK_REJECTED, not retryable, naming Slack\'s error', async (text, status) => {
    fake = await start({ flavour: 'slack', script: [{ status, body: text }] });
    const error = await failure(slackNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage(), ctx), fake);
    expect(error.code).toBe('SLACK_REJECTED');
    expect(error.retryable).toBe(false);
    expect(error.options.status).toBe(status);
    expect(error.message).toContain(text);
  });

  it('a deleted webhook (wrong path) is refused by the fake as Slack does, and the token stays out of the message', async () => {
    fake = await start({ flavour: 'slack' });
    const wrong = fake.webhookUrl.replace(fake.token, 'OtherToken123');
    const error = await failure(slackNotifier.send({ webhookUrl: wrong }, testMessage(), ctx), fake);
    expect(error.code).toBe('SLACK_REJECTED');
    expect(error.message).toContain('no_service');
    expect(error.message).not.toContain('OtherToken123');
  });

  it('redacts the webhook URL even if Slack echoes it in an error', async () => {
    fake = await start({ flavour: 'slack' });
    fake.script.push({ status: 400, body: `invalid_payload for ${fake.webhookUrl}` });
    const error = await failure(slackNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage(), ctx), fake);
    expect(error.message).toContain('[redacted]');
  });

  it('maps a refused connection to SLACK_UNREACHABLE, retryable, without the URL', async () => {
    fake = await start({ flavour: 'slack' });
    const hook = fake;
    await fake.close();
    fake = undefined;
    const error = await failure(slackNotifier.send({ webhookUrl: hook.webhookUrl }, testMessage(), ctx), hook);
    expect(error.code).toBe('SLACK_UNREACHABLE');
    expect(error.retryable).toBe(true);
  });

  it('refuses a loopback webhook URL unless the operator allows it', async () => {
    fake = await start({ flavour: 'slack' });
    const strict: NotifierContext = { outbound: createOutbound({}), now: () => NOW };
    const error = await slackNotifier.send({ webhookUrl: fake.webhookUrl }, testMessage(), strict).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(error?.code).toBe('OUTBOUND_URL_REFUSED');
    expect(error?.message).not.toContain(fake.token);
    expect(fake.requests).toHaveLength(0);
  });

  it('the hostile subject constant really is hostile (guards the tests above)', () => {
    for (const part of ['"', '<script>', '\\', '\n', '🚨', '<!channel>']) expect(HOSTILE_SUBJECT).toContain(part);
  });
});
