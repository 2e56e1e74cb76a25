// Email channel: one message per notification to every configured recipient, through the
// configured SMTP relay (STARTTLS, implicit TLS, or plain on a trusted network).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import nodemailer from 'nodemailer';
import type { z } from 'zod';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import type { NotificationMessage, NotifierContext, NotifierPlugin } from '../../../src/plugins/notifier.js';
import { emailConnection, normaliseEmailSettings } from './connection.js';

export type EmailConfig = z.output<typeof emailConnection.configSchema>;

/** Connection, greeting and socket inactivity timeouts (ms). */
export const SMTP_TIMEOUT_MS = 15_000;

export const emailNotifier: NotifierPlugin<EmailConfig> = {
  kind: 'notifier',
  id: 'email',
  connection: emailConnection,
  send: sendEmail,
};

async function sendEmail(settings: EmailConfig, message: NotificationMessage, ctx: NotifierContext) {
  const config = normaliseEmailSettings(settings);
  const { connectHost, servername } = await resolveTarget(config, ctx);
  const transport = nodemailer.createTransport({
    host: connectHost,
    port: config.port,
    ...(servername ? { servername } : {}),
    secure: config.security === 'tls',
    requireTLS: config.security === 'starttls',
    ignoreTLS: config.security === 'none',
    ...(config.user ? { auth: { user: config.user, pass: config.password ?? '' } } : {}),
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
    dnsTimeout: SMTP_TIMEOUT_MS,
    tls: {
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ...(servername ? { servername } : {}),
      ...(ctx.outbound.ca ? { ca: [...ctx.outbound.ca] } : {}),
    },
  });
  try {
    const info = await transport.sendMail({
      from: config.from,
      to: config.to,
      subject: oneLine(message.subject),
      text: message.text,
      ...(message.html !== undefined ? { html: message.html } : {}),
      attachments: (message.attachments ?? []).map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
      headers: {
        'X-ScanHub-Message-Id': oneLine(message.id),
        'X-ScanHub-Event': oneLine(message.event),
        // RFC 3834: automatic mail; tells auto-responders not to answer.
        'Auto-Submitted': 'auto-generated',
      },
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    const rejected = info.rejected ?? [];
    if (rejected.length > 0) {
      // Some recipients accepted it, some not: the message went out, so a retry would duplicate it.
      const reasons = (info.rejectedErrors ?? []).map((e) => safeResponse(e, config)).filter(Boolean);
      throw new IntegrationError(
        'SMTP_PARTIAL',
        `The SMTP server refused ${rejected.length} of ${config.to.length} recipients (${rejected.map(String).join(', ')}${reasons.length ? `: ${reasons.join('; ')}` : ''}); the others received the message, so it is not retried. Check the addresses.`,
        { retryable: false },
      );
    }
    return { providerId: info.messageId };
  } catch (error) {
    if (error instanceof IntegrationError) throw error;
    throw mapSmtpError(error, config);
  } finally {
    transport.close();
  }
}

/**
 * Refuses hosts the outbound guard does not allow, then pins the address that was checked so a
 * second DNS answer (rebinding) cannot send nodemailer elsewhere; TLS still verifies the host name.
 */
async function resolveTarget(config: EmailConfig, ctx: NotifierContext): Promise<{ connectHost: string; servername?: string }> {
  const host = config.host.replace(/^\[|\]$/g, '');
  const hostInUrl = isIP(host) === 6 ? `[${host}]` : host;
  await ctx.outbound.check(`http://${hostInUrl}:${config.port}/`);
  if (isIP(host) || ctx.outbound.policy.allow.some((entry) => entry.toLowerCase() === host.toLowerCase())) return { connectHost: host };
  let addresses: { address: string; family: number }[];
  try {
    addresses = await lookup(host, { all: true });
  } catch {
    throw new IntegrationError('SMTP_UNREACHABLE', `The SMTP host ${host} does not resolve; check the host name. The delivery will be retried.`, { retryable: true });
  }
  const address = addresses.find((a) => a.family === 4) ?? addresses[0];
  if (!address) throw new IntegrationError('SMTP_UNREACHABLE', `The SMTP host ${host} does not resolve; check the host name. The delivery will be retried.`, { retryable: true });
  await ctx.outbound.check(`http://${address.family === 6 ? `[${address.address}]` : address.address}:${config.port}/`);
  return { connectHost: address.address, servername: host };
}

interface NodemailerError {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
  originalCode?: unknown;
  rejected?: unknown;
}

const TLS_HINT = /certificate|self[- ]signed|ssl|tls|handshake|unable to verify|altnames|ERR_TLS|EPROTO/i;

function mapSmtpError(error: unknown, config: EmailConfig): IntegrationError {
  const e = (error ?? {}) as NodemailerError;
  const code = typeof e.code === 'string' ? e.code : '';
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const said = safeResponse(e, config);
  const where = `${config.host}:${config.port}`;
  const rawMessage = typeof e.message === 'string' ? e.message : '';
  const originalCode = typeof e.originalCode === 'string' ? e.originalCode : '';

  if (code === 'EAUTH' || code === 'ENOAUTH' || responseCode === 535 || responseCode === 534 || responseCode === 530) {
    return new IntegrationError(
      'SMTP_AUTH_FAILED',
      `The SMTP server ${where} refused the login${config.user ? ` of user ${config.user}` : ''}${said ? ` (${said})` : ''}; check the user and password of the email channel.`,
      { retryable: false, ...(responseCode ? { status: responseCode } : {}) },
    );
  }
  if (code === 'ETLS' || ((code === 'ESOCKET' || code === 'ECONNECTION') && (TLS_HINT.test(rawMessage) || /^ERR_TLS|CERT|SSL/i.test(originalCode)))) {
    return new IntegrationError(
      'SMTP_TLS_FAILED',
      `TLS with the SMTP server ${where} failed (${tlsReason(rawMessage, originalCode)}); check the security setting (starttls on 587, tls on 465) and that the server certificate is valid for ${config.host} and trusted (SCANHUB_CA_BUNDLE for a private CA).`,
      { retryable: false },
    );
  }
  if (responseCode !== undefined && responseCode >= 500) {
    return new IntegrationError(
      'SMTP_REJECTED',
      `The SMTP server ${where} refused the message permanently (${said || responseCode}); check the sender and recipient addresses and the relay's rules. It will not be retried.`,
      { retryable: false, status: responseCode },
    );
  }
  if (responseCode !== undefined && responseCode >= 400) {
    return new IntegrationError(
      'SMTP_TEMPORARY',
      `The SMTP server ${where} deferred the message (${said || responseCode}); it will be retried.`,
      { retryable: true, status: responseCode },
    );
  }
  if (code === 'ETIMEDOUT') {
    return new IntegrationError('SMTP_UNREACHABLE', `The SMTP server ${where} did not answer in time; check host, port and firewall. The delivery will be retried.`, { retryable: true });
  }
  if (code === 'ECONNECTION' || code === 'ESOCKET' || code === 'EDNS' || /^E[A-Z]+$/.test(originalCode)) {
    const sys = /^E[A-Z]+$/.test(originalCode) ? originalCode : code;
    return new IntegrationError('SMTP_UNREACHABLE', `Cannot reach the SMTP server ${where} (${sys}); check host, port and firewall. The delivery will be retried.`, { retryable: true });
  }
  if (code === 'EENVELOPE' || code === 'EMESSAGE') {
    return new IntegrationError('SMTP_REJECTED', `The message could not be sent: ${safeText(rawMessage, config)}.`, { retryable: false });
  }
  return new IntegrationError('SMTP_FAILED', `Sending through ${where} failed${code ? ` (${code})` : ''}; the delivery will be retried.`, { retryable: true });
}

function tlsReason(message: string, originalCode: string): string {
  if (/self[- ]signed|unable to verify|unable to get local issuer|CERT_/i.test(message + originalCode)) return 'the server certificate is not trusted';
  if (/altnames|hostname|ERR_TLS_CERT_ALTNAME/i.test(message + originalCode)) return 'the server certificate does not match the host name';
  if (/expired/i.test(message)) return 'the server certificate has expired';
  if (/STARTTLS/i.test(message)) return 'the server does not offer STARTTLS';
  return 'TLS handshake failed';
}

/** The server's reply, one line, with the password removed just in case a server echoes it. */
function safeResponse(e: NodemailerError, config: EmailConfig): string {
  return typeof e.response === 'string' ? safeText(e.response, config) : '';
}

function safeText(text: string, config: EmailConfig): string {
  let out = text;
  if (config.password && config.password.length >= 3) out = out.split(config.password).join('[redacted]');
  out = out.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return out.length > 300 ? `${out.slice(0, 300)}…` : out;
}

/** Header values are single lines: newlines in a finding title must not become new headers. */
function oneLine(value: string): string {
  return value.replace(/[\r\n\t]+/g, ' ').trim();
}
