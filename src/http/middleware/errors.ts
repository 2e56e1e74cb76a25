// The one place errors become HTTP responses: coded body, catalogued status, no stack, no secret.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import multer from 'multer';
import { z } from 'zod';
import { AppError, ERROR_CATALOGUE, ReportFormatError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { renderHtml } from '../../reports/engine.js';

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof ReportFormatError) return error.toAppError();
  if (error instanceof z.ZodError) {
    return new AppError('VALIDATION_FAILED', error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '), {
      issues: error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
    });
  }
  if (error instanceof multer.MulterError) {
    if (error.code === 'LIMIT_FILE_SIZE') return new AppError('PAYLOAD_TOO_LARGE', 'A report file is larger than the upload limit (SCANHUB_MAX_UPLOAD).');
    if (error.code === 'LIMIT_FILE_COUNT') return new AppError('PAYLOAD_TOO_LARGE', 'Too many report files in one submission (SCANHUB_MAX_REPORTS).');
    if (error.code === 'LIMIT_FIELD_VALUE' || error.code === 'LIMIT_FIELD_COUNT' || error.code === 'LIMIT_PART_COUNT') {
      return new AppError('PAYLOAD_TOO_LARGE', 'The multipart form has too many or too large fields.');
    }
    return new AppError('BAD_REQUEST', `The multipart upload is not valid (${error.code}): send report files in the field "report".`);
  }
  const e = error as { type?: string; status?: number; statusCode?: number; message?: string };
  if (e.type === 'entity.too.large') return new AppError('PAYLOAD_TOO_LARGE');
  // JSON.parse messages quote the input, which may be a secret: only our own reviver's reason is passed on.
  if (e.type === 'entity.parse.failed') return new AppError('BAD_REQUEST', /NUL characters/.test(String(e.message)) ? 'NUL characters are not allowed in strings.' : 'The request body is not valid JSON.');
  if ((e.status ?? e.statusCode) === 400) return new AppError('BAD_REQUEST');
  return new AppError('INTERNAL');
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const appError = toAppError(error);
    if (appError.code === 'INTERNAL') log.error({ err: error, requestId: res.locals.requestId, path: req.path }, 'request failed');
    else log.info({ code: appError.code, requestId: res.locals.requestId, path: req.path }, 'request refused');
    if (res.headersSent) return;
    // A person at a page gets a page; programs (the API, webhooks, anything asking for JSON) get JSON.
    if (!/^\/(api|webhooks)(\/|$)/.test(req.path) && req.accepts(['json', 'html']) === 'html') {
      res.status(appError.status).type('html').send(renderHtml('web/error', { status: appError.status, code: appError.code, message: appError.message, requestId: res.locals.requestId }));
      return;
    }
    res.status(appError.status).json({
      error: {
        code: appError.code,
        message: appError.message,
        ...(appError.details ? { details: appError.details } : {}),
        ...(res.locals.requestId ? { requestId: res.locals.requestId } : {}),
      },
    });
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `No route ${req.method} ${req.path}.`));
};

export { ERROR_CATALOGUE };
