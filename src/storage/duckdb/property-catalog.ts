import type { PropertyType } from './property-paths.js';

/**
 * Property names and types seen per event name, mirrored in the
 * `event_properties` table. Nested maps rather than joined string keys: no
 * separator can collide with a name, and the hot path builds no strings.
 */
export class PropertyCatalog {
  private readonly byEvent = new Map<string, Map<string, Set<string>>>();

  has(event: string, path: string, type: string): boolean {
    return this.byEvent.get(event)?.get(path)?.has(type) ?? false;
  }

  /** Adds the entry; false when it was known already. */
  add(event: string, path: string, type: PropertyType | string): boolean {
    let paths = this.byEvent.get(event);
    if (!paths) this.byEvent.set(event, (paths = new Map()));
    let types = paths.get(path);
    if (!types) paths.set(path, (types = new Set()));
    if (types.has(type)) return false;
    types.add(type);
    return true;
  }

  delete(event: string, path: string, type: string): void {
    this.byEvent.get(event)?.get(path)?.delete(type);
  }
}
