import { describe, expect, it } from 'vitest';
import {
  createDestinationBodySchema,
  maskSecrets,
  mergeDestinationConfig,
  prepareDestinationConfig,
  presentDestination,
  SECRET_MASK,
} from '../schemas/destination.js';
import { createSyncBodySchema, patchSyncBodySchema } from '../schemas/sync.js';

describe('destination and sync schemas', () => {
  it('fills spec defaults per type', () => {
    const list = createDestinationBodySchema.parse({ name: 'Amp', type: 'amplitude_list', config: { baseUrl: 'https://x.io/', apiKey: 'k' } });
    expect(list.config).toEqual({
      baseUrl: 'https://x.io',
      apiKey: 'k',
      listNamePrefix: '[Kohort]',
      integrationName: 'Kohort Cohort Sync',
      integrationVersion: '1.0.0',
    });
    const prop = createDestinationBodySchema.parse({ name: 'P', type: 'amplitude_property', config: { baseUrl: 'https://x.io', apiKey: 'k' } });
    expect(prop.config).toMatchObject({ path: '/identify', traitPrefix: '[Kohort]' });
    const meta = createDestinationBodySchema.parse({ name: 'M', type: 'meta_custom_audience', config: { accessToken: 't', adAccountId: 'act_12', identifier: 'email' } });
    expect(meta.config).toMatchObject({ adAccountId: '12', apiBaseUrl: 'https://graph.facebook.com', apiVersion: 'v21.0' });
  });

  it('rejects bad configs and unknown types', () => {
    expect(createDestinationBodySchema.safeParse({ name: 'x', type: 'hubspot', config: {} }).success).toBe(false);
    expect(createDestinationBodySchema.safeParse({ name: 'x', type: 'webhook', config: { url: 'ftp://x' } }).success).toBe(false);
    expect(createDestinationBodySchema.safeParse({ name: 'x', type: 'webhook', config: { url: 'https://x', secret: 'nope' } }).success).toBe(false);
    expect(createDestinationBodySchema.safeParse({ name: 'x', type: 'file', config: { directory: '/tmp', format: 'xml' } }).success).toBe(false);
    expect(createDestinationBodySchema.safeParse({ name: 'x', type: 'amplitude_list', config: { baseUrl: 'https://x', apiKey: SECRET_MASK } }).success).toBe(false);
  });

  it('generates a webhook secret when absent and reports it once', () => {
    const body = createDestinationBodySchema.parse({ name: 'W', type: 'webhook', config: { url: 'https://h.io/x' } });
    const { config, generatedSecret } = prepareDestinationConfig(body);
    expect(generatedSecret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(generatedSecret!.slice(6), 'base64')).toHaveLength(32);
    expect(config.secret).toBe(generatedSecret);
    const shown = presentDestination({ id: 'd', name: 'W', type: 'webhook', config, createdAt: new Date(0), updatedAt: new Date(0) });
    expect(shown.config.secret).toBe(SECRET_MASK);
    expect(JSON.stringify(shown)).not.toContain(generatedSecret!.slice(6));
  });

  it('masks every secret and keeps stored secrets when a patch sends the mask', () => {
    expect(maskSecrets({ apiKey: 'a', accessToken: 'b', secret: 'c', baseUrl: 'u' })).toEqual({
      apiKey: SECRET_MASK,
      accessToken: SECRET_MASK,
      secret: SECRET_MASK,
      baseUrl: 'u',
    });
    const stored = { baseUrl: 'https://a.io', apiKey: 'real', listNamePrefix: '[Kohort]', integrationName: 'n', integrationVersion: '1' };
    const merged = mergeDestinationConfig('amplitude_list', stored, { apiKey: SECRET_MASK, listNamePrefix: '[K2]' });
    expect(merged).toEqual({ ok: true, config: { ...stored, listNamePrefix: '[K2]' } });
    expect(mergeDestinationConfig('amplitude_list', stored, { baseUrl: 'nope' }).ok).toBe(false);
  });

  it('validates sync bodies: frequency, batchSize bounds and default', () => {
    expect(createSyncBodySchema.parse({ cohortId: 'c', destinationId: 'd', frequency: 'hourly' }).batchSize).toBe(1000);
    expect(createSyncBodySchema.safeParse({ cohortId: 'c', destinationId: 'd', frequency: 'weekly' }).success).toBe(false);
    expect(createSyncBodySchema.safeParse({ cohortId: 'c', destinationId: 'd', frequency: 'once', batchSize: 0 }).success).toBe(false);
    expect(createSyncBodySchema.safeParse({ cohortId: 'c', destinationId: 'd', frequency: 'once', batchSize: 10_001 }).success).toBe(false);
    expect(createSyncBodySchema.safeParse({ cohortId: 'c', destinationId: 'd', frequency: 'once', batchSize: 10_000 }).success).toBe(true);
    expect(patchSyncBodySchema.safeParse({}).success).toBe(false);
    expect(patchSyncBodySchema.parse({ paused: true })).toEqual({ paused: true });
  });
});
