import type { Account } from '../../schemas/accounts';
import { ApiClient, CSRF_HEADER, toApiError } from '../api/client';
import { ApiError, NetworkError } from '../api/errors';

/** What browser sign-in answers; the session itself stays in an HttpOnly cookie script cannot read. */
export interface LoginResult {
  via: 'session' | 'admin_token';
  role: Account['role'];
  account: Account | null;
  expiresAt: string;
}

/** 429 on sign-in: too many failures for this email; `retryAfterSeconds` when the server says. */
export class LoginThrottled extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number | null,
  ) {
    super(message);
    this.name = 'LoginThrottled';
  }
}

function retryAfter(res: Response, err: ApiError): number | null {
  const header = res.headers.get('retry-after');
  if (header && /^\d+$/.test(header.trim())) return Number(header);
  if (header) {
    const at = Date.parse(header);
    if (!Number.isNaN(at)) return Math.max(0, Math.ceil((at - Date.now()) / 1000));
  }
  const d = err.details as { retryAfterSeconds?: unknown; retryAfter?: unknown } | undefined;
  const n = d?.retryAfterSeconds ?? d?.retryAfter;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

/**
 * `POST /v1/auth/session`: the server sets the session cookies. The custom
 * header is what proves the request comes from this app (no other site can
 * send it). Throws NetworkError, LoginThrottled or ApiError.
 */
async function startSession(body: unknown, baseUrl: string): Promise<LoginResult> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/v1/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', [CSRF_HEADER]: '1' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (err) {
    throw new NetworkError(err);
  }
  if (res.ok) return (await res.json()) as LoginResult;
  const err = await toApiError(res);
  if (res.status === 429) throw new LoginThrottled(err.message, retryAfter(res, err));
  throw err;
}

/** Signs the browser in with email and password. */
export function login(email: string, password: string, baseUrl = ''): Promise<LoginResult> {
  return startSession({ email, password }, baseUrl);
}

/** Signs the browser in with the bootstrap admin token: the browser keeps a session, not the token. */
export function loginWithAdminToken(adminToken: string, baseUrl = ''): Promise<LoginResult> {
  return startSession({ adminToken }, baseUrl);
}

/** Ends this browser's session on the server, which also clears its cookies (`POST /v1/auth/logout`). */
export function logout(baseUrl = ''): Promise<void> {
  return new ApiClient(null, baseUrl).request<void>('/v1/auth/logout', { method: 'POST', body: {} });
}

/** "in 40 seconds" / "in 12 minutes", rounded up so the wait is never too short. */
export function waitText(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 90) return `in ${s} second${s === 1 ? '' : 's'}`;
  return `in ${Math.ceil(s / 60)} minutes`;
}
