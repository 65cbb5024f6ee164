import { SECRET_KEYS, type DestinationRecord } from '../../schemas/destination.js';
import type { NewDestination, SyncStore } from '../../storage/sync-store.js';
import type { SecretBox } from '../secret-box.js';

/** The config with every secret field sealed (already sealed ones stay as they are). */
export function sealConfig(config: Record<string, unknown>, box: SecretBox): Record<string, unknown> {
  const out = { ...config };
  for (const k of SECRET_KEYS) {
    const v = out[k];
    if (typeof v === 'string' && v !== '' && !box.isSealed(v)) out[k] = box.seal(v);
  }
  return out;
}

export function openConfig(config: Record<string, unknown>, box: SecretBox): Record<string, unknown> {
  const out = { ...config };
  for (const k of SECRET_KEYS) if (box.isSealed(out[k])) out[k] = box.open(out[k] as string);
  return out;
}

const opened = (d: DestinationRecord | null, box: SecretBox) => (d ? { ...d, config: openConfig(d.config, box) } : d);

/**
 * The sync store with destination secrets sealed on the way in and opened on
 * the way out: services and the engine see plain configs, the store and its
 * write-ahead log only sealed ones.
 */
export function withSealedSecrets<T extends SyncStore>(store: T, box: SecretBox): T {
  const overrides: Partial<SyncStore> = {
    createDestination: async (d: NewDestination) => opened(await store.createDestination({ ...d, config: sealConfig(d.config, box) }), box)!,
    getDestination: async (id) => opened(await store.getDestination(id), box),
    listDestinations: async () => (await store.listDestinations()).map((d) => opened(d, box)!),
    updateDestination: async (id, patch) =>
      opened(await store.updateDestination(id, patch.config ? { ...patch, config: sealConfig(patch.config, box) } : patch), box),
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop in overrides) return overrides[prop as keyof SyncStore];
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
