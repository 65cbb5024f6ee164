import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/** Shown in place of every secret in API responses and logs. */
export const SECRET_MASK = '••••';
/** Config keys that hold secrets, for every destination type. */
export const SECRET_KEYS = ['apiKey', 'accessToken', 'secret'] as const;

const httpUrl = z
  .string()
  .trim()
  .pipe(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }))
  // Trailing slashes would produce `//lists` paths.
  .transform((u) => u.replace(/\/+$/, ''));
const secretString = z.string().trim().min(1).refine((s) => s !== SECRET_MASK, {
  message: 'must be the secret itself, not the mask',
});

const integration = {
  integrationName: z.string().min(1).default('Kohort Cohort Sync'),
  integrationVersion: z.string().min(1).default('1.0.0'),
};

export const amplitudeListConfigSchema = z.strictObject({
  baseUrl: httpUrl,
  apiKey: secretString,
  listNamePrefix: z.string().default('[Kohort]'),
  ...integration,
});

export const amplitudePropertyConfigSchema = z.strictObject({
  baseUrl: httpUrl,
  path: z
    .string()
    .default('/identify')
    .refine((p) => p.startsWith('/'), { message: 'must start with /' }),
  apiKey: secretString,
  traitPrefix: z.string().default('[Kohort]'),
  ...integration,
});

const WEBHOOK_SECRET_RE = /^whsec_[A-Za-z0-9+/]+={0,2}$/;
export const webhookConfigSchema = z.strictObject({
  url: httpUrl,
  secret: z
    .string()
    .trim()
    .regex(WEBHOOK_SECRET_RE, { message: 'must be whsec_ followed by base64' })
    .refine((s) => Buffer.from(s.slice(6), 'base64').length >= 16, {
      message: 'must decode to at least 16 bytes',
    })
    .optional(),
});

export const metaAudienceConfigSchema = z
  .strictObject({
    accessToken: secretString,
    adAccountId: z
      .string()
      .trim()
      // Accept the `act_` form users copy from Ads Manager; the protocol adds it itself.
      .transform((s) => s.replace(/^act_/, ''))
      .pipe(z.string().regex(/^\d+$/, { message: 'must be the numeric ad account id' })),
    audienceId: z.string().trim().regex(/^\d+$/).optional(),
    apiBaseUrl: httpUrl.default('https://graph.facebook.com'),
    apiVersion: z.string().regex(/^v\d+\.\d+$/).default('v21.0'),
    identifier: z.enum(['email', 'phone', 'external_id']),
    property: z.string().min(1).optional(),
  });

export const fileConfigSchema = z.strictObject({
  directory: z.string().trim().min(1),
  format: z.enum(['csv', 'ndjson']),
});

export const DESTINATION_TYPES = [
  'amplitude_list',
  'amplitude_property',
  'webhook',
  'meta_custom_audience',
  'file',
] as const;
export const destinationTypeSchema = z.enum(DESTINATION_TYPES);
export type DestinationType = z.infer<typeof destinationTypeSchema>;

export const destinationConfigSchemas = {
  amplitude_list: amplitudeListConfigSchema,
  amplitude_property: amplitudePropertyConfigSchema,
  webhook: webhookConfigSchema,
  meta_custom_audience: metaAudienceConfigSchema,
  file: fileConfigSchema,
} as const;

export type AmplitudeListConfig = z.infer<typeof amplitudeListConfigSchema>;
export type AmplitudePropertyConfig = z.infer<typeof amplitudePropertyConfigSchema>;
export type WebhookConfig = z.infer<typeof webhookConfigSchema>;
export type MetaAudienceConfig = z.infer<typeof metaAudienceConfigSchema>;
export type FileConfig = z.infer<typeof fileConfigSchema>;

/** `{ type, config }` discriminated by type: what a stored destination carries. */
export const typedDestinationConfigSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('amplitude_list'), config: amplitudeListConfigSchema }),
  z.object({ type: z.literal('amplitude_property'), config: amplitudePropertyConfigSchema }),
  z.object({ type: z.literal('webhook'), config: webhookConfigSchema }),
  z.object({ type: z.literal('meta_custom_audience'), config: metaAudienceConfigSchema }),
  z.object({ type: z.literal('file'), config: fileConfigSchema }),
]);
export type TypedDestinationConfig = z.infer<typeof typedDestinationConfigSchema>;

const name = z.string().trim().min(1).max(200);

/** `POST /v1/destinations` body. */
export const createDestinationBodySchema = z.discriminatedUnion('type', [
  z.strictObject({ name, type: z.literal('amplitude_list'), config: amplitudeListConfigSchema }),
  z.strictObject({ name, type: z.literal('amplitude_property'), config: amplitudePropertyConfigSchema }),
  z.strictObject({ name, type: z.literal('webhook'), config: webhookConfigSchema }),
  z.strictObject({ name, type: z.literal('meta_custom_audience'), config: metaAudienceConfigSchema }),
  z.strictObject({ name, type: z.literal('file'), config: fileConfigSchema }),
]);
export type CreateDestinationBody = z.infer<typeof createDestinationBodySchema>;

/**
 * `PATCH /v1/destinations/:id` body. `config` is a partial config merged onto the
 * stored one (see `mergeDestinationConfig`); the type never changes.
 */
export const patchDestinationBodySchema = z.strictObject({
  name: name.optional(),
  config: z.record(z.string(), z.unknown()).optional(),
});
export type PatchDestinationBody = z.infer<typeof patchDestinationBodySchema>;

export interface DestinationRecord<C = Record<string, unknown>> {
  id: string;
  name: string;
  type: DestinationType;
  /** Full config including secrets: for the sync engine only, never for responses. */
  config: C;
  createdAt: Date;
  updatedAt: Date;
}

export function generateWebhookSecret(): string {
  return 'whsec_' + randomBytes(32).toString('base64');
}

/**
 * Validates a create body's config for its type and fills what is generated
 * (the webhook secret). Returns the config to store and the generated secret,
 * which the create response may show once.
 */
export function prepareDestinationConfig(
  body: CreateDestinationBody,
): { config: Record<string, unknown>; generatedSecret?: string } {
  if (body.type === 'webhook' && !body.config.secret) {
    const secret = generateWebhookSecret();
    return { config: { ...body.config, secret }, generatedSecret: secret };
  }
  return { config: { ...body.config } };
}

export type ConfigValidation =
  | { ok: true; config: Record<string, unknown> }
  | { ok: false; error: z.ZodError };

/**
 * Merges a PATCH config onto the stored one and validates the result for the
 * destination's type. A secret sent as the mask, or omitted, keeps the stored
 * value (so a form can round-trip what GET returned); `null` clears an optional key.
 */
export function mergeDestinationConfig(
  type: DestinationType,
  stored: Record<string, unknown>,
  patch: Record<string, unknown>,
): ConfigValidation {
  const merged: Record<string, unknown> = { ...stored };
  for (const [key, value] of Object.entries(patch)) {
    if ((SECRET_KEYS as readonly string[]).includes(key) && value === SECRET_MASK) continue;
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  if (type === 'webhook' && !merged.secret) merged.secret = generateWebhookSecret();
  const parsed = destinationConfigSchemas[type].safeParse(merged);
  return parsed.success
    ? { ok: true, config: parsed.data as Record<string, unknown> }
    : { ok: false, error: parsed.error };
}

/** Replaces every secret value with the mask; never mutates its argument. */
export function maskSecrets<T extends Record<string, unknown>>(config: T): T {
  const out: Record<string, unknown> = { ...config };
  for (const key of SECRET_KEYS) {
    if (out[key] !== undefined && out[key] !== null && out[key] !== '') out[key] = SECRET_MASK;
  }
  return out as T;
}

/** The API shape of a destination: secrets masked, times as ISO strings. */
export function presentDestination(
  d: DestinationRecord,
  opts: { generatedSecret?: string } = {},
): {
  id: string;
  name: string;
  type: DestinationType;
  config: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  generatedSecret?: string;
} {
  return {
    id: d.id,
    name: d.name,
    type: d.type,
    config: maskSecrets(d.config),
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    // The only time a secret leaves the server: the webhook secret we generated, once.
    ...(opts.generatedSecret ? { generatedSecret: opts.generatedSecret } : {}),
  };
}

/**
 * A URL with its userinfo and query values masked: they often carry
 * credentials (`https://user:pass@host/?token=...`). For principals who may
 * read destinations but not change them.
 */
export function maskUrlCredentials(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return value;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return value;
  if (u.username) u.username = SECRET_MASK;
  if (u.password) u.password = SECRET_MASK;
  for (const key of [...new Set(u.searchParams.keys())]) u.searchParams.set(key, SECRET_MASK);
  return u.toString().replace(/%E2%80%A2/gi, '•');
}

/** A presented destination as readers below the admin role see it: URL credentials masked too. */
export function presentForReader<T extends { config: Record<string, unknown> }>(d: T): T {
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d.config)) config[k] = typeof v === 'string' ? maskUrlCredentials(v) : v;
  return { ...d, config };
}
