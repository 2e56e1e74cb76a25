import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutbound } from '../../../src/security/outbound.js';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import type { NotificationMessage, NotifierContext } from '../../../src/plugins/notifier.js';
import { startSmtpServer, type SmtpServerHandle } from '../../../test/helpers/smtp.js';
import { emailNotifier, type EmailConfig } from './index.js';
import { emailConnection } from './connection.js';

const PASSWORD = 'pa55-w0rd-s3cret';

function message(overrides: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    id: 'msg-0001',
    event: 'gate.failed',
    subject: 'Gate failed: shop-python "main" <script>alert(1)</script>',
    text: 'The gate failed.\n2 critical findings.',
    html: '<p>The gate <b>failed</b>.</p>',
    severity: 'critical',
    facts: [{ label: 'Project', value: 'shop-python' }],
    link: 'https://scanhub.example/projects/shop-python',
    attachments: [{ filename: 'report.csv', contentType: 'text/csv', content: Buffer.from('id,severity\n1,critical\n') }],
    ...overrides,
  };
}

function config(port: number, overrides: Partial<EmailConfig> = {}): EmailConfig {
  return emailConnection.configSchema.parse({
    host: '127.0.0.1',
    port,
    security: 'starttls',
    user: 'alerts',
    password: PASSWORD,
    from: 'scanhub@example.com',
    to: ['sec@example.com'],
    ...overrides,
  });
}

async function sendError(promise: Promise<unknown>): Promise<IntegrationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IntegrationError);
  const e = error as IntegrationError;
  expect(e.message).not.toContain(PASSWORD);
  return e;
}

describe('email notifier over STARTTLS with auth', () => {
  let smtp: SmtpServerHandle;
  let ctx: NotifierContext;
  beforeAll(async () => {
    smtp = await startSmtpServer({
      requireAuth: true,
      users: [{ user: 'alerts', password: PASSWORD }],
      rejectRecipient: (rcpt) => {
        if (rcpt.startsWith('gone@')) return { code: 550, message: '5.1.1 mailbox unavailable' };
        if (rcpt.startsWith('busy@')) return { code: 451, message: '4.3.0 try again later' };
        return undefined;
      },
    });
    ctx = { outbound: createOutbound({ outboundAllow: '127.0.0.0/8', caBundle: smtp.caFile }), now: () => new Date() };
  });
  afterAll(() => smtp.close());

  it('delivers subject, text and HTML alternatives, the attachment and the message id header, encrypted', async () => {
    const before = smtp.messages.length;
    const result = await emailNotifier.send(config(smtp.port, { to: ['sec@example.com', 'ops@example.com'] }), message(), ctx);
    expect(smtp.messages).toHaveLength(before + 1);
    const mail = smtp.messages.at(-1)!;
    const envelope = smtp.envelopes.at(-1)!;
    expect(envelope.secure).toBe(true);
    expect(envelope.user).toBe('alerts');
    expect(envelope.from).toBe('scanhub@example.com');
    expect(envelope.to).toEqual(['sec@example.com', 'ops@example.com']);
    expect(mail.subject).toBe('Gate failed: shop-python "main" <script>alert(1)</script>');
    expect(mail.text?.trim()).toBe('The gate failed.\n2 critical findings.');
    expect(mail.html).toContain('<p>The gate <b>failed</b>.</p>');
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]!.filename).toBe('report.csv');
    expect(mail.attachments[0]!.contentType).toBe('text/csv');
    expect(mail.attachments[0]!.content.toString()).toBe('id,severity\n1,critical\n');
    expect(mail.headers.get('x-scanhub-message-id')).toBe('msg-0001');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(result.providerId).toBeTruthy();
    expect(mail.messageId).toBe(result.providerId);
    expect(smtp.authAttempts.at(-1)).toMatchObject({ username: 'alerts', success: true });
  });

  it('keeps a newline in the subject from injecting a header', async () => {
    await emailNotifier.send(config(smtp.port), message({ subject: 'Title\r\nBcc: victim@example.com', html: undefined, attachments: undefined }), ctx);
    const mail = smtp.messages.at(-1)!;
    const envelope = smtp.envelopes.at(-1)!;
    expect(envelope.to).toEqual(['sec@example.com']);
    expect(mail.headers.has('bcc')).toBe(false);
    expect(mail.subject).toBe('Title Bcc: victim@example.com');
    expect(mail.html).toBe(false);
  });

  it('reaches the server by host name with the certificate checked against that name', async () => {
    // localhost may also resolve to ::1 (allowed here too); the IPv4 address is the one connected to.
    const byName: NotifierContext = { outbound: createOutbound({ outboundAllow: '127.0.0.0/8,::1/128', caBundle: smtp.caFile }), now: () => new Date() };
    await emailNotifier.send(config(smtp.port, { host: 'localhost' }), message({ id: 'by-name' }), byName);
    expect(smtp.messages.at(-1)!.headers.get('x-scanhub-message-id')).toBe('by-name');
  });

  it('maps a wrong password to SMTP_AUTH_FAILED, not retryable', async () => {
    const error = await sendError(emailNotifier.send(config(smtp.port, { password: 'wrong-password' }), message(), ctx));
    expect(error.code).toBe('SMTP_AUTH_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.message).not.toContain('wrong-password');
    expect(smtp.authAttempts.at(-1)).toMatchObject({ username: 'alerts', success: false });
  });

  it('maps a 550 for the recipient to SMTP_REJECTED, not retryable', async () => {
    const count = smtp.messages.length;
    const error = await sendError(emailNotifier.send(config(smtp.port, { to: ['gone@example.com'] }), message(), ctx));
    expect(error.code).toBe('SMTP_REJECTED');
    expect(error.retryable).toBe(false);
    expect(error.options.status).toBe(550);
    expect(error.message).toContain('mailbox unavailable');
    expect(smtp.messages).toHaveLength(count);
  });

  it('maps a 451 for the recipient to SMTP_TEMPORARY, retryable', async () => {
    const error = await sendError(emailNotifier.send(config(smtp.port, { to: ['busy@example.com'] }), message(), ctx));
    expect(error.code).toBe('SMTP_TEMPORARY');
    expect(error.retryable).toBe(true);
    expect(error.options.status).toBe(451);
  });

  it('reports a partly refused recipient list without retrying (the others got it)', async () => {
    const count = smtp.messages.length;
    const error = await sendError(emailNotifier.send(config(smtp.port, { to: ['sec@example.com', 'gone@example.com'] }), message(), ctx));
    expect(error.code).toBe('SMTP_PARTIAL');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('gone@example.com');
    expect(smtp.messages).toHaveLength(count + 1);
    expect(smtp.envelopes.at(-1)!.to).toEqual(['sec@example.com']);
  });

  it('refuses an untrusted certificate with SMTP_TLS_FAILED (verification stays on)', async () => {
    const noCa: NotifierContext = { outbound: createOutbound({ outboundAllow: '127.0.0.0/8' }), now: () => new Date() };
    const count = smtp.messages.length;
    const attempts = smtp.authAttempts.length;
    const error = await sendError(emailNotifier.send(config(smtp.port), message(), noCa));
    expect(error.code).toBe('SMTP_TLS_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('not trusted');
    // The password never went to a server whose certificate was not verified.
    expect(smtp.authAttempts).toHaveLength(attempts);
    expect(smtp.messages).toHaveLength(count);
  });

  it('refuses a private host unless the operator allows it', async () => {
    const strict: NotifierContext = { outbound: createOutbound({}), now: () => new Date() };
    await expect(emailNotifier.send(config(25, { host: '10.0.0.1' }), message(), strict)).rejects.toMatchObject({ code: 'OUTBOUND_URL_REFUSED' });
    await expect(emailNotifier.send(config(smtp.port), message(), strict)).rejects.toMatchObject({ code: 'OUTBOUND_URL_REFUSED' });
  });
});

describe('email notifier, other security modes', () => {
  it('sends over implicit TLS (port-465 style)', async () => {
    const smtp = await startSmtpServer({ secure: true, requireAuth: true, users: [{ user: 'alerts', password: PASSWORD }] });
    try {
      const ctx = { outbound: createOutbound({ outboundAllow: '127.0.0.0/8', caBundle: smtp.caFile }), now: () => new Date() };
      await emailNotifier.send(config(smtp.port, { security: 'tls' }), message({ id: 'implicit' }), ctx);
      expect(smtp.messages).toHaveLength(1);
      expect(smtp.envelopes[0]!.secure).toBe(true);
      expect(smtp.messages[0]!.headers.get('x-scanhub-message-id')).toBe('implicit');
    } finally {
      await smtp.close();
    }
  });

  it('fails with SMTP_TLS_FAILED when implicit TLS meets an untrusted certificate', async () => {
    const smtp = await startSmtpServer({ secure: true });
    try {
      const ctx = { outbound: createOutbound({ outboundAllow: '127.0.0.0/8' }), now: () => new Date() };
      const error = await sendError(emailNotifier.send(config(smtp.port, { security: 'tls', user: undefined, password: undefined }), message(), ctx));
      expect(error.code).toBe('SMTP_TLS_FAILED');
      expect(smtp.messages).toHaveLength(0);
    } finally {
      await smtp.close();
    }
  });

  it('requires STARTTLS in starttls mode: a server without it is refused, nothing sent in clear', async () => {
    const smtp = await startSmtpServer({ noStartTls: true });
    try {
      const ctx = { outbound: createOutbound({ outboundAllow: '127.0.0.0/8', caBundle: smtp.caFile }), now: () => new Date() };
      const error = await sendError(emailNotifier.send(config(smtp.port, { user: undefined, password: undefined }), message(), ctx));
      expect(error.code).toBe('SMTP_TLS_FAILED');
      expect(error.retryable).toBe(false);
      expect(smtp.messages).toHaveLength(0);
    } finally {
      await smtp.close();
    }
  });

  it("sends in plain text with security 'none' (no STARTTLS attempted)", async () => {
    const smtp = await startSmtpServer();
    try {
      const ctx = { outbound: createOutbound({ outboundAllow: '127.0.0.0/8' }), now: () => new Date() };
      await emailNotifier.send(config(smtp.port, { security: 'none', user: undefined, password: undefined }), message(), ctx);
      expect(smtp.messages).toHaveLength(1);
      expect(smtp.envelopes[0]!.secure).toBe(false);
    } finally {
      await smtp.close();
    }
  });

  it('maps a closed port to SMTP_UNREACHABLE, retryable', async () => {
    const smtp = await startSmtpServer();
    const port = smtp.port;
    await smtp.close();
    const ctx = { outbound: createOutbound({ outboundAllow: '127.0.0.0/8' }), now: () => new Date() };
    const error = await sendError(emailNotifier.send(config(port, { security: 'none', user: undefined, password: undefined }), message(), ctx));
    expect(error.code).toBe('SMTP_UNREACHABLE');
    expect(error.retryable).toBe(true);
  });
});
