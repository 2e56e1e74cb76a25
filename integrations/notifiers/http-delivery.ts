// Shared by the HTTP notification channels (Slack, Teams, webhook, SMS): one POST through the
// outbound guard, and the mapping of what came back to an IntegrationError a person and the outbox
// retry logic can act on. Error messages never carry the target URL (a chat webhook URL is itself
// the credential) nor anything from the request configuration.
import { isAxiosError, type AxiosResponse } from 'axios';
import { AppError } from '../../src/errors.js';
import { IntegrationError } from '../../src/plugins/integration-error.js';
import type { NotifierContext } from '../../src/plugins/notifier.js';

export interface PostOptions {
  url: string;
  body: Buffer;
  headers: Record<string, string>;
  /** Basic auth, sent in the Authorization header (never in the URL). */
  auth?: { username: string; password: string } | undefined;
  /** Error code prefix, e.g. SLACK. */
  prefix: string;
  /** Human name of the target, e.g. "Slack", used in error messages. */
  target: string;
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as text (at most 64 KiB kept). */
  text: string;
}

const MAX_BODY_KEPT = 64 * 1024;

/**
 * POSTs `body` (sent byte for byte) and returns whatever HTTP status came back. Network failures,
 * timeouts and refused targets are thrown: `${prefix}_UNREACHABLE` / `${prefix}_TIMEOUT` (retryable)
 * or AppError OUTBOUND_URL_REFUSED (the operator must allow the host).
 */
export async function postRaw(ctx: NotifierContext, options: PostOptions): Promise<RawResponse> {
  const client = ctx.outbound.client({ userSet: true, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  let response: AxiosResponse<ArrayBuffer>;
  try {
    response = await client.request<ArrayBuffer>({
      method: 'POST',
      url: options.url,
      data: options.body,
      headers: { ...options.headers, 'Content-Length': String(options.body.length), 'User-Agent': 'ScanHub-Notifier/1' },
      ...(options.auth ? { auth: options.auth } : {}),
      responseType: 'arraybuffer',
      transformRequest: [(data: unknown) => data],
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
    });
  } catch (error) {
    throw networkError(error, options);
  }
  const raw = Buffer.from(response.data ?? new ArrayBuffer(0));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
    else if (typeof value === 'number') headers[name.toLowerCase()] = String(value);
    else if (Array.isArray(value)) headers[name.toLowerCase()] = value.join(', ');
  }
  return { status: response.status, headers, text: raw.subarray(0, MAX_BODY_KEPT).toString('utf8') };
}

function networkError(error: unknown, options: PostOptions): Error {
  if (error instanceof AppError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'OUTBOUND_URL_REFUSED') {
    // The connect-time guard (DNS answered differently than at check time). Its message names the
    // host only; rebuild it so nothing else from the request travels with it.
    return new AppError(
      'OUTBOUND_URL_REFUSED',
      `The ${options.target} host resolves only to private, loopback, link-local or reserved addresses. An operator can allow it with SCANHUB_OUTBOUND_ALLOW.`,
    );
  }
  const codeText = typeof code === 'string' && /^[A-Z_]+$/.test(code) ? code : undefined;
  if (codeText === 'ECONNABORTED' || codeText === 'ETIMEDOUT' || (isAxiosError(error) && /timeout/i.test(error.message))) {
    return new IntegrationError(`${options.prefix}_TIMEOUT`, `${options.target} did not answer in time; the delivery will be retried.`, { retryable: true });
  }
  return new IntegrationError(
    `${options.prefix}_UNREACHABLE`,
    `Cannot reach ${options.target}${codeText ? ` (${codeText})` : ''}; check the host name, firewall and proxy settings. The delivery will be retried.`,
    { retryable: true },
  );
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date (relative to `now`). Capped at one day. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = at - now.getTime();
  }
  return Math.min(Math.max(ms, 0), 24 * 60 * 60 * 1000);
}

/** True for statuses worth trying again: 408, 429 and 5xx. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Text from a provider's answer that is safe to show: one line, printable, short, with every given
 * secret (webhook URL, token) replaced.
 */
export function safeSnippet(text: string, secrets: readonly (string | undefined)[], max = 200): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  out = out.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  const points = Array.from(out);
  return points.length > max ? `${points.slice(0, max).join('')}…` : out;
}

/**
 * The usual status mapping of a chat/webhook target: 2xx is success; 429, 408, 5xx retryable
 * (`${prefix}_HTTP_<status>`, with Retry-After); other statuses not retryable (`${prefix}_REJECTED`).
 */
export function statusError(
  response: RawResponse,
  ctx: NotifierContext,
  options: { prefix: string; target: string; secrets: readonly (string | undefined)[]; hint?: string },
): IntegrationError {
  const { status } = response;
  const detail = safeSnippet(response.text, options.secrets);
  const said = detail ? `: ${detail}` : '';
  const retryAfterMs = parseRetryAfter(response.headers['retry-after'], ctx.now());
  if (retryableStatus(status)) {
    const what = status === 429 ? 'is rate limiting ScanHub' : status >= 500 ? 'had a server error' : 'timed out the request';
    const when = retryAfterMs !== undefined ? ` after ${Math.ceil(retryAfterMs / 1000)} s (Retry-After)` : '';
    return new IntegrationError(`${options.prefix}_HTTP_${status}`, `${options.target} ${what} (HTTP ${status}${said}); the delivery will be retried${when}.`, {
      retryable: true,
      status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (status >= 300 && status < 400) {
    return new IntegrationError(
      `${options.prefix}_REJECTED`,
      `${options.target} answered with a redirect (HTTP ${status}), which ScanHub does not follow; set the final URL in the channel settings.`,
      { retryable: false, status },
    );
  }
  return new IntegrationError(
    `${options.prefix}_REJECTED`,
    `${options.target} refused the message (HTTP ${status}${said})${options.hint ? `; ${options.hint}` : ''}. It will not be retried.`,
    { retryable: false, status },
  );
}
