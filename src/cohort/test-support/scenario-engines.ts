import { afterAll, beforeAll, expect } from 'vitest';
import type { Definition } from '../../schemas/definition';
import { compileDefinition } from '../cohort-compiler';
import type { CohortResolver } from '../cohort-references';
import { evaluateDefinition, type EvalData } from '../reference-evaluator';
import { openCohortEngines, type CohortEngine } from './cohort-engines';

export type ExpectMembers = (d: EvalData, definition: Definition, asOf: string, expected: string[], resolve?: CohortResolver) => Promise<void>;

/**
 * For a scenario suite: opens every engine of cohort-engines.ts around the suite and
 * returns the check each scenario makes — the reference evaluator AND the compiled SQL
 * on every engine give exactly `expected` (one diff naming the engines that differ).
 */
export function scenarioEngines(): ExpectMembers {
  let engines: CohortEngine[] = [];
  beforeAll(async () => {
    engines = await openCohortEngines();
  });
  afterAll(async () => {
    for (const e of engines) await e.close();
  });
  return async (d, definition, asOf, expected, resolve = () => undefined) => {
    const ctx = { asOf: new Date(asOf), resolveCohort: resolve };
    const got: Record<string, string[]> = { evaluator: [...evaluateDefinition(d, definition, ctx)].sort() };
    const want: Record<string, string[]> = { evaluator: [...expected].sort() };
    for (const engine of engines) {
      await engine.load(d);
      got[engine.name] = [...(await engine.members(compileDefinition(definition, ctx, engine.dialect)))].sort();
      want[engine.name] = [...expected].sort();
    }
    expect(got).toEqual(want);
  };
}
