import { afterEach, describe, expect, it } from 'vitest';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import type { NotifierContext } from '../../../src/plugins/notifier.js';
import { createOutbound } from '../../../src/security/outbound.js';
import { segments, start, type TwilioFake } from '../../../test/fakes/twilio.js';
import { testMessage } from '../../../test/fakes/messages.js';
import { smsBody, smsNotifier, type SmsConfig } from './index.js';
import { smsConnection } from './connection.js';

const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'auth-token-5f4dcc3b5aa765d61d8327deb882cf99';
const ctx: NotifierContext = { outbound: createOutbound({ outboundAllow: '127.0.0.0/8' }), now: () => new Date('2025-06-01T12:00:00Z') };

let fake: TwilioFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function config(baseUrl: string, overrides: Partial<SmsConfig> = {}): SmsConfig {
  return smsConnection.configSchema.parse({ baseUrl, accountSid: SID, authToken: TOKEN, from: '+15005550006', to: ['+15551230001', '+15551230002'], ...overrides });
}

async function failure(promise: Promise<unknown>): Promise<IntegrationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IntegrationError);
  const e = error as IntegrationError;
  expect(e.message).not.toContain(TOKEN);
  expect(e.message).not.toContain(Buffer.from(`${SID}:${TOKEN}`).toString('base64'));
  return e;
}

const LINK = 'https://scanhub.example/p/shop-python/f/123';

describe('sms body', () => {
  it('fits one GSM-7 segment (160 septets) and uses the room beyond 70 characters', () => {
    const body = smsBody({ event: 'finding.new', severity: 'critical', subject: 'Gate failed for shop-python: 2 critical, 5 high findings in the dependencies of the payment service backend release 2025.06', link: LINK });
    const seg = segments(body);
    expect(seg).toMatchObject({ encoding: 'GSM-7', count: 1 });
    expect(seg.units).toBeLessThanOrEqual(160);
    expect(seg.units).toBeGreaterThan(70);
    expect(body.startsWith('CRITICAL: Gate failed for shop-python')).toBe(true);
    expect(body.endsWith(` ${LINK}`)).toBe(true);
    expect(body).toContain('...');
  });

  it('keeps a short message whole, link included', () => {
    expect(smsBody({ event: 'gate.failed', severity: 'high', subject: 'Gate failed: shop-python', link: LINK })).toBe(`HIGH: Gate failed: shop-python ${LINK}`);
    expect(smsBody({ event: 'gate.failed', subject: 'Gate failed', link: undefined })).toBe('Gate failed');
  });

  it('drops a link that would leave too little of the subject', () => {
    const longLink = `https://scanhub.example/${'a'.repeat(140)}`;
    const body = smsBody({ event: 'finding.new', severity: 'low', subject: 'x'.repeat(200), link: longLink });
    expect(body).not.toContain('https://');
    expect(segments(body)).toMatchObject({ encoding: 'GSM-7', units: 160, count: 1 });
  });

  it('limits text needing UCS-2 (emoji, Cyrillic) to 70 units without splitting an emoji', () => {
    const body = smsBody({ event: 'finding.new', severity: 'critical', subject: '🚨 Критическая уязвимость в shop-python: обновите зависимости немедленно, пожалуйста', link: LINK });
    const seg = segments(body);
    expect(seg).toMatchObject({ encoding: 'UCS-2', count: 1 });
    expect(body.length).toBeLessThanOrEqual(70);
    expect(body.length).toBeGreaterThan(50);
    expect(body).toContain('🚨');
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(body)).toBe(false);
  });

  it('counts GSM-7 extension characters as two septets', () => {
    const body = smsBody({ event: 'x', subject: '[]{}'.repeat(60), link: undefined });
    const seg = segments(body);
    expect(seg).toMatchObject({ encoding: 'GSM-7', count: 1 });
    expect(seg.units).toBeLessThanOrEqual(160);
    expect(body.length).toBeLessThan(82);
  });

  it('maps typographic quotes and dashes to GSM-7 instead of falling back to UCS-2, and flattens newlines', () => {
    const body = smsBody({ event: 'x', subject: '“Quoted” title — with ‘smart’ punctuation…\nsecond line '.repeat(3), link: undefined });
    expect(segments(body)).toMatchObject({ encoding: 'GSM-7', count: 1 });
    expect(body.length).toBeGreaterThan(70);
    expect(body).not.toContain('\n');
  });

  it('is always one segment, whatever the subject length and alphabet', () => {
    const alphabets = ['a', 'é', '€', '🚨', 'ж', '|'];
    for (const ch of alphabets) {
      for (let n = 0; n <= 250; n += 7) {
        const body = smsBody({ event: 'finding.new', severity: 'medium', subject: `Finding ${ch.repeat(n)}`, link: n % 2 ? LINK : undefined });
        const seg = segments(body);
        expect(seg.count, `${ch} x ${n}: ${body}`).toBe(1);
        expect(body.length).toBeGreaterThan(0);
      }
    }
  });
});

describe('sms notifier against the Twilio fake', () => {
  it('sends one request per recipient with Basic auth and form fields, returning the SIDs', async () => {
    fake = await start({ accountSid: SID, authToken: TOKEN, owned: ['+15005550006'] });
    const result = await smsNotifier.send(config(fake.url), testMessage(), ctx);
    expect(fake.requests).toHaveLength(2);
    expect(fake.messages.map((m) => m.to)).toEqual(['+15551230001', '+15551230002']);
    for (const request of fake.requests) {
      expect(request.path).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
      expect(request.headers.authorization).toBe(`Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`);
      expect(request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    }
    expect(fake.messages[0]!.from).toBe('+15005550006');
    expect(fake.messages[0]!.body).toBe('CRITICAL: New critical finding in shop-python https://scanhub.example/projects/shop-python/findings?severity=critical');
    expect(fake.messages.every((m) => m.numSegments === 1)).toBe(true);
    expect(result.providerId).toBe(fake.messages.map((m) => m.sid).join(','));
    expect(result.providerId).toMatch(/^SM[0-9a-f]{32},SM[0-9a-f]{32}$/);
  });

  it('sends an emoji subject as a single UCS-2 segment', async () => {
    fake = await start({ accountSid: SID, authToken: TOKEN });
    await smsNotifier.send(config(fake.url, { to: ['+15551230001'] }), testMessage({ subject: '🔥 '.repeat(60) }), ctx);
    expect(fake.messages[0]).toMatchObject({ encoding: 'UCS-2', numSegments: 1 });
    expect(fake.messages[0]!.body.length).toBeLessThanOrEqual(70);
  });

  it('accepts a base URL with a trailing slash', async () => {
    fake = await start({ accountSid: SID, authToken: TOKEN });
    await smsNotifier.send(config(`${fake.url}/`, { to: ['+15551230001'] }), testMessage(), ctx);
    expect(fake.messages).toHaveLength(1);
  });

  it('maps bad credentials to SMS_AUTH_FAILED, not retryable, and stops at the first recipient', async () => {
    fake = await start({ accountSid: SID, authToken: 'the-real-token' });
    const error = await failure(smsNotifier.send(config(fake.url), testMessage(), ctx));
    expect(error).toMatchObject({ code: 'SMS_AUTH_FAILED', retryable: false });
    expect(error.options.status).toBe(401);
    expect(error.message).toContain('20003');
    expect(fake.requests).toHaveLength(1);
  });

  it('maps an invalid To (21211) to SMS_REJECTED, not retryable, with Twilio\'s code', async () => {
    fake = await start({ accountSid: SID, authToken: TOKEN, badNumbers: ['+15551230001'] });
    const error = await failure(smsNotifier.send(config(fake.url, { to: ['+15551230001'] }), testMessage(), ctx));
    expect(error).toMatchObject({ code: 'SMS_REJECTED', retryable: false });
    expect(error.options.status).toBe(400);
    expect(error.message).toContain('21211');
    expect(error.message).toContain('+15551230001');
  });

  it('still texts the other recipients when one number is refused, and does not retry (SMS_PARTIAL)', async () => {
    fake = await start({ accountSid: SID, authToken: TOKEN, badNumbers: ['+15551230001'] });
    const error = await failure(smsNotifier.send(config(fake.url), testMessage(), ctx));
    expect(fake.requests).toHaveLength(2);
    expect(fake.messages.map((m) => m.to)).toEqual(['+15551230002']);
    expect(error).toMatchObject({ code: 'SMS_PARTIAL', retryable: false });
    expect(error.message).toContain(fake.messages[0]!.sid);
  });

  it('maps a sender the account does not own (21606) to SMS_REJECTED', async () => {
    fake = await start({ accountSid: SID, authToken: TOKEN, owned: ['+15005550007'] });
    const error = await failure(smsNotifier.send(config(fake.url, { to: ['+15551230001'] }), testMessage(), ctx));
    expect(error).toMatchObject({ code: 'SMS_REJECTED', retryable: false });
    expect(error.message).toContain('21606');
  });

  it('maps 429 to SMS_HTTP_429, retryable with Retry-After, when nothing was sent', async () => {
    const tooMany = { status: 429, headers: { 'Retry-After': '5' }, body: { code: 20429, message: 'Too Many Requests', more_info: 'https://www.twilio.com/docs/errors/20429', status: 429 } };
    fake = await start({ accountSid: SID, authToken: TOKEN, script: [tooMany, tooMany] });
    const error = await failure(smsNotifier.send(config(fake.url), testMessage(), ctx));
    expect(error).toMatchObject({ code: 'SMS_HTTP_429', retryable: true });
    expect(error.options.retryAfterMs).toBe(5000);
    expect(fake.requests).toHaveLength(2);
    expect(fake.messages).toHaveLength(0);
  });

  it('maps 500 to SMS_HTTP_500, retryable', async () => {
    fake = await start({ accountSid: SID, authToken: TOKEN, script: [{ status: 500, body: { code: 20500, message: 'Internal Server Error', status: 500 } }] });
    const error = await failure(smsNotifier.send(config(fake.url, { to: ['+15551230001'] }), testMessage(), ctx));
    expect(error).toMatchObject({ code: 'SMS_HTTP_500', retryable: true });
  });

  it('a 2xx without a SID is not counted as delivered', async () => {
    fake = await start({ accountSid: SID, authToken: TOKEN, script: [{ status: 200, body: '<html>captive portal</html>' }] });
    const error = await failure(smsNotifier.send(config(fake.url, { to: ['+15551230001'] }), testMessage(), ctx));
    expect(error).toMatchObject({ code: 'SMS_BAD_RESPONSE', retryable: false });
  });

  it('maps a refused connection to SMS_UNREACHABLE, retryable', async () => {
    const closed = await start({ accountSid: SID, authToken: TOKEN });
    await closed.close();
    const error = await failure(smsNotifier.send(config(closed.url, { to: ['+15551230001'] }), testMessage(), ctx));
    expect(error).toMatchObject({ code: 'SMS_UNREACHABLE', retryable: true });
  });
});
