/**
 * Zod schema of the cohort definition language (see shared/spec/cohort-definition.md).
 * Shared by the API, the web builder, the compiler and the reference evaluator.
 *
 * Objects are strict: an unknown field is rejected rather than silently ignored,
 * because an ignored field (a typo like "negated") would change what a cohort means.
 */
import { z } from 'zod';
import { matchSchema, rulesArray, type Rule } from './definition-rules.js';

// The language is kept in files by what they hold; everything is imported from here.
export { MAX_WINDOW_AMOUNT, parseInstant, unitSchema, durationSchema, windowSchema, type Unit, type Duration, type Window } from './definition-time.js';
export {
  OPS, CMP_OPS, opSchema, cmpOpSchema, filterSchema, compareSchema, aggregateSchema,
  type Op, type CmpOp, type Value, type Filter, type Compare, type Aggregate,
} from './definition-filters.js';
export {
  MAX_RULES_PER_GROUP, MAX_PERIODS, stepSchema, ruleSchema,
  type Step, type EventRule, type SequenceRule, type FirstTimeRule, type PropertyRule, type CohortRule,
  type RegularlyRule, type StoppedRule, type RestartedRule, type RecurrenceRule, type GroupRule, type Rule,
} from './definition-rules.js';

export const MAX_GROUP_DEPTH = 5;

export const definitionSchema = z
  .strictObject({
    match: matchSchema,
    get rules() {
      return rulesArray();
    },
  })
  .superRefine((def, ctx) => {
    const walk = (rules: Rule[], depth: number, path: (string | number)[]) => {
      rules.forEach((r, i) => {
        if (r.type !== 'group') return;
        if (depth + 1 > MAX_GROUP_DEPTH) {
          ctx.addIssue({ code: 'custom', message: `groups nest at most ${MAX_GROUP_DEPTH} levels deep (the definition is level 1)`, path: [...path, i] });
          return;
        }
        walk(r.rules, depth + 1, [...path, i, 'rules']);
      });
    };
    walk(def.rules, 1, ['rules']);
  });

export interface Definition {
  match: 'all' | 'any';
  rules: Rule[];
}

// ---------------------------------------------------------------- parsing

export interface DefinitionIssue {
  /** Where the problem is, e.g. "rules[1].count.value" ("" for the whole definition). */
  path: string;
  message: string;
}

export type ParseDefinitionResult = { ok: true; value: Definition } | { ok: false; issues: DefinitionIssue[] };

export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** Validates untrusted input as a Definition, with messages a person can act on. */
export function parseDefinition(input: unknown): ParseDefinitionResult {
  const result = definitionSchema.safeParse(input);
  if (result.success) return { ok: true, value: result.data as Definition };
  const issues = result.error.issues.map((iss) => {
    const path = formatIssuePath(iss.path);
    let message = iss.message;
    if (iss.code === 'unrecognized_keys') message = `unknown field${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => `"${k}"`).join(', ')}`;
    return { path, message: path ? `${path}: ${message}` : message };
  });
  return { ok: false, issues };
}
