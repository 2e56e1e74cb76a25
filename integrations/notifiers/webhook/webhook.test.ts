import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import type { NotifierContext } from '../../../src/plugins/notifier.js';
import { createOutbound } from '../../../src/security/outbound.js';
import { start, type WebhookReceiver } from '../../../test/fakes/webhook-receiver.js';
import { HOSTILE_SUBJECT, hostileMessage, testMessage } from '../../../test/fakes/messages.js';
import { webhookNotifier } from './index.js';

const SECRET = 'whsec-7c2f0d9a1b3e4f5a';
const outbound = createOutbound({ outboundAllow: '127.0.0.0/8' });
const realCtx: NotifierContext = { outbound, now: () => new Date() };

let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function failure(promise: Promise<unknown>, url: string): Promise<IntegrationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IntegrationError);
  const e = error as IntegrationError;
  expect(e.message).not.toContain(SECRET);
  expect(e.message).not.toContain(url);
  return e;
}

describe('webhook notifier', () => {
  it('posts the documented body and headers, and the independent receiver verifies the signature', async () => {
    receiver = await start({ secret: SECRET });
    const sentAt = new Date();
    await webhookNotifier.send({ url: `${receiver.url}/hooks/scanhub`, signingSecret: SECRET }, testMessage(), { outbound, now: () => sentAt });
    expect(receiver.requests).toHaveLength(1);
    const delivery = receiver.deliveries[0]!;
    expect(delivery).toMatchObject({ ok: true });
    const unix = Math.floor(sentAt.getTime() / 1000);
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(delivery.headers['x-scanhub-event']).toBe('finding.new');
    expect(delivery.headers['x-scanhub-delivery']).toBe('outbox-42');
    expect(delivery.headers['x-scanhub-timestamp']).toBe(String(unix));
    expect(delivery.headers['x-scanhub-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(delivery.body).toEqual({
      id: 'outbox-42',
      event: 'finding.new',
      timestamp: unix,
      subject: 'New critical finding in shop-python',
      text: 'CVE-2024-0001 in requests 2.19.0\nFix: upgrade to 2.32.0',
      severity: 'critical',
      facts: [
        { label: 'Project', value: 'shop-python' },
        { label: 'Findings', value: '3 new' },
      ],
      link: 'https://scanhub.example/projects/shop-python/findings?severity=critical',
      data: { project: 'shop-python', counts: { critical: 1, high: 2 } },
    });
  });

  it('a hostile title arrives as valid JSON, byte-exact, and still verifies', async () => {
    receiver = await start({ secret: SECRET });
    await webhookNotifier.send({ url: receiver.url, signingSecret: SECRET }, hostileMessage(), realCtx);
    const delivery = receiver.deliveries[0]!;
    expect(delivery.ok).toBe(true);
    expect(receiver.requests[0]!.jsonError).toBeUndefined();
    const body = delivery.body as { subject: string; data: { title: string; nested: { list: string[] } }; facts: { value: string }[] };
    expect(body.subject).toBe(HOSTILE_SUBJECT);
    expect(body.data.title).toBe(HOSTILE_SUBJECT);
    expect(body.data.nested.list).toEqual(['<script>', '\\', '"']);
    expect(body.facts[0]!.value).toBe('a "b" \\ c\n<img src=x onerror=alert(1)> 😀');
    expect(Number(delivery.headers['content-length'])).toBe(delivery.raw.length);
  });

  it('tampering with any one byte, or using another secret, fails verification', async () => {
    receiver = await start({ secret: SECRET });
    await webhookNotifier.send({ url: receiver.url, signingSecret: SECRET }, hostileMessage(), realCtx);
    const { raw, headers } = receiver.deliveries[0]!;
    expect(receiver.verify(raw, headers).ok).toBe(true);
    for (const index of [0, Math.floor(raw.length / 2), raw.length - 1]) {
      const tampered = Buffer.from(raw);
      tampered[index] = tampered[index]! ^ 0x01;
      expect(receiver.verify(tampered, headers)).toEqual({ ok: false, reason: 'bad signature' });
    }
    const signature = String(headers['x-scanhub-signature']);
    const flipped = signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0');
    expect(receiver.verify(raw, { ...headers, 'x-scanhub-signature': flipped }).ok).toBe(false);

    const other = await start({ secret: 'another-secret' });
    try {
      await failure(webhookNotifier.send({ url: other.url, signingSecret: SECRET }, testMessage(), realCtx), other.url);
      expect(other.deliveries[0]).toMatchObject({ ok: false, reason: 'bad signature' });
    } finally {
      await other.close();
    }
  });

  it('a replay older than 5 minutes is refused by the receiver (the timestamp is signed)', async () => {
    receiver = await start({ secret: SECRET });
    const old = new Date(Date.now() - 10 * 60 * 1000);
    const error = await failure(webhookNotifier.send({ url: receiver.url, signingSecret: SECRET }, testMessage(), { outbound, now: () => old }), receiver.url);
    expect(receiver.deliveries[0]).toMatchObject({ ok: false, reason: 'stale timestamp' });
    expect(error).toMatchObject({ code: 'WEBHOOK_REJECTED', retryable: false });
    expect(error.options.status).toBe(401);
    // Changing only the header timestamp does not help: it must match the signed one.
    const fresh = await start({ secret: SECRET, now: () => old });
    try {
      await webhookNotifier.send({ url: fresh.url, signingSecret: SECRET }, testMessage(), { outbound, now: () => old });
      const { raw, headers } = fresh.deliveries[0]!;
      expect(fresh.verify(raw, { ...headers, 'x-scanhub-timestamp': String(Math.floor(old.getTime() / 1000) + 1) })).toEqual({ ok: false, reason: 'timestamp mismatch' });
    } finally {
      await fresh.close();
    }
  });

  it('maps 410 to WEBHOOK_GONE, not retryable', async () => {
    receiver = await start({ secret: SECRET, script: [{ status: 410, body: 'gone' }] });
    const error = await failure(webhookNotifier.send({ url: receiver.url, signingSecret: SECRET }, testMessage(), realCtx), receiver.url);
    expect(error).toMatchObject({ code: 'WEBHOOK_GONE', retryable: false });
    expect(error.options.status).toBe(410);
  });

  it.each([400, 404, 422])('maps %i to WEBHOOK_REJECTED, not retryable', async (status) => {
    receiver = await start({ secret: SECRET, script: [{ status, body: { error: 'nope' } }] });
    const error = await failure(webhookNotifier.send({ url: receiver.url, signingSecret: SECRET }, testMessage(), realCtx), receiver.url);
    expect(error).toMatchObject({ code: 'WEBHOOK_REJECTED', retryable: false });
    expect(error.options.status).toBe(status);
  });

  it.each([
    [408, undefined, undefined],
    [429, '7', 7000],
    [500, undefined, undefined],
    [503, '120', 120_000],
  ])('maps %i to WEBHOOK_HTTP_%i, retryable (Retry-After %s)', async (status, retryAfter, expectedMs) => {
    receiver = await start({ secret: SECRET, script: [{ status, ...(retryAfter ? { headers: { 'Retry-After': retryAfter } } : {}) }] });
    const error = await failure(webhookNotifier.send({ url: receiver.url, signingSecret: SECRET }, testMessage(), realCtx), receiver.url);
    expect(error).toMatchObject({ code: `WEBHOOK_HTTP_${status}`, retryable: true });
    expect(error.options.retryAfterMs).toBe(expectedMs);
  });

  it('does not follow redirects', async () => {
    receiver = await start({ secret: SECRET, script: [{ status: 302, headers: { Location: 'http://127.0.0.1:1/elsewhere' } }] });
    const error = await failure(webhookNotifier.send({ url: receiver.url, signingSecret: SECRET }, testMessage(), realCtx), receiver.url);
    expect(error).toMatchObject({ code: 'WEBHOOK_REJECTED', retryable: false });
    expect(receiver.requests).toHaveLength(1);
  });

  it('never echoes the secret or a token in the URL, even if the receiver does', async () => {
    receiver = await start({ secret: SECRET });
    const url = `${receiver.url}/hook?token=tok-abcdef123456`;
    receiver.script.push({ status: 400, body: `bad request for ${url} with ${SECRET}` });
    const error = await failure(webhookNotifier.send({ url, signingSecret: SECRET }, testMessage(), realCtx), url);
    expect(error.message).not.toContain('tok-abcdef123456');
    expect(error.message).toContain('[redacted]');
  });

  it('maps a refused connection to WEBHOOK_UNREACHABLE, retryable', async () => {
    const closed = await start({ secret: SECRET });
    await closed.close();
    const error = await failure(webhookNotifier.send({ url: closed.url, signingSecret: SECRET }, testMessage(), realCtx), closed.url);
    expect(error).toMatchObject({ code: 'WEBHOOK_UNREACHABLE', retryable: true });
  });

  it('refuses a private URL unless the operator allows it', async () => {
    receiver = await start({ secret: SECRET });
    await expect(webhookNotifier.send({ url: receiver.url, signingSecret: SECRET }, testMessage(), { outbound: createOutbound({}), now: () => new Date() })).rejects.toMatchObject({
      code: 'OUTBOUND_URL_REFUSED',
    });
    expect(receiver.requests).toHaveLength(0);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the receiver example in readme.md', () => {
  it('accepts a real delivery and refuses one signed with another secret', async () => {
    const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'readme.md'), 'utf8');
    const snippet = /## Receiving[^\n]*\n+```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(snippet).toBeDefined();
    expect(snippet!.trim().split('\n').length).toBeLessThanOrEqual(12);
    const dir = mkdtempSync(join(tmpdir(), 'scanhub-receiver-'));
    const file = join(dir, 'receiver.mjs');
    writeFileSync(file, snippet!);
    const port = await freePort();
    const child = spawn(process.execPath, [file], { env: { ...process.env, PORT: String(port), SCANHUB_WEBHOOK_SECRET: SECRET }, stdio: 'ignore' });
    try {
      const url = `http://127.0.0.1:${port}/scanhub`;
      let delivered = false;
      for (let attempt = 0; attempt < 50 && !delivered; attempt++) {
        try {
          await webhookNotifier.send({ url, signingSecret: SECRET }, hostileMessage(), realCtx);
          delivered = true;
        } catch (error) {
          if ((error as IntegrationError).code !== 'WEBHOOK_UNREACHABLE') throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      expect(delivered).toBe(true);
      const wrong = await failure(webhookNotifier.send({ url, signingSecret: 'not-the-secret' }, testMessage(), realCtx), url);
      expect(wrong).toMatchObject({ code: 'WEBHOOK_REJECTED', retryable: false });
      expect(wrong.options.status).toBe(401);
      const stale = await failure(webhookNotifier.send({ url, signingSecret: SECRET }, testMessage(), { outbound, now: () => new Date(Date.now() - 6 * 60 * 1000) }), url);
      expect(stale.options.status).toBe(401);
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
