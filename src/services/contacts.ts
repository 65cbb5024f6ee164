import type { CompileContext, CompiledQuery } from '../cohort/cohort-compiler.js';
import { contactsQueryIssues, contactsQuerySchema, type ContactsPage } from '../schemas/contacts.js';
import type { Definition, Filter } from '../schemas/definition.js';
import type { Principal } from '../schemas/principal.js';
import type { ContactReads } from '../storage/contact-reads.js';
import { invalidInput, notFound } from './errors.js';
import type { CohortNames } from './events.js';

/**
 * "Current" traits are the latest value per key whatever its timestamp (as the
 * user profile shows them), so the filters are evaluated as of the latest
 * instant a definition can name.
 */
const LATEST = new Date('9999-12-31T23:59:59.999Z');

export interface ContactsDeps {
  reads: ContactReads;
  /** The cohort compiler (compileDefinition). */
  compile: (d: Definition, ctx: CompileContext) => CompiledQuery;
  /** Names of existing cohorts among these ids. */
  cohortNames: CohortNames;
  /** Cohort ids the principal can see, or 'all' (Access.visibleCohorts). */
  visibleCohorts: (p: Principal) => Promise<Set<string> | 'all'>;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const encodeCursor = (userId: string) => Buffer.from(userId, 'utf8').toString('base64url');
const decodeCursor = (c: string) => Buffer.from(c, 'base64url').toString('utf8');

/**
 * Property filters compiled by the cohort compiler as the property rules of one
 * `all` group: the same SQL, so the same meaning (numeric rule, missing keys,
 * is_not_set) as in a cohort definition.
 */
function filterSet(compile: ContactsDeps['compile'], filters: Filter[]): CompiledQuery | undefined {
  if (!filters.length) return undefined;
  const definition: Definition = { match: 'all', rules: filters.map((f) => ({ type: 'property', ...f })) };
  // Property rules never refer to other cohorts.
  return compile(definition, { asOf: LATEST, resolveCohort: () => undefined });
}

/** The people directory: search, trait filters, cohort/step scope, keyset pages. */
export function createContactsService(deps: ContactsDeps) {
  return {
    /** `signal`: the query limiter's; aborting it stops the engine's search. */
    async page(principal: Principal, query: unknown, opts: { signal?: AbortSignal } = {}): Promise<ContactsPage> {
      const r = contactsQuerySchema.safeParse(query ?? {});
      if (!r.success) throw invalidInput('Invalid contacts query', contactsQueryIssues(r.error.issues));
      const q = r.data;
      const visible = await deps.visibleCohorts(principal);
      const sees = (id: string) => visible === 'all' || visible.has(id);

      if (q.cohortId !== undefined) {
        // A cohort the principal cannot see answers like an unknown one.
        const [known] = sees(q.cohortId) ? await deps.cohortNames([q.cohortId]) : [];
        if (!known) throw notFound('Cohort', q.cohortId);
        if (q.stepId !== undefined && !(await deps.reads.stepExists(q.cohortId, q.stepId))) throw notFound('Step', q.stepId);
      }

      const { rows, total } = await deps.reads.page({
        search: q.q,
        inSet: filterSet(deps.compile, q.filters ?? []),
        cohortId: q.cohortId,
        stepId: q.stepId,
        afterUserId: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
        limit: q.limit + 1,
        withTotal: q.cursor === undefined,
      }, opts.signal);
      const more = rows.length > q.limit;
      const pageRows = rows.slice(0, q.limit);

      const cohortIds = [...new Set(pageRows.flatMap((p) => p.memberships.map((m) => m.cohortId)))].filter(sees);
      const names = new Map((cohortIds.length ? await deps.cohortNames(cohortIds) : []).map((c) => [c.id, c.name]));
      const items = pageRows.map((p) => ({
        userId: p.userId,
        properties: p.properties,
        firstSeen: iso(p.firstSeen),
        lastSeen: iso(p.lastSeen),
        eventCount: p.eventCount,
        cohorts: p.memberships
          .filter((m) => names.has(m.cohortId))
          .map((m) => ({ id: m.cohortId, name: names.get(m.cohortId)!, stepId: m.stepId, stepName: m.stepName }))
          .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)),
      }));
      return {
        items,
        nextCursor: more ? encodeCursor(pageRows[pageRows.length - 1].userId) : null,
        ...(total === undefined ? {} : { total }),
      };
    },
  };
}

export type ContactsService = ReturnType<typeof createContactsService>;
