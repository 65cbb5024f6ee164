import { expect } from 'vitest';
import { createKohort, type Kohort } from '../../main.js';
import type { Role } from '../../schemas/principal.js';

/** Cheap password hashing for tests (stored hashes carry their parameters). */
export const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };

export interface TeamMember {
  id: string;
  email: string;
  role: Role;
  /** A session token from POST /v1/auth/login. */
  token: string;
}

export interface Reply {
  status: number;
  body: any;
}

/** A whole in-memory Kohort (no background work) for tests about who may do what. */
export async function startTeamKohort(adminToken: string): Promise<Kohort> {
  return createKohort({ dbPath: ':memory:', adminToken, writeKey: `${adminToken}_write`, background: false, schedulers: false, passwordCost: FAST_SCRYPT });
}

/** Calls a route with a bearer token (none: no Authorization header). */
export function caller(k: Kohort) {
  return async (token: string | null, method: string, url: string, payload?: unknown): Promise<Reply> => {
    const r = await k.app.inject({
      method: method as 'GET',
      url,
      payload: payload as never,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const json = String(r.headers['content-type'] ?? '').includes('json');
    return { status: r.statusCode, body: r.body && json ? r.json() : r.body };
  };
}

let seq = 0;

/** Creates an account with the bootstrap token and signs it in. */
export async function addMember(k: Kohort, adminToken: string, role: Role, label: string = role): Promise<TeamMember> {
  const call = caller(k);
  const email = `${label}-${++seq}@team.test`;
  const password = 'correct horse battery';
  const made = await call(adminToken, 'POST', '/v1/accounts', { email, name: `${label} ${seq}`, role, password });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  const login = await call(null, 'POST', '/v1/auth/login', { email, password });
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  return { id: made.body.id, email, role, token: login.body.token };
}

/** A session token for an account that already exists (fresh, so a test may end it). */
export async function signIn(k: Kohort, email: string): Promise<string> {
  const login = await caller(k)(null, 'POST', '/v1/auth/login', { email, password: 'correct horse battery' });
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  return login.body.token;
}
