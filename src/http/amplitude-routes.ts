import formbody from '@fastify/formbody';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { REQUIRED_MESSAGE } from '../schemas/events.js';
import { ServiceError, invalidInput, type FieldIssue } from '../services/errors.js';
import { ID_REQUIRED_MESSAGE } from '../services/ingest-amplitude.js';
import type { IngestService } from '../services/ingest.js';
import { writeKeyStatus } from './auth.js';
import { fromFastify } from './errors.js';

/** Amplitude's error body: its SDKs read the status from `code` and drop only the events listed. */
export interface AmplitudeErrorBody {
  code: number;
  error: string;
  missing_field?: string;
  events_with_invalid_fields?: Record<string, number[]>;
  events_with_missing_fields?: Record<string, number[]>;
  /** Kohort's own list of `{ index, field, message }`, for people reading the answer. */
  details?: unknown;
}

const isMissing = (i: FieldIssue) => i.message === REQUIRED_MESSAGE || i.message === ID_REQUIRED_MESSAGE;

/** A 400's field issues as Amplitude reports them: per top-level field, the indexes of the events. */
function invalidBody(message: string, issues: FieldIssue[]): AmplitudeErrorBody {
  const body: AmplitudeErrorBody = { code: 400, error: message };
  const requestLevel = issues.find((i) => i.index === undefined && isMissing(i));
  if (requestLevel) body.missing_field = requestLevel.field;
  const group = (list: FieldIssue[]) => {
    const out: Record<string, number[]> = {};
    for (const i of list) {
      const field = i.field.split('.')[0];
      const indexes = (out[field] ??= []);
      if (!indexes.includes(i.index!)) indexes.push(i.index!);
    }
    return out;
  };
  const perEvent = issues.filter((i) => i.index !== undefined);
  const invalid = group(perEvent.filter((i) => !isMissing(i)));
  const missing = group(perEvent.filter(isMissing));
  if (Object.keys(invalid).length) body.events_with_invalid_fields = invalid;
  if (Object.keys(missing).length) body.events_with_missing_fields = missing;
  if (issues.length) body.details = issues;
  return body;
}

export function amplitudeError(err: unknown): { status: number; body: AmplitudeErrorBody; retryAfter?: number } | undefined {
  if (err instanceof ServiceError) {
    const issues = Array.isArray(err.details) ? (err.details as FieldIssue[]) : [];
    if (err.status === 400) return { status: 400, body: invalidBody(err.message, issues) };
    const body: AmplitudeErrorBody = { code: err.status, error: err.message };
    if (issues.length) body.details = issues;
    const retry = (err.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    return { status: err.status, body, retryAfter: typeof retry === 'number' ? retry : undefined };
  }
  const mapped = fromFastify(err as FastifyError);
  if (mapped) return { status: mapped.status, body: { code: mapped.status, error: mapped.body.error.message } };
  return undefined;
}

/**
 * Amplitude's ingestion APIs (api.md, Ingestion): HTTP API v2, Batch API and
 * Identify API, answered in Amplitude's shapes so its SDKs keep the valid
 * events of a rejected batch and split an oversized one. Encapsulated: the
 * form-body parser and the error shape apply to these routes only.
 */
export function registerAmplitudeRoutes(app: FastifyInstance, deps: { ingest: IngestService; writeKey: string }): void {
  const { ingest, writeKey } = deps;
  void app.register(async (scope) => {
    await scope.register(formbody);
    scope.setErrorHandler((err, req, reply) => {
      const mapped = amplitudeError(err);
      if (!mapped) {
        req.log.error({ err }, 'unhandled error');
        return reply.status(500).send({ code: 500, error: 'Something went wrong on our side; the error was logged' });
      }
      if (mapped.retryAfter !== undefined) reply.header('retry-after', String(mapped.retryAfter));
      return reply.status(mapped.status).send(mapped.body);
    });
    const preHandler = async (req: FastifyRequest) => {
      const status = writeKeyStatus(req, writeKey);
      if (status === 'missing') throw invalidInput('Request missing required field', [{ field: 'api_key', message: REQUIRED_MESSAGE }]);
      if (status === 'invalid') throw new ServiceError(400, 'invalid_api_key', 'Invalid API key: the key is not this server\'s write key');
    };
    const answer = (req: FastifyRequest, events: number) => ({
      code: 200,
      events_ingested: events,
      payload_size_bytes: Number(req.headers['content-length'] ?? 0),
      server_upload_time: Date.now(),
    });
    const bodyBytes = (req: FastifyRequest) => {
      const n = Number(req.headers['content-length']);
      return Number.isFinite(n) && n >= 0 ? n : undefined;
    };
    for (const url of ['/2/httpapi', '/batch']) {
      scope.post(url, { preHandler }, async (req) => answer(req, (await ingest.amplitude(req.body, bodyBytes(req))).events));
    }
    scope.post('/identify', { preHandler }, async (req) => answer(req, (await ingest.amplitudeIdentify(req.body, bodyBytes(req))).events));
  });
}
