import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AccountExistsError, LastOwnerError, type AccountRecord, type AccountStore, type AuditRecord } from './account-store.js';
import { ACCOUNT_MIGRATIONS } from './duckdb/account-migrations.js';
import { createDuckDBAccountStore } from './duckdb/account-store.js';
import { openDatabase, type Database } from './duckdb/database.js';
import { PG_ACCOUNT_MIGRATIONS } from './postgres/account-migrations.js';
import { createPgAccountStore } from './postgres/account-store.js';
import { freshPgDatabase, noPostgres } from './postgres/test-support/pg-test-db.js';

const duckdbs: Database[] = [];
afterAll(async () => {
  for (const d of duckdbs) await d.close();
});

const impls: [string, () => Promise<AccountStore>, boolean][] = [
  [
    'DuckDB',
    async () => {
      const db = await openDatabase(':memory:', [ACCOUNT_MIGRATIONS], { readConnections: 1 });
      duckdbs.push(db);
      return createDuckDBAccountStore(db, await db.connect());
    },
    false,
  ],
  ['PostgreSQL', async () => createPgAccountStore(await freshPgDatabase([PG_ACCOUNT_MIGRATIONS])), noPostgres()],
];

const T0 = new Date('2026-01-01T00:00:00.123Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const account = (id: string, over: Partial<AccountRecord> = {}): AccountRecord => ({
  id,
  email: `${id}@example.com`,
  name: id.toUpperCase(),
  role: 'member',
  disabled: false,
  passwordHash: `scrypt$${id}`,
  createdAt: T0,
  updatedAt: T0,
  lastLoginAt: null,
  ...over,
});
const audit = (id: string, s: number, over: Partial<Omit<AuditRecord, 'seq'>> = {}): Omit<AuditRecord, 'seq'> => ({
  id,
  at: at(s),
  actorAccountId: 'a1',
  actorEmail: 'a1@example.com',
  actorVia: 'session',
  action: 'cohort.create',
  resourceType: 'cohort',
  resourceId: 'c1',
  summary: `entry ${id}`,
  ...over,
});

for (const [label, make, skip] of impls) {
  describe.skipIf(skip)(`AccountStore contract: ${label}`, () => {
    let store: AccountStore;
    beforeEach(async () => {
      store = await make();
    });

    it('stores accounts with unique lower-case emails and updates only the given fields', async () => {
      await store.insertAccount(account('a1', { role: 'owner', name: 'zed' }));
      await store.insertAccount(account('a2', { name: 'Amy' }));
      await expect(store.insertAccount(account('a3', { email: 'a1@example.com' }))).rejects.toBeInstanceOf(AccountExistsError);
      expect(await store.getAccount('a1')).toEqual(account('a1', { role: 'owner', name: 'zed' }));
      expect((await store.findByEmail('A2@Example.com'))?.id).toBe('a2');
      expect(await store.findByEmail('nobody@example.com')).toBeUndefined();
      expect((await store.listAccounts()).map((a) => a.id)).toEqual(['a2', 'a1']);
      await store.updateAccount('a2', { lastLoginAt: at(5), name: 'Amy B' });
      expect(await store.getAccount('a2')).toEqual(account('a2', { name: 'Amy B', lastLoginAt: at(5) }));
      await store.updateAccount('a2', { lastLoginAt: null });
      expect((await store.getAccount('a2'))!.lastLoginAt).toBeNull();
    });

    it('never leaves no enabled owner when guarded, even under concurrent changes', async () => {
      await store.insertAccount(account('o1', { role: 'owner' }));
      await store.insertAccount(account('o2', { role: 'owner' }));
      const demote = (id: string) => store.updateAccount(id, { role: 'admin' }, { keepAnOwner: true });
      const results = await Promise.allSettled([demote('o1'), demote('o2')]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(LastOwnerError);
      const owners = (await store.listAccounts()).filter((a) => a.role === 'owner' && !a.disabled);
      expect(owners).toHaveLength(1);
      await expect(store.deleteAccount(owners[0].id, { keepAnOwner: true })).rejects.toBeInstanceOf(LastOwnerError);
      await expect(store.updateAccount(owners[0].id, { disabled: true }, { keepAnOwner: true })).rejects.toBeInstanceOf(LastOwnerError);
      expect(await store.getAccount(owners[0].id)).toMatchObject({ role: 'owner', disabled: false });
    });

    it('keeps sessions and tokens; ends sessions with a change; deletes them with the account', async () => {
      await store.insertAccount(account('a1'));
      for (const h of ['s1', 's2', 's3']) await store.insertSession({ tokenHash: h, accountId: 'a1', createdAt: T0, lastUsedAt: T0, expiresAt: at(h === 's3' ? 10 : 100) });
      await store.touchSession('s1', at(1), at(200));
      expect(await store.getSession('s1')).toEqual({ tokenHash: 's1', accountId: 'a1', createdAt: T0, lastUsedAt: at(1), expiresAt: at(200) });
      await store.deleteExpiredSessions(at(10));
      expect(await store.getSession('s3')).toBeUndefined();
      await store.updateAccount('a1', { passwordHash: 'new' }, { endSessions: { keep: 's1' } });
      expect(await store.getSession('s1')).toBeDefined();
      expect(await store.getSession('s2')).toBeUndefined();
      await store.deleteSession('s1');
      expect(await store.getSession('s1')).toBeUndefined();

      await store.insertToken({ id: 't1', accountId: 'a1', name: 'ci', tokenHash: 'h1', createdAt: T0, lastUsedAt: null });
      await store.insertToken({ id: 't2', accountId: 'a1', name: 'cli', tokenHash: 'h2', createdAt: at(1), lastUsedAt: null });
      await store.touchToken('t1', at(3));
      expect(await store.getTokenByHash('h1')).toEqual({ id: 't1', accountId: 'a1', name: 'ci', tokenHash: 'h1', createdAt: T0, lastUsedAt: at(3) });
      expect((await store.listTokens('a1')).map((t) => t.id)).toEqual(['t1', 't2']);
      expect(await store.deleteToken('other', 't1')).toBe(false);
      expect(await store.deleteToken('a1', 't1')).toBe(true);
      await store.insertSession({ tokenHash: 's9', accountId: 'a1', createdAt: T0, lastUsedAt: T0, expiresAt: at(100) });
      await store.deleteAccount('a1');
      expect(await store.getAccount('a1')).toBeUndefined();
      expect(await store.getSession('s9')).toBeUndefined();
      expect(await store.getTokenByHash('h2')).toBeUndefined();
    });

    it('lists the audit log newest first with filters and a seq cursor', async () => {
      await store.insertAudit(audit('e1', 1));
      await store.insertAudit(audit('e2', 2, { actorAccountId: null, actorEmail: null, actorVia: 'admin_token', resourceId: null, resourceType: 'account' }));
      await store.insertAudit(audit('e3', 3, { action: 'cohort.delete' }));
      const all = await store.listAudit({ limit: 10 });
      expect(all.map((e) => e.id)).toEqual(['e3', 'e2', 'e1']);
      expect(all[1]).toEqual({ ...audit('e2', 2, { actorAccountId: null, actorEmail: null, actorVia: 'admin_token', resourceId: null, resourceType: 'account' }), seq: all[1].seq });
      expect((await store.listAudit({ limit: 10, actor: 'admin_token' })).map((e) => e.id)).toEqual(['e2']);
      expect((await store.listAudit({ limit: 10, actor: 'A1@example.com' })).map((e) => e.id)).toEqual(['e3', 'e1']);
      expect((await store.listAudit({ limit: 10, resourceType: 'cohort', resourceId: 'c1', action: 'cohort.create' })).map((e) => e.id)).toEqual(['e1']);
      expect((await store.listAudit({ limit: 10, from: at(2), to: at(3) })).map((e) => e.id)).toEqual(['e3', 'e2']);
      const first = await store.listAudit({ limit: 2 });
      expect((await store.listAudit({ limit: 2, beforeSeq: first[1].seq })).map((e) => e.id)).toEqual(['e1']);
    });
  });
}
