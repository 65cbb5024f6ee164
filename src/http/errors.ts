import type { FastifyError, FastifyInstance } from 'fastify';
import { ServiceError } from '../services/errors.js';
import { validationError } from './route-validation.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

const body = (code: string, message: string, details?: unknown): ErrorBody => ({
  error: details === undefined ? { code, message } : { code, message, details },
});

/** Fastify's own 4xx errors (body parsing, limits) in the contract's shape. */
export function fromFastify(err: FastifyError): { status: number; body: ErrorBody } | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: body('payload_too_large', 'The request body is larger than 1 MiB') };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: body('unsupported_media_type', 'Send JSON (Content-Type: application/json)') };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: body('invalid_json', 'The body is empty; send a JSON object') };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, body: body('invalid_json', `The body is not valid JSON: ${err.message}`) };
  }
  if (err instanceof SyntaxError || /JSON|prototype|__proto__|constructor/i.test(err.message)) {
    if ((err.statusCode ?? 400) === 400) return { status: 400, body: body('invalid_json', `The body is not valid JSON: ${err.message}`) };
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, body: body('bad_request', err.message) };
  }
  return undefined;
}

/** The one place where errors become HTTP responses. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((raw: FastifyError, req, reply) => {
    const err = validationError(raw) ?? raw;
    if (err instanceof ServiceError) {
      // A 429 says when to try again, in the header clients and proxies understand.
      const retry = (err.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
      if (err.status === 429 && typeof retry === 'number') reply.header('retry-after', String(retry));
      return reply.status(err.status).send(body(err.code, err.message, err.details));
    }
    const mapped = fromFastify(err);
    if (mapped) return reply.status(mapped.status).send(mapped.body);
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send(body('internal', 'Something went wrong on our side; the error was logged'));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(body('not_found', `No route ${req.method} ${req.url.split('?')[0]}`));
  });
}
