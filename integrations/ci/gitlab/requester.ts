// The transport under @gitbeaker/rest: gitbeaker lets a caller replace its requester
// (`requesterFn`, a constructor option that overrides the preset one), so every GitLab call goes
// through ScanHub's guarded axios client (outbound URL guard before the request and at connect
// time, TLS verification, the operator's CA bundle, no proxy, no redirects). It also takes
// gitbeaker's own retry loop out of the path (10 retries of 429/502 with growing sleeps, ~4 min):
// here a non-2xx answer is thrown at once as an IntegrationError, and the client decides whether
// and when to try again (bounded, honouring Retry-After).
import { isAxiosError, type AxiosInstance, type AxiosResponse } from 'axios';
import { AppError } from '../../../src/errors.js';
import { IntegrationError } from '../../../src/plugins/integration-error.js';
import { parseRetryAfter, safeSnippet } from '../../notifiers/http-delivery.js';

/** What gitbeaker hands the requester factory (`ResourceOptions` in @gitbeaker/requester-utils). */
export interface GitbeakerServiceOptions {
  url: string;
  headers: Record<string, string>;
  authHeaders: Record<string, () => Promise<string>>;
}

/** What a resource method hands one request (`DefaultRequestOptions`). */
export interface GitbeakerRequestOptions {
  body?: FormData | Record<string, unknown>;
  searchParams?: Record<string, unknown>;
  sudo?: string | number;
  signal?: AbortSignal;
  asStream?: boolean;
}

export interface GitbeakerResponse {
  body: unknown;
  headers: Record<string, string>;
  status: number;
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type GitbeakerRequester = Record<Method, (endpoint: string, options?: GitbeakerRequestOptions) => Promise<GitbeakerResponse>>;

/** camelCase → snake_case for one key; other keys (already snake, UPPER, with dots) are kept. */
export function decamelize(key: string): string {
  return /^[a-z][a-zA-Z0-9]*$/.test(key) ? key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase() : key;
}

/** Keys decamelized recursively, as gitbeaker does before it sends a body or a query. */
export function decamelizeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decamelizeKeys);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [decamelize(k), decamelizeKeys(v)]));
  }
  return value;
}

/** A query string in Rails' bracket style (`a[]=1&a[]=2`, `o[k]=v`), keys decamelized. */
export function toQueryString(params: Record<string, unknown> | undefined): string {
  const out: string[] = [];
  const add = (key: string, value: unknown): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      for (const v of value) add(`${key}[]`, v);
      return;
    }
    if (value instanceof Date) {
      out.push(`${encodeURIComponent(key)}=${encodeURIComponent(value.toISOString())}`);
      return;
    }
    if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) add(`${key}[${k}]`, v);
      return;
    }
    out.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  };
  for (const [k, v] of Object.entries((decamelizeKeys(params ?? {}) as Record<string, unknown>) ?? {})) add(k, v);
  return out.join('&');
}

/** GitLab's error text: `{"message": …}` or `{"error": …}` (strings or field → messages maps). */
function gitlabMessage(data: unknown, text: string): string {
  if (data && typeof data === 'object') {
    const m = (data as { message?: unknown; error?: unknown }).message ?? (data as { error?: unknown }).error;
    if (typeof m === 'string') return m;
    if (m !== undefined) return JSON.stringify(m);
  }
  return text;
}

/** The IntegrationError for a non-2xx GitLab answer. Codes: GITLAB_UNAUTHORIZED, _FORBIDDEN, _NOT_FOUND, _RATE_LIMITED, _REJECTED, _HTTP_<n>. */
export function gitlabHttpError(status: number, headers: Record<string, string>, data: unknown, text: string, token: string | undefined, now = new Date()): IntegrationError {
  const detail = safeSnippet(gitlabMessage(data, text), [token]);
  const suffix = detail ? `: ${detail}` : '';
  if (status === 401) return new IntegrationError('GITLAB_UNAUTHORIZED', `GitLab refused the token (401)${suffix}. Check that the access token exists, is not expired or revoked, and has the api scope.`, { status });
  if (status === 403) return new IntegrationError('GITLAB_FORBIDDEN', `GitLab refused the request (403)${suffix}. The token's user lacks the role this needs (Developer or higher).`, { status });
  if (status === 404) return new IntegrationError('GITLAB_NOT_FOUND', `GitLab answered 404${suffix}. The project, merge request or commit does not exist, or the token cannot see it.`, { status });
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(headers['retry-after'], now);
    return new IntegrationError('GITLAB_RATE_LIMITED', `GitLab is rate limiting ScanHub (429)${retryAfterMs !== undefined ? `; retry after ${Math.ceil(retryAfterMs / 1000)} s` : ''}.`, {
      status,
      retryable: true,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (status === 408 || status >= 500) {
    const retryAfterMs = parseRetryAfter(headers['retry-after'], now);
    return new IntegrationError(`GITLAB_HTTP_${status}`, `GitLab answered ${status}${suffix}; it will be retried.`, { status, retryable: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  return new IntegrationError('GITLAB_REJECTED', `GitLab rejected the request (${status})${suffix}.`, { status });
}

/** Transport failures: the guard's refusal as AppError, else GITLAB_TIMEOUT / GITLAB_UNREACHABLE (retryable). */
export function gitlabNetworkError(error: unknown): Error {
  if (error instanceof AppError || error instanceof IntegrationError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'OUTBOUND_URL_REFUSED') {
    return new AppError('OUTBOUND_URL_REFUSED', 'The GitLab host resolves only to private, loopback, link-local or reserved addresses. An operator can allow it with SCANHUB_OUTBOUND_ALLOW.');
  }
  const codeText = typeof code === 'string' && /^[A-Z_]+$/.test(code) ? code : undefined;
  if (codeText === 'ECONNABORTED' || codeText === 'ETIMEDOUT' || codeText === 'ERR_CANCELED' || (isAxiosError(error) && /timeout/i.test(error.message))) {
    return new IntegrationError('GITLAB_TIMEOUT', 'GitLab did not answer in time.', { retryable: true });
  }
  return new IntegrationError('GITLAB_UNREACHABLE', `Cannot reach GitLab${codeText ? ` (${codeText})` : ''}; check the URL, firewall and proxy settings.`, { retryable: true });
}

/**
 * A gitbeaker `requesterFn` over an axios instance. `token` is only used to keep it out of error
 * messages. Bodies and queries are decamelized as gitbeaker's own requester does.
 */
export function axiosRequesterFn(http: AxiosInstance, token?: string): (service: GitbeakerServiceOptions) => GitbeakerRequester {
  return (service) => {
    const send = (method: Method) => async (endpoint: string, options: GitbeakerRequestOptions = {}): Promise<GitbeakerResponse> => {
      const base = service.url.endsWith('/') ? service.url : `${service.url}/`;
      const url = new URL(endpoint, base);
      const query = toQueryString(options.searchParams);
      url.search = query;
      const headers: Record<string, string> = { ...service.headers, Accept: 'application/json', 'User-Agent': 'ScanHub-GitLab/1' };
      for (const [name, value] of Object.entries(service.authHeaders)) headers[name] = await value();
      if (options.sudo !== undefined) headers.Sudo = String(options.sudo);
      let data: unknown;
      if (options.body instanceof FormData) data = options.body;
      else if (options.body !== undefined && method !== 'get') {
        data = JSON.stringify(decamelizeKeys(options.body));
        headers['Content-Type'] = 'application/json';
      }
      let response: AxiosResponse<ArrayBuffer>;
      try {
        response = await http.request<ArrayBuffer>({
          method,
          url: url.toString(),
          headers,
          data,
          responseType: 'arraybuffer',
          transformRequest: [(d: unknown) => d],
          transformResponse: [(d: unknown) => d],
          validateStatus: () => true,
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (error) {
        throw gitlabNetworkError(error);
      }
      const lower: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers ?? {})) {
        if (typeof value === 'string') lower[name.toLowerCase()] = value;
        else if (typeof value === 'number') lower[name.toLowerCase()] = String(value);
        else if (Array.isArray(value)) lower[name.toLowerCase()] = value.join(', ');
      }
      const raw = Buffer.from(response.data ?? new ArrayBuffer(0));
      const contentType = (lower['content-type'] ?? '').split(';')[0]!.trim();
      const text = raw.toString('utf8');
      let body: unknown = null;
      if (response.status !== 204 && raw.length > 0) {
        if (contentType === 'application/json') {
          try {
            body = JSON.parse(text);
          } catch {
            throw new IntegrationError('GITLAB_BAD_RESPONSE', `GitLab answered ${response.status} with malformed JSON.`, { status: response.status, retryable: response.status >= 500 });
          }
        } else if (contentType.startsWith('text/')) body = text;
        else body = new Blob([new Uint8Array(raw)]);
      }
      if (response.status < 200 || response.status > 299) throw gitlabHttpError(response.status, lower, body, contentType === 'application/json' ? '' : text, token);
      return { body, headers: lower, status: response.status };
    };
    return { get: send('get'), post: send('post'), put: send('put'), patch: send('patch'), delete: send('delete') };
  };
}
