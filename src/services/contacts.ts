import type { CompileContext, CompiledQuery } from '../cohort/cohort-compiler.js';
import { contactsQueryIssues, contactsQuerySchema, type ContactsPage } from '../schemas/contacts.js';
import type { Definition, Filter } from '../schemas/definition.js';
import type { Principal } from '../schemas/principal.js';
import type { ContactReads } from '../storage/contact-reads.js';
import type { WorkflowStore } from '../storage/workflow-store.js';
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
  /** Boards live in the workflow store (maybe another engine): steps, their cards, a card's step. */
  workflows: Pick<WorkflowStore, 'steps' | 'cards' | 'stepOfUsers'>;
  /** The cohort compiler (compileDefinition). */
  compile: (d: Definition, ctx: CompileContext) => CompiledQuery;
  /** Names of existing cohorts among these ids. */
  cohortNames: CohortNames;
  /** Cohort ids the principal can see, or 'all' (Access.visibleCohorts). */
  visibleCohorts: (p: Principal) => Promise<Set<string> | 'all'>;
}

/** Cards of a step are read this many at a time. */
export const STEP_CARD_PAGE = 10_000;

/** The user ids of a step's cards, a page at a time (the contacts reads load them as a filter). */
function stepUsers(workflows: ContactsDeps['workflows'], cohortId: string, stepId: string): () => AsyncIterable<string[]> {
  return async function* () {
    let afterUserId: string | undefined;
    for (;;) {
      const cards = await workflows.cards(cohortId, { stepId, afterUserId, limit: STEP_CARD_PAGE });
      if (cards.length) yield cards.map((c) => c.userId);
      if (cards.length < STEP_CARD_PAGE) return;
      afterUserId = cards[cards.length - 1].userId;
    }
  };
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
        if (q.stepId !== undefined && !(await deps.workflows.steps(q.cohortId)).some((s) => s.id === q.stepId)) throw notFound('Step', q.stepId);
      }

      const { rows, total } = await deps.reads.page({
        search: q.q,
        inSet: filterSet(deps.compile, q.filters ?? []),
        cohortId: q.cohortId,
        inUsers: q.cohortId !== undefined && q.stepId !== undefined ? stepUsers(deps.workflows, q.cohortId, q.stepId) : undefined,
        afterUserId: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
        limit: q.limit + 1,
        withTotal: q.cursor === undefined,
      }, opts.signal);
      const more = rows.length > q.limit;
      const pageRows = rows.slice(0, q.limit);

      const cohortIds = [...new Set(pageRows.flatMap((p) => p.cohortIds))].filter(sees);
      const names = new Map((cohortIds.length ? await deps.cohortNames(cohortIds) : []).map((c) => [c.id, c.name]));
      const known = [...names.keys()];
      // Each membership shows its card's step (cohorts without a board have none).
      const steps = known.length ? await deps.workflows.stepOfUsers(known, pageRows.map((p) => p.userId)) : new Map<string, Map<string, { id: string; name: string }>>();
      const items = pageRows.map((p) => ({
        userId: p.userId,
        properties: p.properties,
        firstSeen: iso(p.firstSeen),
        lastSeen: iso(p.lastSeen),
        eventCount: p.eventCount,
        cohorts: p.cohortIds
          .filter((id) => names.has(id))
          .map((id) => {
            const step = steps.get(id)?.get(p.userId);
            return { id, name: names.get(id)!, stepId: step?.id ?? null, stepName: step?.name ?? null };
          })
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
