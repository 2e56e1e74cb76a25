// SMS channel: a Twilio-compatible Messages API. One request per recipient; the text is one SMS
// segment: at most 160 GSM-7 septets, or 70 UTF-16 units when it needs UCS-2 (emoji, most non-Latin
// scripts). Only the essentials go in: severity, subject, and the link when it fits.
import type { z } from 'zod';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import type { NotificationMessage, NotifierContext, NotifierPlugin } from '../../../src/plugins/notifier.js';
import { postRaw, retryableStatus, parseRetryAfter, safeSnippet, type RawResponse } from '../http-delivery.js';
import { oneLine, safeLink } from '../text.js';
import { smsConnection } from './connection.js';

export type SmsConfig = z.output<typeof smsConnection.configSchema>;

export const GSM7_SEGMENT = 160;
export const UCS2_SEGMENT = 70;

// GSM 03.38 default alphabet (one septet each) and its extension table (escape + char: two septets).
const GSM7_BASIC = new Set(
  Array.from('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'),
);
const GSM7_EXTENDED = new Set(Array.from('^{}\\[~]|€\f'));

export function isGsm7(text: string): boolean {
  for (const ch of text) if (!GSM7_BASIC.has(ch) && !GSM7_EXTENDED.has(ch)) return false;
  return true;
}

/** Septets for GSM-7 text, UTF-16 code units for UCS-2 text. */
export function smsLength(text: string): { encoding: 'GSM-7' | 'UCS-2'; units: number; limit: number } {
  if (isGsm7(text)) {
    let units = 0;
    for (const ch of text) units += GSM7_EXTENDED.has(ch) ? 2 : 1;
    return { encoding: 'GSM-7', units, limit: GSM7_SEGMENT };
  }
  return { encoding: 'UCS-2', units: text.length, limit: UCS2_SEGMENT };
}

// Typographic characters a template or title may carry, mapped to GSM-7 so they do not force UCS-2.
const TO_GSM: Record<string, string> = { '‘': "'", '’': "'", '‚': "'", '“': '"', '”': '"', '„': '"', '–': '-', '—': '-', '…': '...', '\u00a0': ' ', '•': '-', '`': "'" };

function normalize(text: string): string {
  return oneLine(text).replace(/[‘’‚“”„–—…\u00a0•`]/g, (ch) => TO_GSM[ch] ?? ch);
}

const ELLIPSIS = '...';
/** A link is only worth its room when at least this much of the subject stays readable. */
const MIN_SUBJECT_WITH_LINK = 40;

/** The longest prefix of `text` whose cost (in the given encoding) fits `budget`, with "..." when cut. */
function fit(text: string, budget: number, encoding: 'GSM-7' | 'UCS-2'): string {
  const cost = (ch: string) => (encoding === 'UCS-2' ? ch.length : GSM7_EXTENDED.has(ch) ? 2 : 1);
  let total = 0;
  for (const ch of text) total += cost(ch);
  if (total <= budget) return text;
  const room = budget - ELLIPSIS.length;
  let out = '';
  let used = 0;
  for (const ch of text) {
    if (used + cost(ch) > room) break;
    out += ch;
    used += cost(ch);
  }
  return out.trimEnd() + ELLIPSIS;
}

/** The one-segment SMS text for a message. */
export function smsBody(message: Pick<NotificationMessage, 'subject' | 'severity' | 'link' | 'event'>): string {
  const head = `${message.severity ? `${message.severity.toUpperCase()}: ` : ''}${normalize(message.subject) || message.event}`;
  const link = safeLink(message.link);
  const { encoding, limit } = smsLength(link ? `${head} ${link}` : head);
  if (link) {
    const full = `${head} ${link}`;
    if (smsLength(full).units <= limit) return full;
    const linkCost = smsLength(link).units + 1;
    const headRoom = limit - linkCost;
    if (headRoom >= MIN_SUBJECT_WITH_LINK || (headRoom > 0 && smsLength(head).units <= headRoom)) {
      return `${fit(head, headRoom, encoding)} ${link}`;
    }
  }
  return fit(head, limit, encoding);
}

interface TwilioError {
  code?: unknown;
  message?: unknown;
  more_info?: unknown;
}

export const smsNotifier: NotifierPlugin<SmsConfig> = {
  kind: 'notifier',
  id: 'sms',
  connection: smsConnection,
  async send(config, message, ctx) {
    const body = smsBody(message);
    const url = `${config.baseUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`;
    const sids: string[] = [];
    const failures: { to: string; error: IntegrationError }[] = [];
    for (const to of config.to) {
      try {
        sids.push(await sendOne(ctx, config, url, to, body));
      } catch (error) {
        if (!(error instanceof IntegrationError)) throw error;
        // Wrong credentials fail every recipient the same way: stop at the first.
        if (error.code === 'SMS_AUTH_FAILED') throw error;
        failures.push({ to, error });
      }
    }
    if (failures.length === 0) return { providerId: sids.join(',') };
    const first = failures[0]!.error;
    if (sids.length === 0 && failures.length === 1) throw first;
    const list = failures.map((f) => `${f.to}: ${f.error.code}`).join('; ');
    if (sids.length === 0) {
      // Nothing went out, so retrying everything duplicates nothing.
      const retryable = failures.every((f) => f.error.retryable);
      throw new IntegrationError(first.code, `No SMS could be sent (${list}). ${first.message}`, { ...first.options, retryable });
    }
    throw new IntegrationError(
      'SMS_PARTIAL',
      `SMS to ${failures.length} of ${config.to.length} recipients failed (${list}); the others were sent (${sids.join(', ')}), so it is not retried. ${first.message}`,
      { retryable: false, ...(first.options.status ? { status: first.options.status } : {}) },
    );
  },
};

async function sendOne(ctx: NotifierContext, config: SmsConfig, url: string, to: string, text: string): Promise<string> {
  const form = Buffer.from(new URLSearchParams({ To: to, From: config.from, Body: text }).toString(), 'utf8');
  const response = await postRaw(ctx, {
    url,
    body: form,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', Accept: 'application/json' },
    auth: { username: config.accountSid, password: config.authToken },
    prefix: 'SMS',
    target: 'The SMS provider',
  });
  if (response.status >= 200 && response.status < 300) {
    const sid = parseJson(response.text)?.sid;
    if (typeof sid === 'string' && sid) return sid;
    throw new IntegrationError('SMS_BAD_RESPONSE', `The SMS provider accepted the message to ${to} but gave no message SID; check that the base URL points at a Twilio-compatible API.`, {
      retryable: false,
      status: response.status,
    });
  }
  throw smsError(response, ctx, config, to);
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function smsError(response: RawResponse, ctx: NotifierContext, config: SmsConfig, to: string): IntegrationError {
  const { status } = response;
  const parsed = (parseJson(response.text) ?? {}) as TwilioError;
  const providerCode = typeof parsed.code === 'number' || typeof parsed.code === 'string' ? String(parsed.code) : undefined;
  const secrets = [config.authToken];
  const providerMessage = typeof parsed.message === 'string' ? safeSnippet(parsed.message, secrets) : safeSnippet(response.text, secrets, 120);
  const said = [providerCode ? `error ${providerCode}` : undefined, providerMessage || undefined].filter(Boolean).join(': ');
  const detail = `HTTP ${status}${said ? `, ${said}` : ''}`;
  if (status === 401 || status === 403) {
    return new IntegrationError('SMS_AUTH_FAILED', `The SMS provider refused the credentials (${detail}); check the Account SID and Auth Token of the SMS channel.`, { retryable: false, status });
  }
  if (retryableStatus(status)) {
    const retryAfterMs = parseRetryAfter(response.headers['retry-after'], ctx.now());
    const what = status === 429 ? 'is rate limiting ScanHub' : status >= 500 ? 'had a server error' : 'timed out the request';
    return new IntegrationError(`SMS_HTTP_${status}`, `The SMS provider ${what} sending to ${to} (${detail}); it will be retried.`, {
      retryable: true,
      status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  const advice =
    providerCode === '21211' || providerCode === '21614'
      ? `the number ${to} is not a valid mobile number: fix it in the channel settings`
      : providerCode === '21606' || providerCode === '21659' || providerCode === '21212'
        ? `the sender ${config.from} cannot send SMS from this account: use a number the account owns`
        : providerCode === '21610'
          ? `${to} has opted out (replied STOP)`
          : providerCode === '21608'
            ? 'a trial account can only send to verified numbers'
            : status === 404
              ? 'check the base URL and the Account SID'
              : 'check the numbers and the account';
  return new IntegrationError('SMS_REJECTED', `The SMS provider refused the message to ${to} (${detail}); ${advice}. It will not be retried.`, { retryable: false, status });
}
