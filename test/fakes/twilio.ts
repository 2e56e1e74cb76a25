// A fake Twilio Messages API (POST /2010-04-01/Accounts/{AccountSid}/Messages.json) on 127.0.0.1.
// Like Twilio it checks HTTP Basic auth (AccountSid:AuthToken, and the SID in the path), parses the
// form body, validates E.164 numbers, answers 201 with the message resource (sid "SM" + 32 hex,
// status "queued", num_segments counted from the text) or Twilio's JSON errors
// { code, message, more_info, status }. 429/500 can be scripted.
import { randomBytes } from 'node:crypto';
import { startRecordingServer, type FakeServer, type RecordedRequest, type ScriptedReply } from './http.js';

export interface TwilioFakeOptions {
  accountSid: string;
  authToken: string;
  /** Numbers the account owns (From must be one of them). Default: any E.164 number. */
  owned?: string[];
  /** Numbers Twilio would refuse as To with 21211. */
  badNumbers?: string[];
  script?: ScriptedReply[];
}

export interface TwilioMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
  encoding: 'GSM-7' | 'UCS-2';
  /** Segments, counted the way carriers do (160/153 septets, 70/67 UCS-2 units). */
  numSegments: number;
}

export interface TwilioFake extends FakeServer {
  messages: TwilioMessage[];
}

// An independent GSM 03.38 table (basic + extension), written out from the standard's code chart.
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' + '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const EXTENSION = '\f^{}\\[~]|€';

export function segments(text: string): { encoding: 'GSM-7' | 'UCS-2'; units: number; count: number } {
  let septets = 0;
  let gsm = true;
  for (const ch of text) {
    if (ch !== '\u001b' && BASIC.includes(ch)) septets += 1;
    else if (EXTENSION.includes(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return { encoding: 'GSM-7', units: septets, count: septets <= 160 ? 1 : Math.ceil(septets / 153) };
  const units = text.length;
  return { encoding: 'UCS-2', units, count: units <= 70 ? 1 : Math.ceil(units / 67) };
}

const E164 = /^\+[1-9]\d{1,14}$/;

function error(status: number, code: number, message: string): ScriptedReply {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

export async function start(options: TwilioFakeOptions): Promise<TwilioFake> {
  const messages: TwilioMessage[] = [];
  const handle = (request: RecordedRequest): ScriptedReply => {
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(request.path);
    if (!match) return error(404, 20404, `The requested resource ${request.path} was not found`);
    if (request.method !== 'POST') return error(405, 20004, 'Method not allowed');
    const auth = String(request.headers.authorization ?? '');
    const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const user = colon >= 0 ? decoded.slice(0, colon) : '';
    const pass = colon >= 0 ? decoded.slice(colon + 1) : '';
    if (user !== options.accountSid || pass !== options.authToken) {
      return { ...error(401, 20003, 'Authenticate'), headers: { 'WWW-Authenticate': 'Basic realm="Twilio API"' } };
    }
    if (decodeURIComponent(match[1]!) !== options.accountSid) return error(403, 20003, 'Permission denied: the Account SID in the URL is not yours');
    if (!String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return error(400, 20001, 'Content-Type must be application/x-www-form-urlencoded');
    const form = new URLSearchParams(request.raw.toString('utf8'));
    const to = form.get('To');
    const from = form.get('From');
    const body = form.get('Body');
    if (!to) return error(400, 21604, "A 'To' phone number is required.");
    if (!from) return error(400, 21603, "A 'From' phone number is required.");
    if (!E164.test(to) || options.badNumbers?.includes(to)) return error(400, 21211, `Invalid 'To' Phone Number: ${to}`);
    if (!E164.test(from) || (options.owned && !options.owned.includes(from))) {
      return error(400, 21606, `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`);
    }
    if (!body) return error(400, 21602, 'Message body is required.');
    if (body.length > 1600) return error(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    const seg = segments(body);
    const sid = `SM${randomBytes(16).toString('hex')}`;
    messages.push({ sid, to, from, body, encoding: seg.encoding, numSegments: seg.count });
    const now = new Date().toUTCString();
    return {
      status: 201,
      body: {
        account_sid: options.accountSid,
        api_version: '2010-04-01',
        body,
        date_created: now,
        date_sent: null,
        date_updated: now,
        direction: 'outbound-api',
        error_code: null,
        error_message: null,
        from,
        messaging_service_sid: null,
        num_media: '0',
        num_segments: String(seg.count),
        price: null,
        price_unit: 'USD',
        sid,
        status: 'queued',
        subresource_uris: { media: `/2010-04-01/Accounts/${options.accountSid}/Messages/${sid}/Media.json` },
        to,
        uri: `/2010-04-01/Accounts/${options.accountSid}/Messages/${sid}.json`,
      },
    };
  };
  const server = await startRecordingServer(handle);
  server.script.push(...(options.script ?? []));
  return { ...server, messages };
}
