import { z } from 'zod';

/** The contract's error body (api.md, Errors), for the OpenAPI document. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe('snake_case, e.g. invalid_input, unauthorized, not_found'),
      message: z.string(),
      details: z.unknown().optional().describe('invalid_input: [{ field, message, index? }]'),
    }),
  })
  .meta({ id: 'Error' });

const MEANING: Record<number, string> = {
  400: 'Invalid input (details name each field)',
  401: 'Missing or bad credentials',
  403: 'Your role or cohort access does not allow this',
  404: 'Unknown id (or not visible to you)',
  409: 'Conflict',
  413: 'Body too large',
  429: 'Too many requests',
};

/** Error responses of a route, for `schema.response`. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorBodySchema> {
  return Object.fromEntries(statuses.map((s) => [s, errorBodySchema.describe(MEANING[s] ?? 'Error')]));
}

type Security = Record<string, string[]>[];
/** Who may call a route, as OpenAPI security requirements (schemes in openapi.ts). */
export const SECURITY = {
  /** Admin token, session token or personal API token as Bearer. */
  admin: [{ adminToken: [] }] as Security,
  /** The same tokens as Bearer or Basic base64(token + ":") (Amplitude's cohort API). */
  adminOrBasic: [{ adminToken: [] }, { tokenBasic: [] }] as Security,
  /** The write key: Basic base64(key + ":"), Bearer, or api_key in the body. */
  writeKey: [{ writeKeyBasic: [] }, { writeKeyBearer: [] }, { writeKeyInBody: [] }] as Security,
  none: [] as Security,
};
