/**
 * The contract of the EventStore port's reads, run against every engine's
 * adapter loaded with the fixture of test-support/reads-fixture.ts: each
 * question has one answer, written out here, that every engine must give
 * (so they give the same answers). Receipt times and seq numbers are each
 * engine's own and not compared.
 */
import { expect, it } from 'vitest';
import type { StoredEvent } from './event-store';
import type { ReadsSubject } from './test-support/reads-subject';

const t = (day: number, hour = 0) => new Date(Date.UTC(2024, 2, day, hour));
const shape = (events: StoredEvent[]) => events.map((e) => ({ userId: e.userId, event: e.event, timestamp: e.timestamp, properties: e.properties }));
const ev = (userId: string, event: string, timestamp: Date, properties: Record<string, unknown>) => ({ userId, event, timestamp, properties });

/** Every event of the fixture, newest received first, as they read now. */
const ALL = [
  ev('mia', 'view', t(12), { brand: 'Other' }),
  ev('carol', 'click', t(11), { target: 'buy' }),
  ev('rita', 'view', t(10), { brand: 'Acme', price: 5 }),
  ev('mia', 'app_open', t(8), { os: 'android' }),
  ev('mia', 'purchase', t(7), { price: 99 }),
  ev('mia', 'view', t(6), { brand: 'Acme' }),
  ev('carol', 'view', t(5), { brand: 'Zeta', price: null }),
  ev('alice', 'purchase', t(4), { price: 12.5, plan: 'Pro', ok: true }),
  ev('rita', 'app_open', t(3), { os: 'ios' }),
  ev('bob', 'view', t(2), { brand: 'acme', price: '12.5' }),
  ev('alice', 'view', t(1), { brand: 'Acme', price: 10, address: { city: 'Paris', geo: { lat: 1, deep: { x: 1 } } }, tags: ['a'] }),
];

export function eventReadsContract(subject: () => ReadsSubject): void {
  const reads = () => subject().events;

  it('lists event types with counts, last times and the property paths seen (leaves to three levels)', async () => {
    const types = (await reads().listEventTypes()).sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(types).toEqual([
      { name: 'app_open', count: 2, lastSeen: t(8), properties: [{ name: 'os', type: 'string' }] },
      { name: 'click', count: 1, lastSeen: t(11), properties: [{ name: 'target', type: 'string' }] },
      {
        name: 'purchase',
        count: 2,
        lastSeen: t(7),
        properties: [
          { name: 'ok', type: 'boolean' },
          { name: 'plan', type: 'string' },
          { name: 'price', type: 'number' },
        ],
      },
      {
        name: 'view',
        count: 6,
        lastSeen: t(12),
        properties: [
          { name: 'address.city', type: 'string' },
          { name: 'address.geo.deep', type: 'object' },
          { name: 'address.geo.lat', type: 'number' },
          { name: 'brand', type: 'string' },
          { name: 'price', type: 'number' },
          { name: 'price', type: 'string' },
          { name: 'tags', type: 'array' },
        ],
      },
    ]);
  });

  it('lists live events newest first, under the shown id of the person they count for', async () => {
    expect(shape(await reads().liveEvents({ limit: 100 }))).toEqual(ALL);
    expect(shape(await reads().liveEvents({ limit: 3 }))).toEqual(ALL.slice(0, 3));
    expect(shape(await reads().liveEvents({ limit: 100, event: 'view' }))).toEqual(ALL.filter((e) => e.event === 'view'));
  });

  it('filters live events by any id of a person: merged, renamed, anonymous', async () => {
    const mia = ALL.filter((e) => e.userId === 'mia');
    expect(shape(await reads().liveEvents({ limit: 100, userId: 'mia' }))).toEqual(mia);
    expect(shape(await reads().liveEvents({ limit: 100, userId: 'anon-m' }))).toEqual(mia);
    expect(shape(await reads().liveEvents({ limit: 2, userId: 'anon-m' }))).toEqual(mia.slice(0, 2));
    expect(shape(await reads().liveEvents({ limit: 100, userId: 'anon-r' }))).toEqual(ALL.filter((e) => e.userId === 'rita'));
    expect(shape(await reads().liveEvents({ limit: 100, userId: 'device-9' }))).toEqual(ALL.filter((e) => e.userId === 'carol'));
    expect(shape(await reads().liveEvents({ limit: 100, userId: 'rita', event: 'view' }))).toEqual([ALL[2]]);
    expect(await reads().liveEvents({ limit: 100, userId: 'nobody' })).toEqual([]);
  });

  it('reads a profile: current traits over every key of the person, activity, recent events, cohorts', async () => {
    const mia = await reads().getUser('anon-m', 2);
    expect(mia && { ...mia, uid: undefined, recentEvents: shape(mia.recentEvents) }).toEqual({
      userId: 'mia',
      uid: undefined,
      properties: { plan: 'trial', source: 'ad' },
      firstSeen: t(6),
      lastSeen: t(12),
      eventCount: 4,
      recentEvents: [ALL[0], ALL[3]],
      cohortIds: ['C1', 'C2'],
    });
    expect(typeof mia?.uid).toBe('number');
    const alice = await reads().getUser('alice');
    expect(alice && { ...alice, uid: 0, recentEvents: shape(alice.recentEvents) }).toEqual({
      userId: 'alice',
      uid: 0,
      properties: { plan: 'pro', email: 'alice@x.io' },
      firstSeen: t(1),
      lastSeen: t(4),
      eventCount: 2,
      recentEvents: [ALL[7], ALL[10]],
      cohortIds: ['C1'],
    });
    expect((await reads().getUser('anon-r'))?.userId).toBe('rita');
    expect((await reads().getUser('device-9'))?.userId).toBe('carol');
    expect((await reads().getUser('bob'))?.cohortIds).toEqual([]);
    const dave = await reads().getUser('dave');
    expect(dave && { ...dave, uid: 0 }).toEqual({
      userId: 'dave',
      uid: 0,
      properties: { plan: 'free', vip: true, nick: '\u212Aelvin' },
      firstSeen: null,
      lastSeen: null,
      eventCount: 0,
      recentEvents: [],
      cohortIds: [],
    });
    expect(await reads().getUser('nobody')).toBeUndefined();
  });

  it('counts the scalar values of an event property, most frequent first, with a search in any case', async () => {
    const values = (property: string, search?: string) => reads().eventPropertyValues({ event: 'view', property, search, limit: 10 });
    expect(await values('brand')).toEqual([
      { value: 'Acme', count: 3 },
      { value: 'Other', count: 1 },
      { value: 'Zeta', count: 1 },
      { value: 'acme', count: 1 },
    ]);
    expect(await values('brand', 'ACME')).toEqual([
      { value: 'Acme', count: 3 },
      { value: 'acme', count: 1 },
    ]);
    expect(await values('price')).toEqual([
      { value: '10', count: 1 },
      { value: '12.5', count: 1 },
      { value: '5', count: 1 },
    ]);
    expect(await values('address.city')).toEqual([{ value: 'Paris', count: 1 }]);
    expect(await values('address')).toEqual([]);
    expect(await values('tags')).toEqual([]);
    expect(await reads().eventPropertyValues({ event: 'view', property: 'brand', limit: 1 })).toEqual([{ value: 'Acme', count: 3 }]);
  });

  it("counts people's current trait values (latest over every key of a person; cleared ones left out)", async () => {
    const values = (property: string, search?: string) => reads().traitValues({ property, search, limit: 10 });
    expect(await values('plan')).toEqual([
      { value: 'free', count: 2 },
      { value: 'Pro', count: 1 },
      { value: 'Pro Max', count: 1 },
      { value: 'pro', count: 1 },
      { value: 'trial', count: 1 },
    ]);
    expect(await values('plan', 'pro')).toEqual([
      { value: 'Pro', count: 1 },
      { value: 'Pro Max', count: 1 },
      { value: 'pro', count: 1 },
    ]);
    expect(await values('address.city')).toEqual([{ value: 'Lyon', count: 1 }]);
    expect(await values('age')).toEqual([{ value: '30', count: 1 }]);
    expect(await values('country')).toEqual([]);
  });

  it('names the traits people have now, with their type and how many have one', async () => {
    expect(await reads().traitNames()).toEqual([
      { name: 'plan', type: 'string', count: 6 },
      { name: 'address', type: 'object', count: 1 },
      { name: 'age', type: 'number', count: 1 },
      { name: 'email', type: 'string', count: 1 },
      { name: 'nick', type: 'string', count: 1 },
      { name: 'source', type: 'string', count: 1 },
      { name: 'vip', type: 'boolean', count: 1 },
    ]);
  });

  it('reads the current traits of many users at once, one entry per person, unknown ids left out', async () => {
    const m = await reads().userProperties(['alice', 'anon-m', 'mia', 'nobody', 'device-9', 'bob']);
    expect(Object.fromEntries(m)).toEqual({
      alice: { plan: 'pro', email: 'alice@x.io' },
      mia: { plan: 'trial', source: 'ad' },
      'device-9': { address: { city: 'Lyon' }, plan: 'Pro' },
      bob: { plan: 'free', age: 30 },
    });
  });
}
