import type { Account } from '../../schemas/accounts';
import { ApiClient, toApiError } from '../api/client';
import { ApiError, NetworkError } from '../api/errors';

export interface LoginResult {
  token: string;
  expiresAt: string;
  account: Account;
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

/** `POST /v1/auth/login` without a credential; throws NetworkError, LoginThrottled or ApiError. */
export async function login(email: string, password: string, baseUrl = ''): Promise<LoginResult> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email, password }),
    });
  } catch (err) {
    throw new NetworkError(err);
  }
  if (res.ok) return (await res.json()) as LoginResult;
  const err = await toApiError(res);
  if (res.status === 429) throw new LoginThrottled(err.message, retryAfter(res, err));
  throw err;
}

/** Ends the session of this token on the server (`POST /v1/auth/logout`). */
export function logout(token: string, baseUrl = ''): Promise<void> {
  return new ApiClient(token, baseUrl).request<void>('/v1/auth/logout', { method: 'POST', body: {} });
}

/** "in 40 seconds" / "in 12 minutes", rounded up so the wait is never too short. */
export function waitText(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 90) return `in ${s} second${s === 1 ? '' : 's'}`;
  return `in ${Math.ceil(s / 60)} minutes`;
}
