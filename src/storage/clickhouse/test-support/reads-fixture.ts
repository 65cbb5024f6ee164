/**
 * The read contracts' fixture (storage/test-support/reads-fixture.ts) as the
 * rows the ClickHouse writer keeps: events, traits and member sets through
 * ClickHouseEventWriter, people as `users` rows with versions (the rename is
 * a second row of a higher version), the anonymous ids in `identities`, and
 * the merge as a `person_merges` row (the merged person's rows stay under its
 * own uid, as the ClickHouse tables keep them).
 */
import type { ClickHouseClient } from '../client';
import { ClickHouseEventWriter } from '../event-writer';
import { migrateClickHouse } from '../migrations';
import { AFTER_ALIASES, BEFORE_ALIASES, MEMBERS, type FixtureEvent, type FixtureTrait } from '../../test-support/reads-fixture';

/** The uid each id the fixture sends with stands for when it is sent. */
const UID: Record<string, number> = { alice: 1, bob: 2, carol: 3, mia: 4, 'anon-m': 5, dave: 6, 'anon-r': 7, rita: 7, 'device-9': 3 };

const RECEIVED_FROM = Date.UTC(2024, 3, 1);

export async function loadClickHouseReadsFixture(client: ClickHouseClient): Promise<void> {
  await migrateClickHouse(client);
  const writer = await ClickHouseEventWriter.open(client, [['brand'], ['price']]);
  await client.insert('users', [
    ...['alice', 'bob', 'carol', 'mia', 'anon-m', 'dave'].map((id) => ({ uid: UID[id], user_id: id, created_at: 0, version: 1 })),
    { uid: 7, user_id: 'anon-r', created_at: 0, version: 1 },
    // Renamed when identified: the row of the higher version is the shown id.
    { uid: 7, user_id: 'rita', created_at: 0, version: 2 },
  ]);
  // The earlier id of the renamed person: `users` rows of lower versions are collapsed away by
  // the table engine (at once on current releases), so ids other than the shown one live here.
  await client.insert('identities', [
    { anonymous_id: 'device-9', uid: 3, ts: 0 },
    { anonymous_id: 'anon-r', uid: 7, ts: 0 },
  ]);
  await client.insert('person_merges', [{ from_uid: 5, into_uid: 4, version: 1 }]);

  // Receipt order is list order, as the embedded store receives them one write at a time.
  const events: FixtureEvent[] = [...BEFORE_ALIASES.events, ...AFTER_ALIASES.events];
  await writer.events(
    events.map((e, i) => ({ seq: i + 1, uid: UID[e.id], event: e.event, ts: e.ts, props: e.props, messageId: `m${i}`, receivedAt: new Date(RECEIVED_FROM + i * 1000) })),
  );
  const traits: FixtureTrait[] = [...BEFORE_ALIASES.traits, ...AFTER_ALIASES.traits];
  await writer.traits(traits.map((tr, i) => ({ seq: 100 + i, uid: UID[tr.id], key: tr.key, value: tr.value, ts: tr.ts })));

  for (const [cohort, ids] of Object.entries(MEMBERS.add)) await writer.addMembers(cohort, ids.map((id) => UID[id]), 1);
  for (const [cohort, ids] of Object.entries(MEMBERS.remove)) {
    const add = MEMBERS.add[cohort as keyof typeof MEMBERS.add] as readonly string[];
    await writer.replaceMembers(cohort, add.filter((id) => !ids.includes(id as never)).map((id) => UID[id]), 2);
  }
}
