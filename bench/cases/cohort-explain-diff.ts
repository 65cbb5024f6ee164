import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { compileDefinition } from '../../src/cohort/cohort-compiler.js';
import type { CohortResolver } from '../../src/cohort/cohort-references.js';
import type { Cohort } from '../../src/schemas/cohort.js';
import type { Definition } from '../../src/schemas/definition.js';
import { createCohortInsightService, DIFF_SAMPLE_SIZE, type CohortInsightDeps } from '../../src/services/cohorts/cohort-insight.js';
import { duckdbDialect } from '../../src/cohort/dialects/duckdb.js';
import { planSync } from '../../src/services/syncs/sync-planner.js';
import { createDuckDBCohortInsightReads } from '../../src/storage/duckdb/cohort-insight-reads.js';
import { createDuckDBMembershipStore } from '../../src/storage/duckdb/duckdb-membership-store.js';
import { ReadPool, SerialConnection, type Database } from '../../src/storage/duckdb/database.js';
import { HotColumns } from '../../src/storage/duckdb/hot-columns.js';
import { IdentityMap } from '../../src/storage/duckdb/identity-map.js';
import type { BenchContext, CaseResult, Figure } from '../harness.js';
import { percentile } from '../harness.js';
import { BRIEF, def, median, SUITE } from './cohort-preview.js';
import { data20m } from './seed-20m.js';

export const name = 'cohort-explain-diff';
export const description =
  'Explain and diff on the 20M-event / 1M-user seeded store (`.tmp/bench-20m`), opened READ_ONLY in this process, through the ' +
  'cohort insight service as the server wires it (compiled with the hot property columns; DuckDB insight reads). For three saved ' +
  'definitions (their membership computed untimed into a temporary `cohort_members`, which shadows the stored table): explain of ' +
  'the saved cohort for 6 users (3 members, 3 non-members; the work behind `GET /v1/cohorts/:id/explain`), the diff of an edited ' +
  'definition (`POST /v1/cohorts/:id/diff`, without syncs and with one sync whose acknowledged set is the saved membership; the ' +
  'one-sync diff also the way it was done before issue 16 was closed, every proposed member id read out and planned in JavaScript), and a ' +
  'preview of the same edited definition (`POST /v1/cohorts/preview`: size + 20-user sample), side by side in the same rounds. ' +
  'One warm-up round, then the timed rounds; figures are medians.';

const ROUNDS = 7;
const EXPLAIN_TARGET_MS = 100;
const DIFF_TO_PREVIEW_TARGET = 2;
const USERS_EACH = 3;

/** The preview suite's nested definition, and the same with its cart rule at 2 instead of 3. */
const NESTED = SUITE.find((s) => s.label === 'nested any/all with negate')!.definition;
function editNested(d: Definition): unknown {
  const copy = structuredClone(d) as unknown as { rules: { rules: { event?: string; count?: { value: number } }[] }[] };
  const cart = copy.rules[0].rules.find((r) => r.event === 'cart')!;
  cart.count = { ...cart.count!, value: 2 };
  return copy;
}

/** A saved definition and the edit whose diff is measured. */
export const CASES: { id: string; label: string; saved: Definition; edited: Definition }[] = [
  {
    id: 'brief',
    label: 'brief example (edit: more than 2 purchases instead of 1)',
    saved: BRIEF,
    edited: def({ ...BRIEF, rules: [{ ...BRIEF.rules[0], count: { op: 'gt', value: 2 } }] }),
  },
  {
    id: 'nested',
    label: 'nested any/all with negate (edit: cart at least 2 times instead of 3)',
    saved: NESTED,
    edited: def(editNested(NESTED)),
  },
  {
    id: 'regular',
    label: 'regularly view on 3 of the last 4 weeks and plan is not "free" (edit: 2 of 4 weeks)',
    saved: def({
      match: 'all',
      rules: [{ type: 'regularly', event: 'view', period: 'week', periods: 4, atLeast: 3 }, { type: 'property', property: 'plan', op: 'neq', value: 'free' }],
    }),
    edited: def({
      match: 'all',
      rules: [{ type: 'regularly', event: 'view', period: 'week', periods: 4, atLeast: 2 }, { type: 'property', property: 'plan', op: 'neq', value: 'free' }],
    }),
  },
];

const round1 = (x: number) => Math.round(x * 10) / 10;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

export async function run(ctx: BenchContext): Promise<CaseResult> {
  const dir = await data20m(ctx);
  const instance = await DuckDBInstance.create(join(dir, 'kohort.duckdb'), { access_mode: 'READ_ONLY' });
  const conn = new SerialConnection(await instance.connect());
  const pool = new ReadPool([conn]);
  try {
    const materialized = (await HotColumns.load(conn.raw)).materialized();
    const asOf = new Date();
    const resolveCohort: CohortResolver = (id) => {
      const c = CASES.find((x) => x.id === id);
      return c ? { kind: 'dynamic', definition: c.saved } : undefined;
    };
    const compile = (d: Definition, c: { asOf: Date; resolveCohort: CohortResolver }) => compileDefinition(d, { ...c, materialized });

    // The saved membership, untimed, in a temporary table that shadows the file's `cohort_members` (READ_ONLY allows temp tables).
    await conn.run('CREATE OR REPLACE TEMP TABLE cohort_members (cohort_id VARCHAR, uid INTEGER)');
    const savedIds = new Map<string, string[]>();
    const explainUsers = new Map<string, { userId: string; uid: number; member: boolean }[]>();
    for (const c of CASES) {
      const q = compile(c.saved, { asOf, resolveCohort });
      const t0 = performance.now();
      await conn.run(`INSERT INTO cohort_members SELECT ?, uid FROM (SELECT DISTINCT uid FROM (${q.sql}) AS q)`, [c.id, ...q.params]);
      const ids = await conn.rows<{ user_id: string }>('SELECT u.user_id FROM cohort_members m JOIN users u ON u.uid = m.uid WHERE m.cohort_id = ? ORDER BY u.user_id', [c.id]);
      savedIds.set(c.id, ids.map((r) => r.user_id));
      // Members and non-members spread over the people (by a hash of the key), the same on every run.
      const pick = (member: boolean) =>
        conn.rows<{ user_id: string; uid: number }>(
          `SELECT u.user_id, u.uid FROM users u WHERE ${member ? '' : 'NOT '}EXISTS (SELECT 1 FROM cohort_members m WHERE m.cohort_id = ? AND m.uid = u.uid)
            ORDER BY hash(u.uid, 7::BIGINT) LIMIT ?`,
          [c.id, USERS_EACH],
        );
      const users = [...(await pick(true)).map((u) => ({ ...u, member: true })), ...(await pick(false)).map((u) => ({ ...u, member: false }))];
      explainUsers.set(c.id, users.map((u) => ({ userId: u.user_id, uid: Number(u.uid), member: u.member })));
      ctx.log(`${c.id}: ${ids.length.toLocaleString('en-US')} saved members (${Math.round(performance.now() - t0)} ms, untimed)`);
    }

    const [check] = await conn.rows<{ n: bigint; t: bigint }>('SELECT (SELECT count(*) FROM cohort_members) AS n, (SELECT count(*) FROM temp.main.cohort_members) AS t');
    if (check.n !== check.t || check.t === 0n) throw new Error('the temporary cohort_members does not shadow the stored one');

    // The identity map holds every person in memory, as in the server (loaded untimed).
    const ids = await IdentityMap.load(conn);
    const reads = createDuckDBCohortInsightReads(pool, ids);
    const cohortOf = (id: string): Cohort => {
      const c = CASES.find((x) => x.id === id);
      if (!c) throw new Error(`no cohort ${id}`);
      return { id, kind: 'dynamic', definition: c.saved } as unknown as Cohort;
    };
    const base: CohortInsightDeps = {
      reads,
      cohorts: {
        get: async (id) => cohortOf(id),
        validateDefinition: async (raw) => def(raw),
        resolver: async () => resolveCohort,
      },
      compile,
      materialized: () => materialized,
      dialect: duckdbDialect,
      now: () => asOf,
    };
    const plain = createCohortInsightService(base);
    const withSync = createCohortInsightService({
      ...base,
      syncs: { ofCohort: async (id) => [{ id: `sync-${id}`, destinationId: 'bench' }], acknowledged: async (syncId) => savedIds.get(syncId.slice(5)) ?? [] },
    });
    // The one-sync diff as it was before: the diff with every proposed member id, then planSync against the acknowledged set.
    const previousWay = async (id: string, edited: Definition) => {
      const { memberIds = [], ...d } = await reads.membershipDiff(id, compile(edited, { asOf, resolveCohort }), DIFF_SAMPLE_SIZE, { memberIds: true });
      const plan = planSync(memberIds, savedIds.get(id) ?? []);
      return { ...d, wouldAdd: plan.toAdd.length, wouldRemove: plan.toRemove.length };
    };
    const store = createDuckDBMembershipStore({ instance, reads: pool } as unknown as Database, conn, ids);

    const n = CASES.length;
    const explainMs = CASES.map(() => [] as number[]);
    const diffMs = CASES.map(() => [] as number[]);
    const diffSyncMs = CASES.map(() => [] as number[]);
    const diffSyncBeforeMs = CASES.map(() => [] as number[]);
    const [previewCpu, diffSyncCpu, diffSyncBeforeCpu] = [0, 1, 2].map(() => CASES.map(() => [] as number[]));
    const previewMs = CASES.map(() => [] as number[]);
    const answers = CASES.map(() => ({ explain: '', diff: '', preview: -1, syncs: '' }));
    for (let round = 0; round <= ROUNDS; round++) {
      for (let i = 0; i < n; i++) {
        const c = CASES[i];
        for (const u of explainUsers.get(c.id)!) {
          const t0 = performance.now();
          const e = await plain.explainSaved(c.id, { userId: u.userId, asOf: asOf.toISOString() });
          const ms = performance.now() - t0;
          if (e.member !== u.member) throw new Error(`${c.id}: explain says ${u.userId} is ${e.member ? 'in' : 'out'}, the saved membership says otherwise`);
          if (round > 0) explainMs[i].push(ms);
          if (u === explainUsers.get(c.id)![0]) answers[i].explain = JSON.stringify(e.rules.map((r) => [r.path, r.result, r.count ?? null])).slice(0, 200);
        }
        const body = { definition: c.edited, asOf: asOf.toISOString() };
        // Wall time, and the CPU time of the process (all threads: DuckDB's and JavaScript's), which
        // other work on a busy machine inflates far less than the wall time.
        const cpu = () => {
          const u = process.cpuUsage();
          return (u.user + u.system) / 1000;
        };
        let t0 = performance.now();
        const d = await plain.diff(c.id, body);
        if (round > 0) diffMs[i].push(performance.now() - t0);
        t0 = performance.now();
        let c0 = cpu();
        const ds = await withSync.diff(c.id, body);
        if (round > 0) diffSyncMs[i].push(performance.now() - t0), diffSyncCpu[i].push(cpu() - c0);
        t0 = performance.now();
        c0 = cpu();
        const before = await previousWay(c.id, c.edited);
        if (round > 0) diffSyncBeforeMs[i].push(performance.now() - t0), diffSyncBeforeCpu[i].push(cpu() - c0);
        if (ds.syncs[0].wouldAdd !== before.wouldAdd || ds.syncs[0].wouldRemove !== before.wouldRemove || ds.proposed !== before.proposed) {
          throw new Error(`${c.id}: the diff's sync counts ${JSON.stringify(ds.syncs)} differ from planSync's ${JSON.stringify(before)}`);
        }
        t0 = performance.now();
        c0 = cpu();
        const p = await store.preview(compile(c.edited, { asOf, resolveCohort }), 20, asOf.getTime());
        if (round > 0) previewMs[i].push(performance.now() - t0), previewCpu[i].push(cpu() - c0);
        if (p.size !== d.proposed) throw new Error(`${c.id}: the diff proposes ${d.proposed} members, the preview finds ${p.size}`);
        answers[i] = {
          ...answers[i],
          diff: `current ${d.current}, proposed ${d.proposed}, added ${d.added}, removed ${d.removed}`,
          preview: p.size,
          syncs: ds.syncs.map((s) => `would add ${s.wouldAdd}, remove ${s.wouldRemove}`).join('; '),
        };
      }
      ctx.log(`round ${round}/${ROUNDS} done`);
    }

    const figures: Figure[] = [];
    for (let i = 0; i < n; i++) {
      const c = CASES[i];
      const p = median(previewMs[i]);
      figures.push(
        { label: `${c.id}: explain one user (saved cohort), median`, value: round1(median(explainMs[i])), unit: 'ms', target: EXPLAIN_TARGET_MS },
        { label: `${c.id}: preview of the edited definition, median`, value: round1(p), unit: 'ms' },
        { label: `${c.id}: diff of the edited definition (no syncs), median`, value: round1(median(diffMs[i])), unit: 'ms' },
        { label: `${c.id}: diff (no syncs) / preview`, value: round3(median(diffMs[i]) / p), unit: 'x', target: DIFF_TO_PREVIEW_TARGET },
        { label: `${c.id}: diff of the edited definition (one sync), median`, value: round1(median(diffSyncMs[i])), unit: 'ms' },
        { label: `${c.id}: diff (one sync) / preview`, value: round3(median(diffSyncMs[i]) / p), unit: 'x', target: DIFF_TO_PREVIEW_TARGET },
        { label: `${c.id}: diff (one sync) the previous way / preview`, value: round3(median(diffSyncBeforeMs[i]) / p), unit: 'x' },
        { label: `${c.id}: CPU time, diff (one sync) / preview`, value: round3(median(diffSyncCpu[i]) / median(previewCpu[i])), unit: 'x' },
        { label: `${c.id}: CPU time, diff (one sync) the previous way / preview`, value: round3(median(diffSyncBeforeCpu[i]) / median(previewCpu[i])), unit: 'x' },
      );
    }
    return {
      figures,
      notes: [
        `Hot property columns of the file: ${materialized.map((m) => m.path.join('.')).join(', ') || 'none'}. ${ROUNDS} timed rounds after one warm-up round.`,
        ...CASES.flatMap((c, i) => [
          `${c.label}: saved ${savedIds.get(c.id)!.length.toLocaleString('en-US')} members; diff ${answers[i].diff}; sync ${answers[i].syncs}.`,
          `${c.id} explain (${explainUsers.get(c.id)!.map((u) => `${u.userId}${u.member ? ' in' : ' out'}`).join(', ')}): p90 ${percentile(explainMs[i], 90).toFixed(0)} ms, max ${Math.max(...explainMs[i]).toFixed(0)} ms; first user's rules ${answers[i].explain}`,
          `${c.id} samples (ms): preview ${previewMs[i].map((t) => t.toFixed(0)).join(', ')}; diff ${diffMs[i].map((t) => t.toFixed(0)).join(', ')}; diff with a sync ${diffSyncMs[i].map((t) => t.toFixed(0)).join(', ')}; the previous way ${diffSyncBeforeMs[i].map((t) => t.toFixed(0)).join(', ')}`,
        ]),
      ],
    };
  } finally {
    pool.closeAll();
    instance.closeSync();
  }
}
