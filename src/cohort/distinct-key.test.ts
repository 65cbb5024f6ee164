/**
 * Distinct counting over a hot text column: the typed key must tell apart
 * values whose texts are equal (the string "true" and true, "1" and 1, "1.0"
 * and 1.0) and keep equal values together (1 and 1.0), as the JSON key does.
 * The random differential tests rarely put such pairs in one person's events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDefinition } from './cohort-compiler';
import { evaluateDefinition } from './reference-evaluator';
import { data, DuckDbCohortFixture, ev, one, resolver } from './test-support/duckdb-fixture';

let fx: DuckDbCohortFixture;
beforeAll(async () => {
  fx = await DuckDbCohortFixture.create({ hot: [['p']] });
});
afterAll(() => fx.close());

const PAIRS: [string, unknown[]][] = [
  ['string "true" and true', ['true', true]],
  ['string "1" and 1', ['1', 1]],
  ['1 and 1.0 (one value)', [1, 1.0]],
  ['string "-1" and -1', ['-1', -1]],
  ['string starting with a quote and its unquoted twin', ['"x"', 'x']],
  ['string "{}" and an object', ['{}', {}]],
  ['string "[1]" and an array', ['[1]', [1]]],
  ['string "null" and null', ['null', null]],
  ['plain strings', ['a', 'A']],
];

describe('distinct aggregate over a hot column', () => {
  for (const [label, values] of PAIRS) {
    it(label, async () => {
      const d = data(['u1'], values.map((p, i) => ev('u1', 'e', `2024-01-0${i + 1}T00:00:00Z`, { p })));
      await fx.load(d);
      for (const n of [1, 2]) {
        const definition = one({ type: 'event', event: 'e', aggregate: { fn: 'distinct', property: 'p', op: 'gte', value: n } });
        const ctx = { asOf: new Date('2024-02-01T00:00:00Z'), resolveCohort: resolver({}) };
        const expected = [...evaluateDefinition(d, definition, ctx)];
        for (const materialized of [[], fx.materialized()]) {
          const got = [...(await fx.members(compileDefinition(definition, { ...ctx, materialized })))];
          expect({ n, hot: materialized.length > 0, got }).toEqual({ n, hot: materialized.length > 0, got: expected });
        }
      }
    });
  }
});
