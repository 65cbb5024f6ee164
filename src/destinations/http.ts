import { randomUUID } from 'node:crypto';
import { DEFAULT_REQUEST_TIMEOUT_MS, type DestinationOptions, type SendOutcome } from './destination.js';
import { isOutboundRefused, REFUSED_MESSAGE } from './outbound-guard.js';

/** Longest wait a `Retry-After` can ask for; the spec caps it at 5 minutes. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
  url: string;
  headers?: Record<string, string>;
  /** Serialized as JSON when not a string. */
  body?: unknown;
  idempotencyKey?: string;
}

export type HttpResult =
  | { kind: 'response'; status: number; headers: Headers; text: string; json: unknown }
  | { kind: 'network_error'; message: string; timedOut: boolean; refused?: boolean };

/** Network error codes in the words a user reads in a run's errors. */
const PLAIN_NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the receiver',
  EPIPE: 'connection closed by the receiver',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
};

/** One HTTP request with the shared rules: JSON, Idempotency-Key, a hard timeout. */
export async function httpRequest(req: HttpRequest, opts: DestinationOptions): Promise<HttpResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const doFetch = opts.fetch ?? fetch;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  // Every request carries both, even a body-less GET of "test connection";
  // callers pass the key that must stay stable across retries of a batch.
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/json',
    ...req.headers,
    'idempotency-key': req.idempotencyKey ?? randomUUID(),
  };
  const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
  try {
    const res = await doFetch(req.url, { method: req.method, headers, body, signal: controller.signal });
    // The body read is under the same timeout: a receiver that stalls mid-body is a timeout too.
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { kind: 'response', status: res.status, headers: res.headers, text, json };
  } catch (err) {
    // The outbound guard refused the target (never connected): one message for every such target.
    if (isOutboundRefused(err)) return { kind: 'network_error', message: REFUSED_MESSAGE, timedOut: false, refused: true };
    const timedOut = controller.signal.aborted;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const code = cause?.code ?? cause?.message ?? (err as Error).message;
    const message = timedOut ? `timed out after ${timeoutMs} ms` : `network error: ${PLAIN_NETWORK_ERRORS[code] ?? code}`;
    return { kind: 'network_error', message, timedOut };
  } finally {
    clearTimeout(timer);
  }
}

/** `Retry-After` as milliseconds (delta-seconds or HTTP date), capped at 5 minutes. */
export function parseRetryAfter(value: string | null, now: Date = new Date()): number | undefined {
  if (value == null || value.trim() === '') return undefined;
  const v = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(v)) ms = Math.round(Number(v) * 1000);
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now.getTime());
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** Short, secret-free description of a response for run history. */
export function describeResponse(status: number, text: string): string {
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 300);
  return snippet ? `HTTP ${status}: ${snippet}` : `HTTP ${status}`;
}

/**
 * The engine's generic classification: 2xx ok; 408/429/5xx retried (honouring
 * Retry-After); 401/403 auth failure; other 4xx permanent for the batch.
 */
export function classifyHttp(result: HttpResult, now: Date = new Date()): SendOutcome {
  if (result.kind === 'network_error') {
    return result.refused ? { kind: 'permanent', status: null, message: result.message } : { kind: 'retry', message: result.message };
  }
  const { status, text } = result;
  const message = describeResponse(status, text);
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (status === 401 || status === 403) return { kind: 'auth_failed', status, message };
  if (status === 408 || status === 429 || status >= 500) {
    const afterMs = parseRetryAfter(result.headers.get('retry-after'), now);
    return { kind: 'retry', status, message, ...(afterMs !== undefined ? { afterMs } : {}) };
  }
  return { kind: 'permanent', status, message };
}

export function basicAuth(user: string, password = ''): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}
