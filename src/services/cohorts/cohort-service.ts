import { randomBytes } from 'node:crypto';
import { parseDefinition, type Definition } from '../../schemas/definition.js';
import {
  createCohortSchema,
  listCohortsQuerySchema,
  patchCohortSchema,
  previewSchema,
  type Cohort,
  type CollaboratorInvite,
  type ListCohortsQuery,
} from '../../schemas/cohort.js';
import type { Principal } from '../../schemas/principal.js';
import type { CohortStore } from '../../storage/cohort-store.js';
import type { CompiledQuery, MembershipStore, RefreshItem } from '../../storage/membership-store.js';
import { runRefreshPass, type PassDeps } from './cohort-refresh-pass.js';
import { conflict, invalidInput, notFound, ServiceError, parseInput as parse } from '../errors.js';
import { listCohorts } from './cohort-list.js';
import { referencedCohortIds, type CohortResolver } from '../../cohort/cohort-references.js';
import { assertHeldReferences, checkReferencedCohorts, type ReferenceHolder } from './cohort-reference-checks.js';
import type { SqlDialect } from '../../cohort/dialect.js';
import { refreshBand, refreshPlan, refreshReads } from '../../cohort/incremental-refresh.js';

export type CompileFn = (definition: Definition, ctx: { asOf: Date; resolveCohort: CohortResolver }, dialect?: SqlDialect) => CompiledQuery;

/** What the sync engine tells the cohort service (set by the composition root). */
export interface SyncHooks {
  syncsOf(cohortId: string): Promise<{ id: string }[]>;
  deleteSyncsOf(cohortId: string): Promise<void>;
}

/** Collaborators invited on create (checked before the cohort is made) and dropped with the cohort. */
export interface CollaboratorHooks {
  check(list: CollaboratorInvite[], ownerId: string | null): Promise<void>;
  setInitial(cohortId: string, list: CollaboratorInvite[]): Promise<void>;
  removeCohort(cohortId: string): Promise<void>;
}

/** Which cohorts a list may show (access decides; applied before paging so cursors stay right). */
export interface ListScope {
  visible: Set<string> | 'all';
  /** The caller's account, for `?mine=true` (null: the admin token, owner of ownerless cohorts). */
  accountId: string | null;
}

export interface CohortServiceDeps {
  /** Metadata and history. */
  store: CohortStore;
  /** Member sets, on the events engine: runs the compiled definitions. */
  members: MembershipStore;
  compile: CompileFn;
  now?: () => Date;
  syncs?: SyncHooks;
  collaborators?: CollaboratorHooks;
  /** How long create/patch wait for the first computation before answering (it goes on after). */
  answerWithinMs?: number;
  log?: (msg: string, err?: unknown) => void;
  /**
   * Called after every successful computation (static lists included, so member
   * adds and removes count) and after a delete; workflow boards follow membership
   * here. Its failure is logged, never the computation's.
   */
  onMembershipChanged?: (cohortId: string) => Promise<void>;
  /**
   * Cohorts an owner (account id; null for the bootstrap token) may see now.
   * References are checked against it at every use (api.md, Security rules).
   */
  visibleToOwner?: (ownerId: string | null | undefined) => Promise<Set<string> | 'all'>;
}

const newId = () => randomBytes(6).toString('hex');


function definitionOrThrow(input: unknown): Definition {
  const r = parseDefinition(input);
  if (!r.ok) throw new ServiceError(400, 'invalid_definition', `The definition is invalid: ${r.issues[0].message}`, r.issues);
  return r.value;
}

export function createCohortService(deps: CohortServiceDeps) {
  const { store, members, compile } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? ((m, e) => console.error(m, e));
  const membershipChanged = async (id: string) => {
    try {
      await deps.onMembershipChanged?.(id);
    } catch (err) {
      log(`cohort ${id}: the membership hook failed`, err);
    }
  };
  /** One computation per cohort at a time; later requests wait for the previous one. */
  const computing = new Map<string, Promise<Cohort>>();

  const resolverOf = (byId: Map<string, Cohort>): CohortResolver => (id) => {
    const c = byId.get(id);
    if (!c) return undefined;
    return c.kind === 'static' ? { kind: 'static' } : { kind: 'dynamic', definition: c.definition as Definition };
  };
  const snapshot = async () => new Map((await store.all()).map((c) => [c.id, c]));
  const resolverFor = async () => resolverOf(await snapshot());

  const assertReferencesHeld = (def: Definition, owner: ReferenceHolder | null, byId: Map<string, Cohort>) =>
    deps.visibleToOwner ? assertHeldReferences(deps.visibleToOwner, def, owner, byId) : Promise.resolve();

  async function get(id: string): Promise<Cohort> {
    const c = await store.get(id);
    if (!c) throw notFound('Cohort', id);
    return c;
  }

  /** What the membership store needs to refresh a dynamic cohort as of `asOf`. */
  function itemFor(c: Cohort, byId: Map<string, Cohort>, asOf: Date): RefreshItem {
    const def = c.definition as Definition;
    const ctx = { asOf, resolveCohort: resolverOf(byId) };
    const plan = refreshPlan(def, ctx.resolveCohort);
    return {
      cohortId: c.id,
      full: compile(def, ctx),
      incremental:
        plan.kind === 'incremental'
          ? {
              asOf,
              fingerprint: plan.fingerprint,
              compile: (dialect) => compile(def, ctx, dialect),
              band: (from, dialect) => refreshBand(plan, from, asOf, dialect),
              reads: refreshReads(plan, (d, dialect) => compile(d, ctx, dialect)),
            }
          : null,
    };
  }

  async function runCompute(id: string, asOf: Date): Promise<Cohort> {
    const started = Date.now();
    const c = await get(id);
    if (c.kind === 'static') {
      const size = await members.memberCount(id);
      const done = { ...c, size, computedAt: asOf.toISOString() };
      await store.update(done);
      await membershipChanged(id);
      return done;
    }
    await store.update({ ...c, calculation: { ...c.calculation, state: 'running' } });
    try {
      const byId = await snapshot();
      await assertReferencesHeld(c.definition as Definition, c, byId);
      const item = itemFor(c, byId, asOf);
      // Sound plans re-evaluate only who may have changed since the last computation (cohort/incremental-refresh.ts).
      const { reevaluated: _, ...r } = item.incremental
        ? await members.refreshMembers(id, item.full, item.incremental)
        : { ...(await members.replaceMembers(id, item.full)), reevaluated: null };
      // History follows the member set it describes; a crash between the two loses one row, never members.
      await store.recordHistory(id, { computedAt: asOf.toISOString(), ...r, durationMs: Math.max(0, Date.now() - started) });
      const fresh = (await store.get(id)) ?? c;
      const done: Cohort = {
        ...fresh,
        size: r.size,
        computedAt: asOf.toISOString(),
        calculation: { state: 'idle', lastError: null, lastDurationMs: Date.now() - started },
      };
      await store.update(done);
      await membershipChanged(id);
      return done;
    } catch (err) {
      // The last good membership stays; the error says why this one failed.
      const fresh = (await store.get(id)) ?? c;
      const failed: Cohort = {
        ...fresh,
        calculation: { state: 'failed', lastError: err instanceof Error ? err.message : String(err), lastDurationMs: Date.now() - started },
      };
      await store.update(failed).catch(() => undefined);
      log(`cohort ${id} computation failed`, err);
      throw err;
    }
  }

  /** Computes the membership as of `asOf` (default now), after any computation already under way. */
  function compute(id: string, asOf?: Date): Promise<Cohort> {
    const prev = computing.get(id) ?? Promise.resolve();
    return track(id, prev.catch(() => undefined).then(() => runCompute(id, asOf ?? now())));
  }

  /** Records `job` as the cohort's computation under way (later ones wait for it) until it settles. */
  function track(id: string, job: Promise<Cohort>): Promise<Cohort> {
    computing.set(id, job);
    void job.catch(() => undefined).finally(() => {
      if (computing.get(id) === job) computing.delete(id);
    });
    return job;
  }

  const passDeps: PassDeps = {
    store,
    members,
    snapshot,
    check: (c, byId) => assertReferencesHeld(c.definition as Definition, c, byId),
    itemFor,
    single: runCompute,
    membershipChanged,
    log,
  };

  /**
   * Refreshes several cohorts in one pass (cohort-refresh-pass.ts), after any
   * computation of theirs already under way; per id, the cohort afterwards or
   * the error that failed it.
   */
  function refreshMany(ids: string[]): Promise<Map<string, Cohort | Error>> {
    const unique = [...new Set(ids)];
    const before = Promise.all(unique.map((id) => computing.get(id)?.catch(() => undefined)));
    const pass = before.then(() => runRefreshPass(passDeps, unique, now()));
    for (const id of unique) {
      // Later computations of these cohorts wait for the pass, as they wait for a single one.
      track(
        id,
        pass.then((m) => {
          const r = m.get(id);
          if (r instanceof Error || !r) throw r ?? new Error(`cohort ${id} was not refreshed`);
          return r;
        }),
      );
    }
    return pass;
  }

  /** Starts a computation and answers with the cohort as it is after `answerWithinMs` at most. */
  async function computeSoon(id: string): Promise<Cohort> {
    const job = compute(id).catch(() => undefined);
    const wait = new Promise((r) => setTimeout(r, deps.answerWithinMs ?? 5_000).unref());
    await Promise.race([job, wait]);
    return get(id);
  }

  /** Schema, then references: every referenced cohort exists, and none leads back here. */
  async function validateDefinition(raw: unknown, selfId?: string): Promise<Definition> {
    const def = definitionOrThrow(raw);
    const byId = await snapshot();
    checkReferencedCohorts(def, byId, selfId);
    return def;
  }

  return {
    get,
    compute,
    refreshMany,
    /** 403 when the cohort (or one it reaches) refers to a cohort its owner can no longer see. */
    async assertUsable(id: string): Promise<void> {
      const c = await get(id);
      if (c.kind === 'dynamic' && c.definition) await assertReferencesHeld(c.definition as Definition, c, await snapshot());
    },
    all: () => store.all(),
    /** Schema and reference checks of a definition (`selfId`: the cohort it would be saved on). */
    validateDefinition,
    /** Resolves cohort references against the cohorts as they are now. */
    resolver: resolverFor,

    /** A crash mid-computation leaves `running` behind: say so, and let the scheduler redo it. */
    async recoverInterrupted(): Promise<void> {
      for (const c of await store.all()) {
        if (c.calculation.state === 'running') {
          await store.update({ ...c, calculation: { ...c.calculation, state: 'failed', lastError: 'interrupted by a restart' } });
        }
      }
    },

    /** Drops member sets whose cohort is gone (a delete interrupted between the two stores). */
    async removeOrphanMembers(): Promise<number> {
      const known = new Set((await store.all()).map((c) => c.id));
      const orphans = (await members.cohortIds()).filter((id) => !known.has(id));
      for (const id of orphans) await members.deleteMembers(id);
      return orphans.length;
    },

    /** `signal`: the query limiter's; aborting it stops the engine's query. */
    async preview(body: unknown, opts: { signal?: AbortSignal } = {}) {
      const b = parse(previewSchema, body, 'preview request');
      const def = await validateDefinition(b.definition);
      const asOf = b.asOf ? new Date(b.asOf.length === 10 ? `${b.asOf}T00:00:00Z` : b.asOf) : now();
      const started = performance.now();
      const byId = await snapshot();
      // The caller's own references are checked by the route; deeper ones against their owners.
      await assertReferencesHeld(def, null, byId);
      const q = compile(def, { asOf, resolveCohort: resolverOf(byId) });
      const r = await members.preview(q, b.sampleSize, asOf.getTime(), opts.signal);
      return { size: r.size, sample: r.sample, asOf: asOf.toISOString(), tookMs: Math.round((performance.now() - started) * 10) / 10 };
    },

    /** `by` becomes the owner (none for the admin token). */
    async create(body: unknown, by?: Principal): Promise<Cohort> {
      const b = parse(createCohortSchema, body, 'cohort');
      const ownerId = by?.accountId ?? null;
      if (b.kind === 'dynamic' && b.definition === undefined) {
        throw invalidInput('A dynamic cohort needs a definition', [{ field: 'definition', message: 'required for dynamic cohorts' }]);
      }
      if (b.kind === 'static' && b.definition !== undefined) {
        throw invalidInput('A static cohort has no definition: add members instead', [{ field: 'definition', message: 'not allowed for static cohorts' }]);
      }
      const definition = b.kind === 'dynamic' ? await validateDefinition(b.definition) : null;
      if (b.collaborators.length) {
        if (!deps.collaborators) throw invalidInput('Collaborators are not available here', [{ field: 'collaborators', message: 'not supported' }]);
        await deps.collaborators.check(b.collaborators, ownerId);
      }
      const at = now().toISOString();
      const c: Cohort = {
        id: newId(),
        name: b.name,
        description: b.description,
        kind: b.kind,
        definition,
        status: b.status,
        tags: b.tags,
        size: 0,
        computedAt: b.kind === 'static' ? at : null,
        refresh: b.kind === 'static' ? 'manual' : b.refresh,
        calculation: { state: 'idle', lastError: null, lastDurationMs: null },
        createdAt: at,
        updatedAt: at,
        ownerId,
      };
      await store.insert(c);
      if (b.collaborators.length) await deps.collaborators!.setInitial(c.id, b.collaborators);
      return c.kind === 'dynamic' ? computeSoon(c.id) : c;
    },

    list(query: unknown, scope: ListScope = { visible: 'all', accountId: null }) {
      const q: ListCohortsQuery = parse(listCohortsQuerySchema, query, 'query');
      const { visible, accountId } = scope;
      return store.all().then((all) =>
        listCohorts(
          all.filter((c) => (visible === 'all' || visible.has(c.id)) && (!q.mine || (c.ownerId ?? null) === accountId)),
          q,
        ),
      );
    },

    async patch(id: string, body: unknown): Promise<Cohort> {
      const b = parse(patchCohortSchema, body, 'cohort update');
      const c = await get(id);
      if (b.definition !== undefined && c.kind === 'static') {
        throw invalidInput('A static cohort has no definition', [{ field: 'definition', message: 'not allowed for static cohorts' }]);
      }
      const definition = b.definition !== undefined ? await validateDefinition(b.definition, id) : c.definition;
      const updated: Cohort = {
        ...c,
        ...(b.name !== undefined && { name: b.name }),
        ...(b.description !== undefined && { description: b.description }),
        ...(b.tags !== undefined && { tags: b.tags }),
        ...(b.status !== undefined && { status: b.status }),
        ...(b.refresh !== undefined && c.kind === 'dynamic' && { refresh: b.refresh }),
        definition,
        updatedAt: now().toISOString(),
      };
      await store.update(updated);
      return b.definition !== undefined ? computeSoon(id) : updated;
    },

    /** `visible`: the caller's cohorts; a 409 names only those, and counts the others. */
    async remove(id: string, force: boolean, visible: Set<string> | 'all' = 'all'): Promise<void> {
      const c = await get(id);
      const all = await store.all();
      const referrers = all.filter((o) => o.id !== id && o.definition && referencedCohortIds(o.definition as Definition).includes(id));
      if (referrers.length) {
        const shown = referrers.filter((r) => visible === 'all' || visible.has(r.id));
        const hidden = referrers.length - shown.length;
        const names = [...shown.map((r) => `"${r.name}"`), ...(hidden ? [`${hidden} cohort${hidden === 1 ? '' : 's'} you cannot see`] : [])];
        throw conflict('cohort_referenced', `Cohort "${c.name}" is used by ${names.join(', ')}; change those first`, {
          referrers: shown.map((r) => ({ id: r.id, name: r.name })),
          ...(hidden ? { hiddenReferrers: hidden } : {}),
        });
      }
      const syncs = (await deps.syncs?.syncsOf(id)) ?? [];
      if (syncs.length && !force) {
        throw conflict('cohort_has_syncs', `Cohort "${c.name}" has ${syncs.length} sync(s); delete them or pass ?force=true`, {
          syncIds: syncs.map((s) => s.id),
        });
      }
      if (syncs.length) await deps.syncs!.deleteSyncsOf(id);
      await computing.get(id)?.catch(() => undefined);
      // Metadata first: a crash in between leaves a member set without a cohort, which start-up drops.
      await store.delete(id);
      await members.deleteMembers(id);
      await membershipChanged(id);
      await deps.collaborators?.removeCohort(id);
    },

    async refresh(id: string): Promise<Cohort> {
      await get(id);
      try {
        return await compute(id);
      } catch {
        return get(id); // the cohort says it failed and why
      }
    },

    async history(id: string) {
      await get(id);
      return store.history(id, 1000);
    },
  };
}

export type CohortService = ReturnType<typeof createCohortService>;
