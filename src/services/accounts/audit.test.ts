import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BOOTSTRAP_PRINCIPAL, type Principal } from '../../schemas/principal.js';
import { ACCOUNT_MIGRATIONS } from '../../storage/duckdb/account-migrations.js';
import { createDuckDBAccountStore } from '../../storage/duckdb/account-store.js';
import { openDatabase, type Database } from '../../storage/duckdb/database.js';
import { ServiceError } from '../errors.js';
import { createAuditService, type AuditService } from './audit.js';

let db: Database;
let clock: number;
let audit: AuditService;

const ann: Principal = { accountId: 'acc-ann', email: 'ann@x.io', name: 'Ann', role: 'admin', via: 'session' };
const bob: Principal = { accountId: 'acc-bob', email: 'bob@x.io', name: 'Bob', role: 'member', via: 'api_token' };

beforeEach(async () => {
  db = await openDatabase(':memory:', [ACCOUNT_MIGRATIONS], { readConnections: 1 });
  clock = Date.parse('2026-03-01T00:00:00Z');
  audit = createAuditService(createDuckDBAccountStore(db, await db.connect()), { now: () => new Date(clock) });
  // 25 entries, one minute apart: ann changes cohorts, bob creates syncs, the bootstrap token creates accounts.
  for (let i = 0; i < 25; i++) {
    const [actor, action, resourceType] =
      i % 3 === 0 ? [ann, 'cohort.updated', 'cohort'] : i % 3 === 1 ? [bob, 'sync.created', 'sync'] : [BOOTSTRAP_PRINCIPAL, 'account.created', 'account'];
    await audit.record({ actor, action, resourceType, resourceId: `r${i % 5}`, summary: `entry ${i}` });
    clock += 60_000;
  }
});
afterEach(() => db.close());

const summaries = (items: { summary: string }[]) => items.map((e) => Number(e.summary.split(' ')[1]));

describe('audit log', () => {
  it('lists newest first with the entry shape', async () => {
    const { items, nextCursor } = await audit.list({ limit: '3' });
    expect(summaries(items)).toEqual([24, 23, 22]);
    expect(items[0]).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      at: '2026-03-01T00:24:00.000Z',
      actor: { accountId: 'acc-ann', email: 'ann@x.io', via: 'session' },
      action: 'cohort.updated',
      resourceType: 'cohort',
      resourceId: 'r4',
      summary: 'entry 24',
    });
    expect(items[1].actor).toEqual({ accountId: null, email: null, via: 'admin_token' });
    expect(nextCursor).not.toBeNull();
  });

  it('pages with the cursor until the end, without gaps or repeats, even as entries arrive', async () => {
    const seen: number[] = [];
    let cursor: string | null | undefined;
    let pages = 0;
    do {
      const page = await audit.list({ limit: 10, ...(cursor ? { cursor } : {}) });
      seen.push(...summaries(page.items));
      cursor = page.nextCursor;
      if (pages++ === 0) await audit.record({ actor: ann, action: 'cohort.deleted', resourceType: 'cohort', resourceId: 'late', summary: 'entry 99' });
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => 24 - i));
    expect(pages).toBe(3);
  });

  it('filters by actor (id, email, admin_token), action, resource and time, combined with paging', async () => {
    expect(summaries((await audit.list({ actor: 'acc-ann' })).items)).toEqual([24, 21, 18, 15, 12, 9, 6, 3, 0]);
    expect(summaries((await audit.list({ actor: 'BOB@x.io' })).items)).toEqual([22, 19, 16, 13, 10, 7, 4, 1]);
    expect(summaries((await audit.list({ actor: 'admin_token' })).items)).toEqual([23, 20, 17, 14, 11, 8, 5, 2]);
    expect(summaries((await audit.list({ action: 'sync.created', resourceId: 'r1' })).items)).toEqual([16, 1]);
    expect(summaries((await audit.list({ resourceType: 'cohort', resourceId: 'r0' })).items)).toEqual([15, 0]);
    const window = await audit.list({ from: '2026-03-01T00:05:00Z', to: '2026-03-01T00:08:00Z' });
    expect(summaries(window.items)).toEqual([8, 7, 6, 5]);
    const p1 = await audit.list({ actor: 'acc-ann', limit: 5 });
    const p2 = await audit.list({ actor: 'acc-ann', limit: 5, cursor: p1.nextCursor! });
    expect([...summaries(p1.items), ...summaries(p2.items)]).toEqual([24, 21, 18, 15, 12, 9, 6, 3, 0]);
    expect(p2.nextCursor).toBeNull();
  });

  it('refuses bad queries naming the field', async () => {
    for (const [q, field] of [
      [{ limit: '0' }, 'limit'],
      [{ from: 'yesterday' }, 'from'],
      [{ cursor: 'abc' }, 'cursor'],
      [{ colour: 'red' }, '(body)'],
    ] as const) {
      const err = await audit.list(q).then(() => undefined, (e: unknown) => e as ServiceError);
      expect(err?.status).toBe(400);
      expect(JSON.stringify(err?.details)).toContain(field === '(body)' ? 'colour' : field);
    }
  });
});
