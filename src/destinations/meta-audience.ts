import { createHash } from 'node:crypto';
import { metaAudienceConfigSchema, type MetaAudienceConfig } from '../schemas/destination.js';
import { META_MAX_BATCH_SIZE } from '../schemas/sync.js';
import {
  cohortLabel,
  type BatchDestination,
  type BatchUser,
  type DestinationOptions,
  type PrepareOutcome,
  type SendOutcome,
} from './destination.js';
import { classifyHttp, describeResponse, httpRequest, parseRetryAfter, type HttpResult } from './http.js';

/** Graph API error codes meaning "slow down" (sent as HTTP 400). */
const THROTTLE_CODES = new Set([4, 17, 613, 80003]);
/** Bad, expired or insufficient token. Graph uses 200-299 for permission errors in general. */
function isAuthCode(code: number): boolean {
  return code === 190 || code === 10 || (code >= 200 && code <= 299);
}

const SCHEMAS = { email: 'EMAIL_SHA256', phone: 'PHONE_SHA256', external_id: 'EXTERN_ID' } as const;

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

export function normalizeEmail(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const e = v.trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+$/.test(e) ? e : null;
}

/**
 * Digits only, country code included. The stored phone is expected to carry its
 * country code (`+1 555…`, `0049 …`): a `00` international prefix is dropped, as
 * Meta wants no leading zeros; we cannot invent a missing country code.
 */
export function normalizePhone(v: unknown): string | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  let d = String(v).replace(/\D+/g, '');
  if (d.startsWith('00')) d = d.slice(2);
  d = d.replace(/^0+/, '');
  return d.length >= 7 ? d : null;
}

/** The hashed identifier Meta matches on, or null when the user lacks it. */
export function metaIdentifierHash(config: Pick<MetaAudienceConfig, 'identifier' | 'property'>, user: BatchUser): string | null {
  if (config.identifier === 'external_id') {
    // The spec: external_id is the user id itself (hashed as is), whatever `property` says.
    return user.userId ? sha256Hex(user.userId) : null;
  }
  const value = user.properties[config.property ?? config.identifier];
  const normalized = config.identifier === 'email' ? normalizeEmail(value) : normalizePhone(value);
  return normalized ? sha256Hex(normalized) : null;
}

/** Meta's 64-bit session id, derived so that it is stable for one run's op. */
function sessionId(runId: string, op: string): number {
  return parseInt(sha256Hex(`${runId}:${op}`).slice(0, 12), 16);
}

function classifyMeta(res: HttpResult, now: Date): SendOutcome {
  if (res.kind === 'response' && res.status >= 400) {
    const err = (res.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = typeof err?.code === 'number' ? err.code : Number(err?.code);
    if (Number.isFinite(code)) {
      const message = `${describeResponse(res.status, res.text)}`;
      if (THROTTLE_CODES.has(code)) {
        const afterMs = parseRetryAfter(res.headers.get('retry-after'), now);
        return { kind: 'retry', status: res.status, message, ...(afterMs !== undefined ? { afterMs } : {}) };
      }
      if (isAuthCode(code)) return { kind: 'auth_failed', status: res.status, message };
      if (res.status < 500 && res.status !== 408 && res.status !== 429) {
        return { kind: 'permanent', status: res.status, message };
      }
    }
  }
  return classifyHttp(res, now);
}

/** Facebook / Meta Ads Custom Audience: hashed identifiers added and removed by session. */
export function createMetaAudienceDestination(
  rawConfig: Record<string, unknown>,
  options: DestinationOptions = {},
): BatchDestination {
  const config = metaAudienceConfigSchema.parse(rawConfig);
  const now = options.now ?? (() => new Date());
  const base = `${config.apiBaseUrl}/${config.apiVersion}`;

  return {
    type: 'meta_custom_audience',
    mode: 'batches',
    needsProperties: config.identifier !== 'external_id',
    maxBatchSize: META_MAX_BATCH_SIZE,
    // The session's estimated_num_total is sent with every batch: known only once the plan is whole.
    needsTotals: true,

    async prepare(ctx): Promise<PrepareOutcome> {
      if (config.audienceId) {
        return { kind: 'ok', noRequest: true, ...(ctx.state.audienceId === config.audienceId ? {} : { state: { audienceId: config.audienceId } }) };
      }
      if (typeof ctx.state.audienceId === 'string' && ctx.state.audienceId) return { kind: 'ok', noRequest: true };
      const res = await httpRequest(
        {
          method: 'POST',
          url: `${base}/act_${config.adAccountId}/customaudiences`,
          idempotencyKey: ctx.idempotencyKey,
          body: {
            name: cohortLabel('[Kohort]', ctx.cohort),
            subtype: 'CUSTOM',
            customer_file_source: 'USER_PROVIDED_ONLY',
            access_token: config.accessToken,
          },
        },
        options,
      );
      const outcome = classifyMeta(res, now());
      if (outcome.kind !== 'ok') return outcome;
      const id = (res.kind === 'response' ? (res.json as { id?: unknown } | undefined)?.id : undefined);
      if ((typeof id !== 'string' && typeof id !== 'number') || id === '') {
        return { kind: 'permanent', status: 200, message: 'audience creation answered without an id' };
      }
      return { kind: 'ok', state: { audienceId: String(id) } };
    },

    async send(batch) {
      const audienceId = batch.state.audienceId;
      if (typeof audienceId !== 'string' || !audienceId) {
        return { kind: 'permanent', status: null, message: 'no audience id stored for this sync' };
      }
      const data: string[][] = [];
      const skippedUserIds: string[] = [];
      for (const user of batch.users) {
        const hash = metaIdentifierHash(config, user);
        if (hash) data.push([hash]);
        else skippedUserIds.push(user.userId);
      }
      // Nothing addressable in this batch: nothing to send, and nothing failed.
      if (data.length === 0) return { kind: 'ok', skippedUserIds, noRequest: true };
      const res = await httpRequest(
        {
          method: batch.op === 'add' ? 'POST' : 'DELETE',
          url: `${base}/${encodeURIComponent(audienceId)}/users`,
          idempotencyKey: batch.idempotencyKey,
          body: {
            payload: { schema: SCHEMAS[config.identifier], data },
            session: {
              session_id: sessionId(batch.runId, batch.op),
              batch_seq: batch.seq,
              last_batch_flag: batch.last,
              estimated_num_total: batch.estimatedTotal,
            },
            access_token: config.accessToken,
          },
        },
        options,
      );
      const outcome = classifyMeta(res, now());
      return outcome.kind === 'ok' ? { kind: 'ok', skippedUserIds } : outcome;
    },

    async test() {
      const res = await httpRequest(
        {
          method: 'GET',
          url: `${base}/act_${config.adAccountId}?fields=name`,
          headers: { authorization: `Bearer ${config.accessToken}` },
        },
        options,
      );
      if (res.kind === 'network_error') return { ok: false, message: `cannot reach ${config.apiBaseUrl}: ${res.message}` };
      if (res.status >= 200 && res.status < 300) {
        const name = (res.json as { name?: unknown } | undefined)?.name;
        return { ok: true, message: `ad account act_${config.adAccountId}${typeof name === 'string' ? ` (${name})` : ''} reachable` };
      }
      const outcome = classifyMeta(res, now());
      return { ok: false, message: outcome.kind === 'ok' ? `HTTP ${res.status}` : outcome.message };
    },
  };
}
