/** JSON type names reported for observed properties. */
export type PropertyType = 'string' | 'number' | 'boolean' | 'object' | 'array';

const MAX_DEPTH = 3;

/**
 * The property paths of an event (dotted for nested objects, as the
 * definition language reads them) with their JSON types. Nulls say nothing
 * about a property's type and are skipped.
 */
export function propertyPaths(props: Record<string, unknown>, prefix = '', depth = 1): [string, PropertyType][] {
  const out: [string, PropertyType][] = [];
  for (const [k, v] of Object.entries(props)) {
    if (v === null || v === undefined) continue;
    const path = prefix + k;
    if (Array.isArray(v)) out.push([path, 'array']);
    else if (typeof v === 'object') {
      if (depth < MAX_DEPTH) out.push(...propertyPaths(v as Record<string, unknown>, path + '.', depth + 1));
      else out.push([path, 'object']);
    } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.push([path, typeof v as PropertyType]);
  }
  return out;
}
