import { ApiError, NetworkError } from './errors';

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  method?: string;
  query?: Query;
  body?: unknown;
  /** A text body sent as is (e.g. CSV), with its content type. */
  text?: { body: string; contentType: string };
  accept?: string;
  signal?: AbortSignal;
}

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    qs.set(k, String(v));
  }
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

/** The cookie the server sets beside the HttpOnly session cookie: the CSRF proof of this browser's session. */
export const CSRF_COOKIE = 'kohort_csrf';
export const CSRF_HEADER = 'x-kohort-csrf';

/** The CSRF proof of the browser's session, or null when it holds none (signed out). */
export function csrfToken(): string | null {
  if (typeof document === 'undefined') return null;
  for (const part of document.cookie.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === CSRF_COOKIE && value.length) return decodeURIComponent(value.join('='));
  }
  return null;
}

/** Forgets the CSRF cookie (the HttpOnly session cookie is the server's to clear). */
export function forgetCsrfToken(): void {
  if (typeof document !== 'undefined') document.cookie = `${CSRF_COOKIE}=; Max-Age=0; Path=/; SameSite=Strict`;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A small typed client for the management API: JSON, typed errors. The web
 * app's client has no token: the browser sends its HttpOnly session cookie,
 * and the client adds the CSRF proof to every change. A token (scripts,
 * tests) goes as Bearer instead.
 */
export class ApiClient {
  constructor(
    readonly token: string | null = null,
    readonly baseUrl = '',
  ) {}

  async raw(path: string, opts: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: opts.accept ?? 'application/json' };
    const method = opts.method ?? (opts.text || opts.body !== undefined ? 'POST' : 'GET');
    if (this.token) {
      headers.authorization = `Bearer ${this.token}`;
    } else if (!SAFE_METHODS.has(method)) {
      const csrf = csrfToken();
      if (csrf) headers[CSRF_HEADER] = csrf;
    }
    let body: BodyInit | undefined;
    if (opts.text) {
      headers['content-type'] = opts.text.contentType;
      body = opts.text.body;
    } else if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    let res: Response;
    try {
      res = await fetch(this.baseUrl + withQuery(path, opts.query), {
        method,
        headers,
        body,
        credentials: 'same-origin',
        signal: opts.signal,
      });
    } catch (err) {
      if ((err as Error)?.name === 'AbortError') throw err;
      throw new NetworkError(err);
    }
    if (!res.ok) throw await toApiError(res);
    return res;
  }

  async request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.raw(path, opts);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>(path, { query, signal });
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>(path, { method: 'POST', body: body ?? {} });
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>(path, { method: 'PATCH', body });
  }
  delete(path: string, query?: Query): Promise<void> {
    return this.request<void>(path, { method: 'DELETE', query });
  }
}

export async function toApiError(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
    if (parsed?.error && typeof parsed.error === 'object') {
      return new ApiError(
        res.status,
        parsed.error.code ?? `http_${res.status}`,
        parsed.error.message ?? res.statusText,
        parsed.error.details,
      );
    }
  } catch {
    // Not JSON (a proxy page, a crash): fall through to a generic error.
  }
  const fallback =
    res.status === 502 || res.status === 503 || res.status === 504
      ? 'The Kohort server is unavailable right now.'
      : `Request failed with HTTP ${res.status}.`;
  return new ApiError(res.status, `http_${res.status}`, fallback);
}
