import { randomBytes } from 'node:crypto';
import type { Account } from '../../schemas/accounts.js';
import type { Principal } from '../../schemas/principal.js';
import type { AccountRecord, AccountStore } from '../../storage/account-store.js';
import { forbidden, notFound } from '../errors.js';

/** The API's view of an account: everything but the password hash. */
export const toAccount = (a: AccountRecord): Account => ({
  id: a.id,
  email: a.email,
  name: a.name,
  role: a.role,
  disabled: a.disabled,
  createdAt: a.createdAt.toISOString(),
  updatedAt: a.updatedAt.toISOString(),
  lastLoginAt: a.lastLoginAt ? a.lastLoginAt.toISOString() : null,
});

export const newId = () => randomBytes(8).toString('hex');


/** Validates a body at the edge of the service: 400 naming each field at fault. */

/** The caller's own account; the bootstrap token has none (403). */
export async function ownAccount(store: AccountStore, actor: Principal): Promise<AccountRecord> {
  if (!actor.accountId) throw forbidden('The bootstrap admin token has no profile or personal tokens; sign in with an account');
  const a = await store.getAccount(actor.accountId);
  if (!a) throw notFound('Account', actor.accountId);
  return a;
}
