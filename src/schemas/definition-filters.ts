/**
 * Property filters, comparisons and aggregates of the cohort definition
 * language: which value each operator takes, checked with messages a person can
 * act on. Re-exported by definition.ts, which the rest of the code imports.
 */
import { z } from 'zod';
import { RE2JS } from 're2js';
import { INSTANT_HINT, parseInstant } from './definition-time.js';

export const OPS = [
  'eq', 'neq', 'contains', 'not_contains', 'starts_with', 'ends_with',
  'gt', 'gte', 'lt', 'lte', 'between', 'in', 'not_in',
  'is_set', 'is_not_set', 'before', 'after', 'regex',
] as const;
export const CMP_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between'] as const;

export const opSchema = z.enum(OPS, { error: `op must be one of ${OPS.join(', ')}` });
export const cmpOpSchema = z.enum(CMP_OPS, { error: `op must be one of ${CMP_OPS.join(', ')}` });

export const valueSchema = z.union([z.string(), z.number(), z.boolean()]);

/** A dotted path of non-empty keys: "brand", "address.city". */
export const propertyPathSchema = z
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
export function filterValueProblem(op: (typeof OPS)[number], value: unknown, hasValue: boolean): string | null {
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

export type Op = z.infer<typeof opSchema>;
export type CmpOp = z.infer<typeof cmpOpSchema>;
export type Value = string | number | boolean;
export type Filter = z.infer<typeof filterSchema>;
export type Compare = z.infer<typeof compareSchema>;
export type Aggregate = z.infer<typeof aggregateSchema>;
