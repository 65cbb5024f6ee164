/**
 * Query of the contacts directory (docs/TEAMS.md, Contacts): `GET /v1/contacts`.
 * Property filters are the definition language's own (`filterSchema`), so a
 * filter here means exactly what it means in a cohort's property rule.
 */
import { z } from 'zod';
import { filterSchema, formatIssuePath, MAX_RULES_PER_GROUP, type Filter } from './definition.js';

export const CONTACTS_MAX_LIMIT = 500;
export const CONTACTS_DEFAULT_LIMIT = 50;
/** Filters become the rules of one group, so the group's rule limit applies. */
export const MAX_CONTACT_FILTERS = MAX_RULES_PER_GROUP;

const unknownKeys = (keys: readonly string[]) => `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}`;

/**
 * `filters` arrives as JSON text in the query string. Each problem is reported
 * at `filters[i].field` so the caller knows which filter (and which part) to fix.
 */
const filtersParamSchema = z
  .string()
  .max(20_000, { error: 'filters is longer than 20,000 characters' })
  .transform((text, ctx): Filter[] => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `filters is not valid JSON (${(e as Error).message})` });
      return z.NEVER;
    }
    if (!Array.isArray(parsed)) {
      ctx.addIssue({ code: 'custom', message: 'filters needs a JSON array of property filters, like [{"property":"plan","op":"eq","value":"pro"}]' });
      return z.NEVER;
    }
    if (parsed.length > MAX_CONTACT_FILTERS) {
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_CONTACT_FILTERS} filters` });
      return z.NEVER;
    }
    const out: Filter[] = [];
    parsed.forEach((item, i) => {
      const r = filterSchema.safeParse(item);
      if (r.success) {
        out.push(r.data);
        return;
      }
      for (const iss of r.error.issues) {
        const message = iss.code === 'unrecognized_keys' ? unknownKeys(iss.keys) : iss.message;
        ctx.addIssue({ code: 'custom', message, path: [i, ...iss.path.map((p) => (typeof p === 'symbol' ? String(p) : p))] });
      }
    });
    return out;
  });

/** Optional text: an empty parameter (`?q=`) is the same as leaving it out. */
const optionalText = (max: number, what: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.string().trim().max(max, { error: `${what} is longer than ${max} characters` }).optional(),
  );

export const contactsQuerySchema = z
  .object({
    /** Substring of the user id or of any current trait value, in any case. */
    q: optionalText(200, 'q'),
    filters: z.preprocess((v) => (v === '' ? undefined : v), filtersParamSchema.optional()),
    cohortId: optionalText(200, 'cohortId'),
    stepId: optionalText(200, 'stepId'),
    limit: z.coerce
      .number({ error: 'limit needs a number' })
      .int({ error: 'limit needs a whole number' })
      .min(1, { error: 'limit must be at least 1' })
      .max(CONTACTS_MAX_LIMIT, { error: `limit must be at most ${CONTACTS_MAX_LIMIT}` })
      .default(CONTACTS_DEFAULT_LIMIT),
    cursor: optionalText(2_000, 'cursor'),
  })
  .refine((v) => v.stepId === undefined || v.cohortId !== undefined, {
    message: 'stepId needs cohortId (steps belong to one cohort)',
    path: ['stepId'],
  });

export type ContactsQuery = z.infer<typeof contactsQuerySchema>;

/** Field issues of a bad contacts query: `filters[1].value`, with the filter's index. */
export function contactsQueryIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]) {
  return issues.map((i) => {
    const field = formatIssuePath(i.path) || '(query)';
    const index = i.path[0] === 'filters' && typeof i.path[1] === 'number' ? i.path[1] : undefined;
    return index === undefined ? { field, message: i.message } : { index, field, message: i.message };
  });
}

export interface ContactCohort {
  id: string;
  name: string;
  /** The contact's workflow step in that cohort (null when the cohort has no board). */
  stepId: string | null;
  stepName: string | null;
}

export interface Contact {
  userId: string;
  properties: Record<string, unknown>;
  firstSeen: string | null;
  lastSeen: string | null;
  eventCount: number;
  cohorts: ContactCohort[];
}

export interface ContactsPage {
  items: Contact[];
  nextCursor: string | null;
  /** How many contacts match, given on the first page only (no cursor). */
  total?: number;
}
