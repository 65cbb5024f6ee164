import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isForbiddenAddress, REFUSED_MESSAGE } from '../destinations/outbound-guard.js';
import { MockReceiver } from '../destinations/test-support/mock-receiver.js';
import type { Kohort } from '../main.js';
import { addMember, caller, startTeamKohort, type TeamMember } from './test-support/team.js';

/**
 * Step webhook URLs are chosen by members: they may not reach loopback,
 * private, link-local or metadata addresses (api.md, Security rules), and the
 * action log says the same words for every refused target.
 */
const ADMIN = 'kha_step_webhook_guard';
let k: Kohort;
let call: ReturnType<typeof caller>;
let mia: TeamMember;
let receiver: MockReceiver;
let board: string;

beforeAll(async () => {
  receiver = await new MockReceiver().start();
  k = await startTeamKohort(ADMIN);
  call = caller(k);
  mia = await addMember(k, ADMIN, 'member', 'mia');
  await k.app.inject({ method: 'POST', url: '/v1/identify', payload: { userId: 'u1', traits: {} }, headers: { authorization: `Bearer ${ADMIN}_write` } });
  board = (await call(mia.token, 'POST', '/v1/cohorts', { name: 'Board', kind: 'static' })).body.id;
  await call(mia.token, 'POST', `/v1/cohorts/${board}/members`, { userIds: ['u1'] });
});
afterAll(async () => {
  await k?.close();
  await receiver?.close();
});

const put = (url: string) => call(mia.token, 'PUT', `/v1/cohorts/${board}/steps`, { steps: [{ name: 'In' }, { name: 'Hook', action: { type: 'webhook', url } }] });

describe('step webhook URLs', () => {
  it.each(['http://169.254.169.254/latest/meta-data', 'http://127.0.0.1:8080/v1/accounts', 'http://[::1]/', 'http://[::ffff:10.0.0.1]/', 'http://localhost:9/'])(
    '%s is refused when saved (400 naming the field)',
    async (url) => {
      const r = await put(url);
      expect(r.status).toBe(400);
      expect(r.body.error.details).toEqual([{ field: 'steps.1.action.url', message: REFUSED_MESSAGE }]);
    },
  );

  it('a name that resolves to a private address fails when called, without a request and without a status', async () => {
    const name = hostname();
    const resolved = await lookup(name).catch(() => null);
    // Needs a machine whose own name resolves to a loopback or private address (the usual /etc/hosts).
    if (!resolved || !isForbiddenAddress(resolved.address)) return;
    const steps = await put(`http://${name}:${new URL(receiver.url).port}/hook`);
    expect(steps.status, JSON.stringify(steps.body)).toBe(200);
    expect((await call(mia.token, 'POST', `/v1/cohorts/${board}/cards/u1/move`, { stepId: steps.body[1].id })).status).toBe(200);
    await k.workflows.runner.drain();
    const [e] = (await call(mia.token, 'GET', `/v1/cohorts/${board}/actions?userId=u1`)).body.items;
    expect(e).toMatchObject({ status: 'failed', attempts: 1, lastError: REFUSED_MESSAGE });
    expect(receiver.requests).toHaveLength(0);
  });
});
