import { createHmac } from 'node:crypto';
import { webhookConfigSchema } from '../schemas/destination.js';
import type { BatchDestination, DestinationOptions } from './destination.js';
import { classifyHttp, httpRequest } from './http.js';

/** Standard Webhooks signature: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`. */
export function signStandardWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** Signed generic webhook: one POST per batch with the users and their properties. */
export function createWebhookDestination(
  rawConfig: Record<string, unknown>,
  options: DestinationOptions = {},
): BatchDestination {
  const config = webhookConfigSchema.parse(rawConfig);
  if (!config.secret) throw new Error('webhook destination has no secret (it is generated at creation)');
  const secret = config.secret;
  const now = options.now ?? (() => new Date());

  async function post(id: string, payload: unknown) {
    const body = JSON.stringify(payload);
    // Each attempt is signed with its own timestamp; the id stays the same so receivers dedupe.
    const timestamp = Math.floor(now().getTime() / 1000);
    return httpRequest(
      {
        method: 'POST',
        url: config.url,
        idempotencyKey: id,
        headers: {
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signStandardWebhook(secret, id, timestamp, body),
        },
        body,
      },
      options,
    );
  }

  return {
    type: 'webhook',
    mode: 'batches',
    needsProperties: true,

    async prepare() {
      return { kind: 'ok', noRequest: true };
    },

    async send(batch) {
      const res = await post(batch.idempotencyKey, {
        type: batch.op === 'add' ? 'cohort.members_added' : 'cohort.members_removed',
        cohort: { id: batch.cohort.id, name: batch.cohort.name },
        syncId: batch.syncId,
        runId: batch.runId,
        users: batch.users.map((u) => ({ userId: u.userId, properties: u.properties })),
      });
      return classifyHttp(res, now());
    },

    async test() {
      const id = `test_${now().getTime()}`;
      const res = await post(id, { type: 'kohort.test', message: 'Test delivery from Kohort' });
      if (res.kind === 'network_error') return { ok: false, message: `cannot reach ${config.url}: ${res.message}` };
      if (res.status >= 200 && res.status < 300) return { ok: true, message: `delivered (HTTP ${res.status})` };
      return { ok: false, message: `receiver answered HTTP ${res.status}` };
    },
  };
}
