/**
 * Zod schema of the cohort definition language (see shared/spec/cohort-definition.md).
 * Shared by the API, the web builder, the compiler and the reference evaluator.
 *
 * Objects are strict: an unknown field is rejected rather than silently ignored,
 * because an ignored field (a typo like "negated") would change what a cohort means.
 */
import { z } from 'zod';
import { RE2JS } from 're2js';

export const MAX_RULES_PER_GROUP = 50;
export const MAX_GROUP_DEPTH = 5;
export const MAX_WINDOW_AMOUNT = 100_000;
/** `regularly` looks back at most this many periods (a year of weeks). */
export const MAX_PERIODS = 52;

// ---------------------------------------------------------------- Instant

/**
 * ISO-8601 date (midnight UTC) or date-time with seconds and an offset.
 * Definitions use at most millisecond precision (asOf and event times are JS Dates).
 */
const INSTANT_RE =
  /^([1-9]\d{3})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?:T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.(\d{1,3}))?)?(Z|([+-])([01]\d|2[0-3]):([0-5]\d)))?$/;

/** Parses a definition Instant to a Date (UTC), or null when it is not one. */
export function parseInstant(text: string): Date | null {
  const m = INSTANT_RE.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo) - 1;
  const day = Number(d);
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  // Reject days that do not exist (2023-02-30) instead of rolling over.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month || date.getUTCDate() !== day) return null;
  if (h !== undefined) {
    const ms = frac ? Number(frac.padEnd(3, '0')) : 0;
    date.setUTCHours(Number(h), Number(mi), s ? Number(s) : 0, ms);
    if (sign) {
      const offsetMin = (Number(oh) * 60 + Number(om)) * (sign === '+' ? 1 : -1);
      date.setTime(date.getTime() - offsetMin * 60_000);
    }
  }
  return date;
}

const INSTANT_HINT = 'a date like 2023-03-22 or a date-time with offset like 2023-03-22T10:00:00Z';
const instantSchema = z
  .string({ error: `needs ${INSTANT_HINT}` })
  .refine((s) => parseInstant(s) !== null, { message: `is not ${INSTANT_HINT}` });

// ---------------------------------------------------------------- building blocks

export const unitSchema = z.enum(['minute', 'hour', 'day', 'week', 'month'], {
  error: 'unit must be one of minute, hour, day, week, month',
});

const amountSchema = z
  .number({ error: 'amount needs a whole number' })
  .int({ error: 'amount needs a whole number' })
  .min(1, { error: 'amount must be at least 1' })
  .max(MAX_WINDOW_AMOUNT, { error: `amount must be at most ${MAX_WINDOW_AMOUNT}` });

export const durationSchema = z.strictObject({ amount: amountSchema, unit: unitSchema });

export const windowSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('all_time') }),
    z.strictObject({ type: z.literal('last'), amount: amountSchema, unit: unitSchema }),
    z.strictObject({ type: z.literal('since'), from: instantSchema }),
    z.strictObject({ type: z.literal('until'), to: instantSchema }),
    z
      .strictObject({ type: z.literal('between'), from: instantSchema, to: instantSchema })
      .refine(
        (w) => {
          const from = parseInstant(w.from);
          const to = parseInstant(w.to);
          return from === null || to === null || from.getTime() < to.getTime();
        },
        { message: 'between window: from must be before to (the window is from <= ts < to)', path: ['to'] },
      ),
  ],
  { error: 'window type must be one of all_time, last, since, until, between' },
);

export const OPS = [
  'eq', 'neq', 'contains', 'not_contains', 'starts_with', 'ends_with',
  'gt', 'gte', 'lt', 'lte', 'between', 'in', 'not_in',
  'is_set', 'is_not_set', 'before', 'after', 'regex',
] as const;
export const CMP_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between'] as const;

export const opSchema = z.enum(OPS, { error: `op must be one of ${OPS.join(', ')}` });
export const cmpOpSchema = z.enum(CMP_OPS, { error: `op must be one of ${CMP_OPS.join(', ')}` });

const valueSchema = z.union([z.string(), z.number(), z.boolean()]);

/** A dotted path of non-empty keys: "brand", "address.city". */
const propertyPathSchema = z
  .string({ error: 'property needs a property name' })
  .min(1, { error: 'property needs a property name' })
  .refine((p) => p.split('.').every((seg) => seg.length > 0), {
    message: 'property path has an empty segment (check for a leading, trailing or doubled ".")',
  });

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isScalar = (v: unknown): boolean => typeof v === 'string' || typeof v === 'boolean' || isFiniteNumber(v);
const isNumberPair = (v: unknown): v is [number, number] =>
  Array.isArray(v) && v.length === 2 && isFiniteNumber(v[0]) && isFiniteNumber(v[1]) && v[0] <= v[1];

/** Why `value` does not fit `op`, or null when it does. */
function filterValueProblem(op: (typeof OPS)[number], value: unknown, hasValue: boolean): string | null {
  switch (op) {
    case 'is_set':
    case 'is_not_set':
      return hasValue ? `${op} takes no value; remove "value"` : null;
    case 'eq':
    case 'neq':
      return isScalar(value) ? null : `${op} needs one value: text, a number or true/false`;
    case 'in':
    case 'not_in':
      return Array.isArray(value) && value.length > 0 && value.every(isScalar)
        ? null
        : `${op} needs a non-empty list of values (text, numbers or true/false)`;
    case 'contains':
    case 'not_contains':
    case 'starts_with':
    case 'ends_with':
      return typeof value === 'string' ? null : `${op} needs a text value`;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return isFiniteNumber(value) ? null : `${op} needs a number`;
    case 'between':
      return isNumberPair(value) ? null : 'between needs two numbers, the lower first';
    case 'before':
    case 'after':
      return typeof value === 'string' && parseInstant(value) !== null ? null : `${op} needs ${INSTANT_HINT}`;
    case 'regex': {
      if (typeof value !== 'string') return 'regex needs a pattern (text)';
      try {
        RE2JS.compile(value);
        return null;
      } catch (e) {
        return `regex pattern is not valid RE2 syntax (${e instanceof Error ? e.message : String(e)})`;
      }
    }
  }
}

export const filterSchema = z
  .strictObject({
    property: propertyPathSchema,
    op: opSchema,
    value: z.union([valueSchema, z.array(valueSchema)]).optional(),
  })
  .superRefine((f, ctx) => {
    const problem = filterValueProblem(f.op, f.value, f.value !== undefined);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['value'] });
  });

/**
 * Counts are whole numbers the engine keeps as 64-bit integers and compares
 * with a double: exact only up to 2^53, so larger bounds are refused.
 */
const COUNT_BOUND = Number.MAX_SAFE_INTEGER;

function compareValueCheck(c: { op: string; value: number | [number, number] }, ctx: z.RefinementCtx, bound = Number.MAX_VALUE) {
  if (c.op === 'between') {
    if (!isNumberPair(c.value)) ctx.addIssue({ code: 'custom', message: 'between needs two numbers, the lower first', path: ['value'] });
  } else if (!isFiniteNumber(c.value)) {
    ctx.addIssue({ code: 'custom', message: `${c.op} needs one number`, path: ['value'] });
  }
  const values = Array.isArray(c.value) ? c.value : [c.value];
  if (values.some((v) => typeof v === 'number' && Math.abs(v) > bound)) {
    ctx.addIssue({ code: 'custom', message: `a count is compared exactly only between -${bound} and ${bound}`, path: ['value'] });
  }
}

// z.number() refuses Infinity (what JSON's 1e309 parses to): only finite doubles are compared.
const compareValue = z.union([z.number(), z.tuple([z.number(), z.number()])], {
  error: 'value needs a number, or two numbers [lower, upper] for between',
});

export const compareSchema = z.strictObject({ op: cmpOpSchema, value: compareValue }).superRefine((c, ctx) => compareValueCheck(c, ctx, COUNT_BOUND));

export const aggregateSchema = z
  .strictObject({
    fn: z.enum(['sum', 'avg', 'min', 'max', 'distinct'], { error: 'fn must be one of sum, avg, min, max, distinct' }),
    property: propertyPathSchema,
    op: cmpOpSchema,
    value: compareValue,
  })
  .superRefine(compareValueCheck);

const eventNameSchema = z.string({ error: 'event needs an event name' }).min(1, { error: 'event needs an event name' });
const whereSchema = z.array(filterSchema, { error: 'where needs a list of filters' });
const whereMatchSchema = z.enum(['all', 'any'], { error: 'whereMatch must be "all" or "any"' });
const matchSchema = z.enum(['all', 'any'], { error: 'match must be "all" or "any"' });
const negateSchema = z.boolean({ error: 'negate must be true or false' }).optional();

export const stepSchema = z.strictObject({
  event: eventNameSchema,
  where: whereSchema.optional(),
  whereMatch: whereMatchSchema.optional(),
});

const eventRuleSchema = z.strictObject({
  type: z.literal('event'),
  event: eventNameSchema,
  where: whereSchema.optional(),
  whereMatch: whereMatchSchema.optional(),
  count: compareSchema.optional(),
  countBy: z.enum(['events', 'days'], { error: 'countBy must be "events" or "days"' }).optional(),
  aggregate: aggregateSchema.optional(),
  window: windowSchema.optional(),
  negate: negateSchema,
});

const sequenceRuleSchema = z.strictObject({
  type: z.literal('sequence'),
  steps: z
    .array(stepSchema, { error: 'steps needs a list of steps' })
    .min(2, { error: 'a sequence needs at least 2 steps' })
    .max(10, { error: 'a sequence has at most 10 steps' }),
  within: durationSchema.optional(),
  window: windowSchema.optional(),
  negate: negateSchema,
});

const firstTimeRuleSchema = z.strictObject({
  type: z.literal('first_time'),
  event: eventNameSchema,
  where: whereSchema.optional(),
  whereMatch: whereMatchSchema.optional(),
  window: windowSchema,
  negate: negateSchema,
});

const propertyRuleSchema = z
  .strictObject({
    type: z.literal('property'),
    property: propertyPathSchema,
    op: opSchema,
    value: z.union([valueSchema, z.array(valueSchema)]).optional(),
    negate: negateSchema,
  })
  .superRefine((f, ctx) => {
    const problem = filterValueProblem(f.op, f.value, f.value !== undefined);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['value'] });
  });

const cohortRuleSchema = z.strictObject({
  type: z.literal('cohort'),
  cohortId: z.string({ error: 'cohortId needs a cohort id' }).min(1, { error: 'cohortId needs a cohort id' }),
  negate: negateSchema,
});

const regularlyRuleSchema = z
  .strictObject({
    type: z.literal('regularly'),
    event: eventNameSchema,
    where: whereSchema.optional(),
    whereMatch: whereMatchSchema.optional(),
    period: z.enum(['day', 'week', 'month'], { error: 'period must be one of day, week, month' }),
    periods: z
      .number({ error: 'periods needs a whole number' })
      .int({ error: 'periods needs a whole number' })
      .min(1, { error: 'periods must be at least 1' })
      .max(MAX_PERIODS, { error: `periods must be at most ${MAX_PERIODS}` }),
    atLeast: z
      .number({ error: 'atLeast needs a whole number' })
      .int({ error: 'atLeast needs a whole number' })
      .min(1, { error: 'atLeast must be at least 1' }),
    negate: negateSchema,
  })
  .refine((r) => r.atLeast <= r.periods, { message: 'atLeast cannot be more than periods', path: ['atLeast'] });

const stoppedRuleSchema = z.strictObject({
  type: z.literal('stopped'),
  event: eventNameSchema,
  where: whereSchema.optional(),
  whereMatch: whereMatchSchema.optional(),
  active: durationSchema,
  inactive: durationSchema,
  negate: negateSchema,
});

const restartedRuleSchema = z.strictObject({
  type: z.literal('restarted'),
  event: eventNameSchema,
  where: whereSchema.optional(),
  whereMatch: whereMatchSchema.optional(),
  inactive: durationSchema,
  returned: durationSchema,
  negate: negateSchema,
});

const rulesArray = () =>
  z
    .array(ruleSchema, { error: 'rules needs a list of rules' })
    .min(1, { error: 'a group needs at least 1 rule' })
    .max(MAX_RULES_PER_GROUP, { error: `a group has at most ${MAX_RULES_PER_GROUP} rules` });

const groupRuleSchema = z.strictObject({
  type: z.literal('group'),
  match: matchSchema,
  get rules() {
    return rulesArray();
  },
  negate: negateSchema,
});

export const ruleSchema: z.ZodType<Rule> = z.discriminatedUnion(
  'type',
  [
    groupRuleSchema, eventRuleSchema, sequenceRuleSchema, firstTimeRuleSchema, propertyRuleSchema, cohortRuleSchema,
    regularlyRuleSchema, stoppedRuleSchema, restartedRuleSchema,
  ],
  { error: 'type must be one of group, event, sequence, first_time, property, cohort, regularly, stopped, restarted' },
) as unknown as z.ZodType<Rule>;

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

// ---------------------------------------------------------------- types

export type Unit = z.infer<typeof unitSchema>;
export type Duration = z.infer<typeof durationSchema>;
export type Window = z.infer<typeof windowSchema>;
export type Op = z.infer<typeof opSchema>;
export type CmpOp = z.infer<typeof cmpOpSchema>;
export type Value = string | number | boolean;
export type Filter = z.infer<typeof filterSchema>;
export type Compare = z.infer<typeof compareSchema>;
export type Aggregate = z.infer<typeof aggregateSchema>;
export type Step = z.infer<typeof stepSchema>;
export type EventRule = z.infer<typeof eventRuleSchema>;
export type SequenceRule = z.infer<typeof sequenceRuleSchema>;
export type FirstTimeRule = z.infer<typeof firstTimeRuleSchema>;
export type PropertyRule = z.infer<typeof propertyRuleSchema>;
export type CohortRule = z.infer<typeof cohortRuleSchema>;
export type RegularlyRule = z.infer<typeof regularlyRuleSchema>;
export type StoppedRule = z.infer<typeof stoppedRuleSchema>;
export type RestartedRule = z.infer<typeof restartedRuleSchema>;
/** Rules about when a user did an event over time (regularly, stopped, restarted). */
export type RecurrenceRule = RegularlyRule | StoppedRule | RestartedRule;
export interface GroupRule {
  type: 'group';
  match: 'all' | 'any';
  rules: Rule[];
  negate?: boolean;
}
export type Rule = GroupRule | EventRule | SequenceRule | FirstTimeRule | PropertyRule | CohortRule | RecurrenceRule;
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
