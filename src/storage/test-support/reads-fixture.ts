/**
 * One small world for the read-port contract suites (event reads, contacts,
 * member exports), written to each engine its own way: to DuckDB through its
 * event store and membership store (`loadDuckDBReadsFixture`), to ClickHouse
 * as the rows its writer keeps (clickhouse/test-support/reads-fixture.ts),
 * from the same lists below. It has every case of identity the reads resolve:
 * - `anon-r` is renamed `rita` when identified (alias to an unknown user id);
 * - `device-9` is an anonymous id aliased to the known `carol`, then tracked;
 * - `anon-m` is merged into `mia` (alias between two known people): its
 *   events, traits and cohort membership count for mia, and its later `plan`
 *   is mia's current one;
 * - alice's `country` is cleared (null); dave has traits but no events; bob
 *   is removed from cohort C1.
 */
import type { MembershipStore } from '../membership-store';
import type { EventStore, WriteItem } from '../event-store';

const t = (day: number, hour = 0) => new Date(Date.UTC(2024, 2, day, hour));

export interface FixtureEvent {
  /** The id the event was sent with (before any alias). */
  id: string;
  event: string;
  ts: Date;
  props: Record<string, unknown>;
}

export interface FixtureTrait {
  id: string;
  key: string;
  value: unknown;
  ts: Date;
}

/** Events and traits sent before the aliases, in this order. */
export const BEFORE_ALIASES: { events: FixtureEvent[]; traits: FixtureTrait[] } = {
  events: [
    { id: 'alice', event: 'view', ts: t(1), props: { brand: 'Acme', price: 10, address: { city: 'Paris', geo: { lat: 1, deep: { x: 1 } } }, tags: ['a'] } },
    { id: 'bob', event: 'view', ts: t(2), props: { brand: 'acme', price: '12.5' } },
    { id: 'anon-r', event: 'app_open', ts: t(3), props: { os: 'ios' } },
    { id: 'alice', event: 'purchase', ts: t(4), props: { price: 12.5, plan: 'Pro', ok: true } },
    { id: 'carol', event: 'view', ts: t(5), props: { brand: 'Zeta', price: null } },
    { id: 'anon-m', event: 'view', ts: t(6), props: { brand: 'Acme' } },
    { id: 'mia', event: 'purchase', ts: t(7), props: { price: 99 } },
    { id: 'anon-m', event: 'app_open', ts: t(8), props: { os: 'android' } },
  ],
  traits: [
    { id: 'alice', key: 'plan', value: 'pro', ts: t(1) },
    { id: 'alice', key: 'email', value: 'alice@x.io', ts: t(1, 1) },
    { id: 'alice', key: 'country', value: 'DE', ts: t(1, 2) },
    { id: 'alice', key: 'country', value: null, ts: t(2, 2) },
    { id: 'bob', key: 'plan', value: 'free', ts: t(2) },
    { id: 'bob', key: 'age', value: 30, ts: t(2, 1) },
    { id: 'carol', key: 'address', value: { city: 'Lyon' }, ts: t(5) },
    { id: 'carol', key: 'plan', value: 'Pro', ts: t(5, 1) },
    { id: 'mia', key: 'plan', value: 'pro', ts: t(7) },
    { id: 'anon-m', key: 'plan', value: 'trial', ts: t(8) },
    { id: 'anon-m', key: 'source', value: 'ad', ts: t(8, 1) },
    { id: 'dave', key: 'plan', value: 'free', ts: t(9) },
    { id: 'dave', key: 'vip', value: true, ts: t(9, 1) },
    // Starts with KELVIN SIGN, which folds to an ASCII k (plain lowerUTF8 leaves it).
    { id: 'dave', key: 'nick', value: '\u212Aelvin', ts: t(9, 2) },
  ],
};

/** Static member sets before the aliases, and the removals after them. */
export const MEMBERS = { add: { C1: ['alice', 'bob', 'mia'], C2: ['anon-m'] }, remove: { C1: ['bob'] } } as const;

/** The aliases, in order: a rename, an anonymous id for a known user, a merge of two known people. */
export const ALIASES = [
  { previousId: 'anon-r', userId: 'rita' },
  { previousId: 'device-9', userId: 'carol' },
  { previousId: 'anon-m', userId: 'mia' },
] as const;

/** Sent after the aliases, with ids the aliases gave meaning to. */
export const AFTER_ALIASES: { events: FixtureEvent[]; traits: FixtureTrait[] } = {
  events: [
    { id: 'rita', event: 'view', ts: t(10), props: { brand: 'Acme', price: 5 } },
    { id: 'device-9', event: 'click', ts: t(11), props: { target: 'buy' } },
    { id: 'anon-m', event: 'view', ts: t(12), props: { brand: 'Other' } },
  ],
  traits: [{ id: 'rita', key: 'plan', value: 'Pro Max', ts: t(10) }],
};

const track = (e: FixtureEvent): WriteItem => ({ kind: 'track', externalId: e.id, event: e.event, ts: e.ts, props: e.props });
const identify = (tr: FixtureTrait): WriteItem => ({ kind: 'identify', externalId: tr.id, traits: { [tr.key]: tr.value }, ts: tr.ts });

/** Writes the fixture through the embedded store's ports, one write per item (so receipt order is list order). */
export async function loadDuckDBReadsFixture(events: EventStore, members: MembershipStore): Promise<void> {
  for (const tr of BEFORE_ALIASES.traits) await events.write([identify(tr)]);
  for (const e of BEFORE_ALIASES.events) await events.write([track(e)]);
  for (const [cohort, ids] of Object.entries(MEMBERS.add)) await members.addMembers(cohort, [...ids]);
  for (const a of ALIASES) await events.write([{ kind: 'alias', ...a, ts: t(9, 12) }]);
  for (const [cohort, ids] of Object.entries(MEMBERS.remove)) await members.removeMembers(cohort, [...ids]);
  for (const tr of AFTER_ALIASES.traits) await events.write([identify(tr)]);
  for (const e of AFTER_ALIASES.events) await events.write([track(e)]);
}
