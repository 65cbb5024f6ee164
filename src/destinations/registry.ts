import { DESTINATION_TYPES, type DestinationType } from '../schemas/destination.js';
import { createAmplitudeListDestination } from './amplitude-list.js';
import { createAmplitudePropertyDestination } from './amplitude-property.js';
import type { Destination, DestinationFactory, DestinationOptions } from './destination.js';
import { createFileDestination } from './file-export.js';
import { createMetaAudienceDestination } from './meta-audience.js';
import { createWebhookDestination } from './webhook.js';

/** type -> factory. A new destination is one new file plus one line here. */
export type DestinationRegistry = {
  create(type: DestinationType, config: Record<string, unknown>, options?: DestinationOptions): Destination;
  types(): DestinationType[];
};

export const DEFAULT_FACTORIES: Record<DestinationType, DestinationFactory> = {
  amplitude_list: createAmplitudeListDestination,
  amplitude_property: createAmplitudePropertyDestination,
  webhook: createWebhookDestination,
  meta_custom_audience: createMetaAudienceDestination,
  file: createFileDestination,
};

/** Builds a registry; `defaults` apply to every destination it creates (e.g. a test timeout). */
export function createDestinationRegistry(
  factories: Partial<Record<DestinationType, DestinationFactory>> = DEFAULT_FACTORIES,
  defaults: DestinationOptions = {},
): DestinationRegistry {
  return {
    create(type, config, options = {}) {
      const factory = factories[type];
      if (!factory) throw new Error(`unknown destination type: ${type}`);
      return factory(config, { ...defaults, ...options });
    },
    types() {
      return DESTINATION_TYPES.filter((t) => factories[t] !== undefined);
    },
  };
}
