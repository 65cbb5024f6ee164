import { amplitudePropertyConfigSchema, type AmplitudePropertyConfig } from '../schemas/destination.js';
import { cohortLabel, type BatchDestination, type DestinationOptions } from './destination.js';
import { basicAuth, classifyHttp, httpRequest } from './http.js';

/** Property-based partner protocol: one boolean trait per cohort on each user. */
export function createAmplitudePropertyDestination(
  rawConfig: Record<string, unknown>,
  options: DestinationOptions = {},
): BatchDestination {
  const config: AmplitudePropertyConfig = amplitudePropertyConfigSchema.parse(rawConfig);
  const now = options.now ?? (() => new Date());
  const headers = { authorization: basicAuth(config.apiKey) };
  const context = { integration: { name: config.integrationName, version: config.integrationVersion } };
  const url = `${config.baseUrl}${config.path}`;

  return {
    type: 'amplitude_property',
    mode: 'batches',
    needsProperties: false,

    async prepare() {
      return { kind: 'ok', noRequest: true };
    },

    async send(batch) {
      const trait = cohortLabel(config.traitPrefix, batch.cohort);
      const value = batch.op === 'add';
      const identifies = batch.users.map((u) => ({
        type: 'identify',
        userId: u.userId,
        traits: { [trait]: value },
        context,
      }));
      // The protocol sends a lone identify unwrapped when the sync's batch size is 1.
      const body = identifies.length === 1 && batch.batchSize === 1 ? identifies[0] : { batch: identifies };
      const res = await httpRequest(
        { method: 'POST', url, headers, idempotencyKey: batch.idempotencyKey, body },
        options,
      );
      return classifyHttp(res, now());
    },

    async test() {
      // An empty batch changes nothing and exercises auth.
      const res = await httpRequest({ method: 'POST', url, headers, body: { batch: [] } }, options);
      if (res.kind === 'network_error') return { ok: false, message: `cannot reach ${url}: ${res.message}` };
      if (res.status === 401 || res.status === 403) return { ok: false, message: `API key rejected (HTTP ${res.status})` };
      if (res.status >= 500) return { ok: false, message: `server error (HTTP ${res.status})` };
      return { ok: true, message: `reached ${url} (HTTP ${res.status})` };
    },
  };
}
