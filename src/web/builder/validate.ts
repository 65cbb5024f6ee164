import { definitionSchema, type Definition } from '../api/definition';
import type { ApiIssue } from '../api/errors';

/** Client-side check with the shared schema, so mistakes show beside the field before any request. */
export function validateDefinition(def: Definition): ApiIssue[] {
  const r = definitionSchema.safeParse(def);
  if (r.success) return [];
  return r.error.issues.map((i) => ({
    path: i.path.filter((p): p is string | number => typeof p !== 'symbol'),
    message: i.code === 'unrecognized_keys' ? `unknown field ${i.keys.join(', ')}` : i.message,
  }));
}
