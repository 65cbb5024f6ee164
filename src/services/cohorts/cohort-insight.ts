/**
 * Explain (why is this user in or out, rule by rule) and diff (what saving a
 * definition would change, before saving): api.md, Cohorts.
 */
import type { Definition } from '../../schemas/definition.js';
import { parseInstant } from '../../schemas/definition.js';
import {
  diffBodySchema,
  explainBodySchema,
  explainQuerySchema,
  type CohortDiff,
  type Explanation,
} from '../../schemas/cohort-insight.js';
import type { Cohort } from '../../schemas/cohort.js';
import type { CohortResolver } from '../../cohort/cohort-references.js';
import type { CompileContext, CompiledQuery } from '../../cohort/cohort-compiler.js';
import { assembleExplanation, compileExplain } from '../../cohort/explain-compiler.js';
import type { MaterializedProperty, SqlDialect } from '../../cohort/dialect.js';
import type { CohortInsightReads } from '../../storage/cohort-insight-reads.js';
import { invalidInput, notFound, parseInput } from '../errors.js';

export const DIFF_SAMPLE_SIZE = 20;

export interface CohortInsightDeps {
  reads: CohortInsightReads;
  cohorts: {
    get(id: string): Promise<Cohort>;
    validateDefinition(raw: unknown, selfId?: string): Promise<Definition>;
    resolver(): Promise<CohortResolver>;
  };
  compile: (definition: Definition, ctx: { asOf: Date; resolveCohort: CohortResolver }) => CompiledQuery;
  /** Event property paths the store keeps in typed columns (the compiler reads them). */
  materialized?: () => readonly MaterializedProperty[];
  /** The dialect of the events engine `reads` runs on, for explain queries (default: DuckDB's). */
  dialect?: SqlDialect;
  /** The syncs of a cohort and the users each one's destination has acknowledged. */
  syncs?: {
    ofCohort(cohortId: string): Promise<{ id: string; destinationId: string }[]>;
    acknowledged(syncId: string): Promise<string[]>;
  };
  now?: () => Date;
}

const asOfDate = (text: string | undefined, now: () => Date) => (text ? parseInstant(text) ?? new Date(text) : now());

export function createCohortInsightService(deps: CohortInsightDeps) {
  const now = deps.now ?? (() => new Date());
  const ctxAt = async (asOf: Date): Promise<CompileContext> => ({
    asOf,
    resolveCohort: await deps.cohorts.resolver(),
    materialized: deps.materialized?.() ?? [],
  });

  /** `signal`: the query limiter's; aborting it stops the engine's query. */
  async function explain(definition: Definition, userId: string, asOf: Date, rulesShown: boolean, signal?: AbortSignal): Promise<Explanation> {
    const uid = await deps.reads.uidOf(userId);
    if (uid === undefined) throw notFound('User', userId);
    const plan = compileExplain(definition, uid, await ctxAt(asOf), deps.dialect);
    const { member, rules } = assembleExplanation(definition, plan.nodes, await deps.reads.explainRows(uid, plan.query, plan.events, signal));
    return { userId, asOf: asOf.toISOString(), member, rules: rulesShown ? rules : [] };
  }

  return {
    /** A saved cohort, as of `asOf` (default now); a static list is explained by its stored members. */
    async explainSaved(cohortId: string, query: unknown, opts: { signal?: AbortSignal } = {}): Promise<Explanation> {
      const q = parseInput(explainQuerySchema, query, 'explain query');
      const c = await deps.cohorts.get(cohortId);
      const asOf = asOfDate(q.asOf, now);
      if (c.kind === 'static') return explain({ match: 'all', rules: [{ type: 'cohort', cohortId }] }, q.userId, asOf, false, opts.signal);
      return explain(c.definition as Definition, q.userId, asOf, true, opts.signal);
    },

    /** An unsaved definition (the builder). */
    async explainDefinition(body: unknown, opts: { signal?: AbortSignal } = {}): Promise<Explanation> {
      const b = parseInput(explainBodySchema, body, 'explain request');
      const definition = await deps.cohorts.validateDefinition(b.definition);
      return explain(definition, b.userId, asOfDate(b.asOf, now), true, opts.signal);
    },

    /** What saving `definition` on the cohort would change: members, and what each sync would send. */
    async diff(cohortId: string, body: unknown, opts: { signal?: AbortSignal } = {}): Promise<CohortDiff> {
      const b = parseInput(diffBodySchema, body, 'diff request');
      const c = await deps.cohorts.get(cohortId);
      if (c.kind === 'static') throw invalidInput('A static cohort has no definition', [{ field: 'definition', message: 'not allowed for static cohorts' }]);
      const definition = await deps.cohorts.validateDefinition(b.definition, cohortId);
      const asOf = asOfDate(b.asOf, now);
      const q = deps.compile(definition, { asOf, resolveCohort: await deps.cohorts.resolver() });
      const syncs = (await deps.syncs?.ofCohort(cohortId)) ?? [];
      const acknowledged = await Promise.all(syncs.map((s) => deps.syncs!.acknowledged(s.id)));
      // What each sync would send is counted in the engine against its acknowledged set,
      // from the same run of the definition: no proposed member id comes back here.
      const { against = [], ...members } = await deps.reads.membershipDiff(cohortId, q, DIFF_SAMPLE_SIZE, { against: acknowledged, signal: opts.signal });
      const perSync = syncs.map((s, i) => ({ syncId: s.id, destinationId: s.destinationId, wouldAdd: against[i].wouldAdd, wouldRemove: against[i].wouldRemove }));
      return { ...members, syncs: perSync, asOf: asOf.toISOString() };
    },
  };
}

export type CohortInsightService = ReturnType<typeof createCohortInsightService>;
