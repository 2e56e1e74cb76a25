// A real SMTP server on 127.0.0.1 for the email channel tests: smtp-server with a fresh self-signed
// certificate (openssl), STARTTLS offered (or implicit TLS), optional AUTH, configurable RCPT
// rejections, and every accepted message parsed with mailparser.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpUser {
  user: string;
  password: string;
}

export interface StartSmtpOptions {
  /** Implicit TLS from the first byte (like port 465). Default: plain with STARTTLS offered. */
  secure?: boolean;
  /** Refuse MAIL FROM until the client authenticated. */
  requireAuth?: boolean;
  users?: SmtpUser[];
  /** Return a reply to refuse a recipient at RCPT TO, e.g. { code: 550, message: 'mailbox unavailable' }. */
  rejectRecipient?: (rcpt: string) => { code: number; message: string } | undefined;
  /** Neither offer nor accept STARTTLS (a relay without TLS), to test a client that requires it. */
  noStartTls?: boolean;
}

export interface SmtpEnvelope {
  from: string | undefined;
  to: string[];
  /** Whether the session was encrypted (implicit TLS or after STARTTLS). */
  secure: boolean;
  user: string | undefined;
  raw: Buffer;
}

export interface AuthAttempt {
  method: string;
  username: string;
  success: boolean;
}

export interface SmtpServerHandle {
  port: number;
  caPem: string;
  /** Path of a file holding caPem (for createOutbound({ caBundle })). */
  caFile: string;
  messages: ParsedMail[];
  envelopes: SmtpEnvelope[];
  authAttempts: AuthAttempt[];
  close(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1 / localhost, valid one day, in a new temp dir. */
export function makeSelfSignedCert(): { dir: string; key: string; cert: string; keyPem: string; certPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'scanhub-smtp-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    { stdio: 'ignore' },
  );
  return { dir, key, cert, keyPem: readFileSync(key, 'utf8'), certPem: readFileSync(cert, 'utf8') };
}

export async function startSmtpServer(options: StartSmtpOptions = {}): Promise<SmtpServerHandle> {
  const tls = makeSelfSignedCert();
  const caFile = join(tls.dir, 'ca.pem');
  writeFileSync(caFile, tls.certPem);
  const users = options.users ?? [];
  const messages: ParsedMail[] = [];
  const envelopes: SmtpEnvelope[] = [];
  const authAttempts: AuthAttempt[] = [];

  const server = new SMTPServer({
    secure: options.secure ?? false,
    key: tls.keyPem,
    cert: tls.certPem,
    ...(options.noStartTls ? { hideSTARTTLS: true, disabledCommands: ['STARTTLS'] } : {}),
    authOptional: !options.requireAuth,
    authMethods: ['PLAIN', 'LOGIN'],
    // AUTH only over TLS, as real relays do.
    allowInsecureAuth: false,
    logger: false,
    size: 10 * 1024 * 1024,
    onAuth(auth, _session, callback) {
      const ok = users.some((u) => u.user === auth.username && u.password === auth.password);
      authAttempts.push({ method: auth.method, username: auth.username ?? '', success: ok });
      if (!ok) {
        const err = Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 });
        return callback(err);
      }
      callback(null, { user: auth.username });
    },
    onRcptTo(address, _session, callback) {
      const refusal = options.rejectRecipient?.(address.address);
      if (refusal) return callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((parsed) => {
            const from = session.envelope.mailFrom;
            envelopes.push({
              from: from ? from.address : undefined,
              to: session.envelope.rcptTo.map((r) => r.address),
              secure: Boolean(session.secure),
              user: typeof session.user === 'string' ? session.user : undefined,
              raw,
            });
            messages.push(parsed);
            callback();
          })
          .catch((error: Error) => callback(error));
      });
    },
  });
  server.on('error', () => {
    /* client errors (e.g. a refused TLS handshake) are expected in tests */
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  return {
    port: address.port,
    caPem: tls.certPem,
    caFile,
    messages,
    envelopes,
    authAttempts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          rmSync(tls.dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
