import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockReceiver } from '../destinations/test-support/mock-receiver.js';
import { signStandardWebhook } from '../destinations/webhook.js';
import { createKohort, type Kohort } from '../main.js';
import { rawDuckDBFile } from '../storage/duckdb/test-support/raw-duckdb.js';

/**
 * Step-webhook secrets are sealed at rest like destination secrets (also those
 * an older version stored in plain text), opened only to sign, and never
 * answered by the API.
 */
const ADMIN = 'kha_step_secrets_at_rest';
const SECRET = `whsec_${Buffer.from('a-step-webhook-signing-secret').toString('base64')}`;
const OLD = `whsec_${Buffer.from('an-old-plain-step-secret').toString('base64')}`;
const auth = { authorization: `Bearer ${ADMIN}` };
let dir: string;
let receiver: MockReceiver;

const open = () =>
  createKohort({ dbPath: join(dir, 'kohort.duckdb'), adminToken: ADMIN, writeKey: `${ADMIN}_w`, background: false, schedulers: false, allowPrivateUrls: '127.0.0.1' });
async function call(k: Kohort, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) {
  const r = await k.app.inject({ method, url, headers: auth, payload: payload as never });
  return { status: r.statusCode, body: r.body ? r.json() : undefined, text: r.body };
}
/** Everything the store holds about steps and queued actions, as text. */
const rawActions = async (k: Kohort) =>
  [
    ...(await rawDuckDBFile(k).reads.rows<{ a: string }>('SELECT CAST(action AS VARCHAR) AS a FROM workflow_steps WHERE action IS NOT NULL')),
    ...(await rawDuckDBFile(k).reads.rows<{ a: string }>('SELECT CAST(action AS VARCHAR) AS a FROM workflow_actions')),
  ].map((r) => r.a).join('\n');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kohort-step-secrets-'));
  receiver = await new MockReceiver().start();
});
afterAll(async () => {
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('step-webhook secrets at rest', () => {
  let cohortId = '';

  it('stores the secret sealed (steps and queued actions), answers only the mask, and signs with the real one', async () => {
    const k = await open();
    try {
      await k.app.inject({ method: 'POST', url: '/v1/identify', payload: { userId: 'u1', traits: {} }, headers: { authorization: `Bearer ${ADMIN}_w` } });
      cohortId = (await call(k, 'POST', '/v1/cohorts', { name: 'Board', kind: 'static' })).body.id;
      await call(k, 'POST', `/v1/cohorts/${cohortId}/members`, { userIds: ['u1'] });
      const put = await call(k, 'PUT', `/v1/cohorts/${cohortId}/steps`, {
        steps: [{ name: 'In' }, { name: 'Hook', action: { type: 'webhook', url: `${receiver.url}/step`, secret: SECRET } }],
      });
      expect(put.status, put.text).toBe(200);
      expect(put.text).not.toContain(SECRET);
      const steps = await call(k, 'GET', `/v1/cohorts/${cohortId}/steps`);
      expect(steps.body[1].action).toEqual({ type: 'webhook', url: `${receiver.url}/step`, secret: '••••' });

      expect((await call(k, 'POST', `/v1/cohorts/${cohortId}/cards/u1/move`, { stepId: steps.body[1].id })).status).toBe(200);
      const stored = await rawActions(k);
      expect(stored).toContain('enc:v1:');
      expect(stored).not.toContain(SECRET);

      await k.workflows.runner.drain();
      const hit = receiver.requests.at(-1)!;
      expect(hit.headers['webhook-signature']).toBe(signStandardWebhook(SECRET, String(hit.headers['webhook-id']), Number(hit.headers['webhook-timestamp']), hit.body));
      const log = await call(k, 'GET', `/v1/cohorts/${cohortId}/actions?userId=u1`);
      expect(log.body.items[0]).toMatchObject({ status: 'succeeded' });
      expect(log.text).not.toContain(SECRET);
      expect(log.text).not.toContain('enc:v1:');

      // Saving with the mask keeps the secret, still sealed (a fresh seal, the same secret).
      const again = await call(k, 'PUT', `/v1/cohorts/${cohortId}/steps`, {
        steps: [{ name: 'In' }, { name: 'Hook', action: { type: 'webhook', url: `${receiver.url}/step`, secret: '••••' } }],
      });
      expect(again.status, again.text).toBe(200);
      expect(await rawActions(k)).not.toContain(SECRET);
    } finally {
      await k.close();
    }
  });

  it('seals at start a secret an older version stored in plain text', async () => {
    let k = await open();
    try {
      // What an older version left: the secret in plain text, in the step and in a queued action.
      await rawDuckDBFile(k).writer.run(
        `UPDATE workflow_steps SET action = CAST(? AS JSON) WHERE cohort_id = ? AND position = 1`,
        [JSON.stringify({ type: 'webhook', url: `${receiver.url}/step`, secret: OLD }), cohortId],
      );
      await rawDuckDBFile(k).writer.run(`UPDATE workflow_actions SET action = CAST(? AS JSON)`, [JSON.stringify({ type: 'webhook', url: `${receiver.url}/step`, secret: OLD })]);
      expect(await rawActions(k)).toContain(OLD);
    } finally {
      await k.close();
    }
    k = await open();
    try {
      const stored = await rawActions(k);
      expect(stored).not.toContain(OLD);
      expect(stored).toContain('enc:v1:');
      // And it still signs with it: move the card away and back.
      const steps = (await call(k, 'GET', `/v1/cohorts/${cohortId}/steps`)).body;
      await call(k, 'POST', `/v1/cohorts/${cohortId}/cards/u1/move`, { stepId: steps[0].id });
      await call(k, 'POST', `/v1/cohorts/${cohortId}/cards/u1/move`, { stepId: steps[1].id });
      await k.workflows.runner.drain();
      const hit = receiver.requests.at(-1)!;
      expect(hit.headers['webhook-signature']).toBe(signStandardWebhook(OLD, String(hit.headers['webhook-id']), Number(hit.headers['webhook-timestamp']), hit.body));
    } finally {
      await k.close();
    }
  });
});
