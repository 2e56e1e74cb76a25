// One catalogue of coded errors: code → HTTP status and a message a person can act on.
// Error bodies never carry secrets; `details` holds only structured, non-secret facts.

export const ERROR_CATALOGUE = {
  BAD_REQUEST: { status: 400, message: 'The request is not valid.' },
  VALIDATION_FAILED: { status: 400, message: 'The request does not match the expected shape.' },
  UNAUTHENTICATED: { status: 401, message: 'A valid API token is required (Authorization: Bearer <token>).' },
  WEBHOOK_UNAUTHENTICATED: { status: 401, message: 'The webhook signature or secret does not match a configured integration.' },
  FORBIDDEN: { status: 403, message: 'This token is not allowed to do that.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'That method is not supported on this path.' },
  PROJECT_NOT_FOUND: { status: 404, message: 'No such project.' },
  SUBMISSION_NOT_FOUND: { status: 404, message: 'No such submission.' },
  SUBMISSION_PRUNED: { status: 410, message: "This submission's findings were pruned by retention (SCANHUB_SUBMISSION_RETENTION); its verdict and counts are kept. The ref's latest submission always keeps its findings." },
  PROJECT_EXISTS: { status: 409, message: 'A project with that name exists already.' },
  CONFLICT: { status: 409, message: 'The request conflicts with the current state.' },
  POLICY_INVALID: { status: 422, message: 'The policy is not valid.' },
  IDEMPOTENCY_CONFLICT: { status: 409, message: 'That idempotency key was used for a different request.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The upload is larger than the configured limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type.' },
  REPORT_FORMAT_UNKNOWN: { status: 422, message: 'No parser recognises this report.' },
  REPORT_MALFORMED: { status: 422, message: 'The report could not be parsed.' },
  REPORT_TOOL_MISMATCH: { status: 422, message: 'The report is not in the format of the named tool.' },
  NO_REPORTS: { status: 422, message: 'A submission needs at least one report file.' },
  UNKNOWN_TOOL: { status: 422, message: 'No scanner plugin has that id.' },
  OUTBOUND_URL_REFUSED: { status: 422, message: 'That URL is not allowed as an outbound target.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; retry later.' },
  SECRET_KEY_MISSING: { status: 503, message: 'ScanHub has no secret key (SCANHUB_SECRET_KEY or SCANHUB_SECRET_KEY_FILE), so it refuses to store credentials.' },
  SECRET_UNREADABLE: { status: 500, message: 'A stored credential cannot be decrypted with the configured keys (see SECURITY.md, key rotation).' },
  INTEGRATION_NOT_FOUND: { status: 404, message: 'No such integration.' },
  CSRF_FAILED: { status: 403, message: 'The form is stale or came from another site; reload the page and try again.' },
  NOT_READY: { status: 503, message: 'The service is not ready.' },
  INGEST_FAILED: { status: 500, message: 'ScanHub gave up ingesting this submission after repeated failures; the reason is in its job and logs. Submit the reports again.' },
  INTERNAL: { status: 500, message: 'Internal error. The incident was logged.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? ERROR_CATALOGUE[code].message);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.details = details;
  }
}

/**
 * A report document that cannot be read. `pointer` is a JSON pointer (or XML path) to the place
 * that broke, so the person who made the report can find it.
 */
export class ReportFormatError extends Error {
  readonly pointer: string | undefined;
  readonly code: 'REPORT_MALFORMED' | 'REPORT_FORMAT_UNKNOWN' | 'REPORT_TOOL_MISMATCH';
  readonly details: Record<string, unknown> | undefined;

  constructor(
    message: string,
    options: { pointer?: string; code?: ReportFormatError['code']; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReportFormatError';
    this.pointer = options.pointer;
    this.code = options.code ?? 'REPORT_MALFORMED';
    this.details = options.details;
  }

  toAppError(filename?: string): AppError {
    return new AppError(this.code, this.message, {
      ...(filename ? { file: filename } : {}),
      ...(this.pointer !== undefined ? { pointer: this.pointer } : {}),
      ...this.details,
    });
  }
}
