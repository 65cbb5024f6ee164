import { amplitudeListConfigSchema, type AmplitudeListConfig } from '../schemas/destination.js';
import { cohortLabel, type BatchDestination, type DestinationOptions, type PrepareOutcome } from './destination.js';
import { basicAuth, classifyHttp, httpRequest } from './http.js';

/** List-based partner protocol: create a list once, then add/remove user ids. */
export function createAmplitudeListDestination(
  rawConfig: Record<string, unknown>,
  options: DestinationOptions = {},
): BatchDestination {
  const config: AmplitudeListConfig = amplitudeListConfigSchema.parse(rawConfig);
  const now = options.now ?? (() => new Date());
  const headers = { authorization: basicAuth(config.apiKey) };
  const context = { integration: { name: config.integrationName, version: config.integrationVersion } };

  return {
    type: 'amplitude_list',
    mode: 'batches',
    needsProperties: false,

    async prepare(ctx): Promise<PrepareOutcome> {
      if (typeof ctx.state.listId === 'string' && ctx.state.listId) return { kind: 'ok', noRequest: true };
      const res = await httpRequest(
        {
          method: 'POST',
          url: `${config.baseUrl}/lists`,
          headers,
          idempotencyKey: ctx.idempotencyKey,
          body: { name: cohortLabel(config.listNamePrefix, ctx.cohort), context },
        },
        options,
      );
      const outcome = classifyHttp(res, now());
      if (outcome.kind !== 'ok') return outcome;
      const body = (res.kind === 'response' ? res.json : undefined) as { listId?: unknown; id?: unknown } | undefined;
      const listId = body?.listId ?? body?.id;
      if ((typeof listId !== 'string' && typeof listId !== 'number') || listId === '') {
        return { kind: 'permanent', status: 200, message: 'list creation answered without listId or id' };
      }
      return { kind: 'ok', state: { listId: String(listId) } };
    },

    async send(batch) {
      const listId = batch.state.listId;
      if (typeof listId !== 'string' || !listId) {
        return { kind: 'permanent', status: null, message: 'no list id stored for this sync' };
      }
      const res = await httpRequest(
        {
          method: 'POST',
          url: `${config.baseUrl}/lists/${encodeURIComponent(listId)}/${batch.op}`,
          headers,
          idempotencyKey: batch.idempotencyKey,
          body: { userIds: batch.users.map((u) => u.userId), context },
        },
        options,
      );
      return classifyHttp(res, now());
    },

    async test() {
      // The protocol has no read-only call: GET /lists answers 401 on a bad key on
      // every partner we know; any other answer means the key was accepted.
      const res = await httpRequest({ method: 'GET', url: `${config.baseUrl}/lists`, headers }, options);
      if (res.kind === 'network_error') return { ok: false, message: `cannot reach ${config.baseUrl}: ${res.message}` };
      if (res.status === 401 || res.status === 403) return { ok: false, message: `API key rejected (HTTP ${res.status})` };
      if (res.status >= 500) return { ok: false, message: `server error (HTTP ${res.status})` };
      return { ok: true, message: `reached ${config.baseUrl} (HTTP ${res.status})` };
    },
  };
}
