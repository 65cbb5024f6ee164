import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kohort } from '../main.js';
import { addMember, caller, startTeamKohort } from './test-support/team.js';

/** Credentials inside a destination URL (userinfo, query values) are masked for readers below admin. */
const ADMIN = 'kha_destination_masking';
let k: Kohort;
beforeAll(async () => {
  k = await startTeamKohort(ADMIN);
});
afterAll(() => k?.close());

it('viewers and members see •••• for URL userinfo and query values; admins see the URL they saved', async () => {
  const call = caller(k);
  const url = 'https://hook-user:hook-pass@hooks.example.com/in?token=tok123&team=t1';
  const d = (await call(ADMIN, 'POST', '/v1/destinations', { name: 'Hook', type: 'webhook', config: { url } })).body;
  const viewer = await addMember(k, ADMIN, 'viewer');
  const member = await addMember(k, ADMIN, 'member');
  for (const who of [viewer, member]) {
    const one = await call(who.token, 'GET', `/v1/destinations/${d.id}`);
    expect(one.status).toBe(200);
    const shown = JSON.stringify(one.body) + JSON.stringify((await call(who.token, 'GET', '/v1/destinations')).body);
    for (const secret of ['hook-user', 'hook-pass', 'tok123', 't1']) expect(shown).not.toContain(secret);
    expect(one.body.config.url).toBe('https://••••:••••@hooks.example.com/in?token=••••&team=••••');
  }
  expect((await call(ADMIN, 'GET', `/v1/destinations/${d.id}`)).body.config.url).toBe(url);
});
