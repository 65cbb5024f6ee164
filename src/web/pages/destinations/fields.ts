import type { DestinationType } from '../../api/types';

export interface FieldSpec {
  key: string;
  label: string;
  kind: 'text' | 'secret' | 'select';
  required?: boolean;
  options?: { value: string; label: string }[];
  placeholder?: string;
  description?: string;
  /** Why a typed value cannot be right (checked as it is typed), or null. */
  check?: (value: string) => string | null;
}

const integration: FieldSpec[] = [
  { key: 'integrationName', label: 'Integration name', kind: 'text', placeholder: 'Kohort Cohort Sync' },
  { key: 'integrationVersion', label: 'Integration version', kind: 'text', placeholder: '1.0.0' },
];

/** The config form of each destination type (shared/spec/sync-protocols.md). */
export const DESTINATION_FORMS: Record<DestinationType, { label: string; fields: FieldSpec[] }> = {
  webhook: {
    label: 'Webhook (signed)',
    fields: [
      { key: 'url', label: 'URL', kind: 'text', required: true, placeholder: 'https://example.com/hooks/kohort' },
      { key: 'secret', label: 'Signing secret', kind: 'secret', placeholder: 'whsec_…',
        description: 'Standard Webhooks secret. Leave empty on creation to have one generated (shown once).' },
    ],
  },
  amplitude_list: {
    label: 'List-based partner (Amplitude lists)',
    fields: [
      { key: 'baseUrl', label: 'Base URL', kind: 'text', required: true, placeholder: 'https://partner.example.com/api' },
      { key: 'apiKey', label: 'API key', kind: 'secret', required: true },
      { key: 'listNamePrefix', label: 'List name prefix', kind: 'text', placeholder: '[Kohort]' },
      ...integration,
    ],
  },
  amplitude_property: {
    label: 'Property-based partner (identify traits)',
    fields: [
      { key: 'baseUrl', label: 'Base URL', kind: 'text', required: true, placeholder: 'https://partner.example.com/api' },
      { key: 'path', label: 'Path', kind: 'text', placeholder: '/identify' },
      { key: 'apiKey', label: 'API key', kind: 'secret', required: true },
      { key: 'traitPrefix', label: 'Trait prefix', kind: 'text', placeholder: '[Kohort]' },
      ...integration,
    ],
  },
  meta_custom_audience: {
    label: 'Meta Ads Custom Audience',
    fields: [
      { key: 'accessToken', label: 'Access token', kind: 'secret', required: true, placeholder: 'EAAB…',
        description: 'A system user token from Meta Business Settings → Users → System users → Generate new token, with the ads_management permission on this ad account. It is never shown again after saving.' },
      { key: 'adAccountId', label: 'Ad account id', kind: 'text', required: true, placeholder: '1234567890 or act_1234567890',
        description: 'In Ads Manager, the number after "act=" in the address, or under the account name in the account menu.',
        check: (v) => (/^(act_)?\d+$/.test(v.trim()) ? null : 'An ad account id is a number, optionally starting with act_ (e.g. act_1234567890)') },
      { key: 'audienceId', label: 'Audience id', kind: 'text', description: 'Leave empty to create an audience on the first run.',
        check: (v) => (/^\d+$/.test(v.trim()) ? null : 'An audience id is a number (Audiences in Ads Manager, column "Audience ID")') },
      { key: 'identifier', label: 'Identifier', kind: 'select', required: true,
        options: [{ value: 'email', label: 'Email' }, { value: 'phone', label: 'Phone' }, { value: 'external_id', label: 'External id (user id)' }] },
      { key: 'property', label: 'User property holding the identifier', kind: 'text', description: 'Default: email / phone.' },
      { key: 'apiBaseUrl', label: 'API base URL', kind: 'text', placeholder: 'https://graph.facebook.com' },
      { key: 'apiVersion', label: 'API version', kind: 'text', placeholder: 'v21.0' },
    ],
  },
  file: {
    label: 'Files (CSV / NDJSON)',
    fields: [
      { key: 'directory', label: 'Directory on the server', kind: 'text', required: true, placeholder: '/var/lib/kohort/exports' },
      { key: 'format', label: 'Format', kind: 'select', required: true,
        options: [{ value: 'csv', label: 'CSV' }, { value: 'ndjson', label: 'NDJSON' }] },
    ],
  },
};

export const TYPE_OPTIONS = (Object.keys(DESTINATION_FORMS) as DestinationType[]).map((t) => ({
  value: t,
  label: DESTINATION_FORMS[t].label,
}));

/** A short, non-secret summary of where a destination sends. */
export function summarize(type: DestinationType, config: Record<string, unknown>): string {
  const c = config as Record<string, string | undefined>;
  switch (type) {
    case 'webhook': return c.url ?? '';
    case 'amplitude_list':
    case 'amplitude_property': return c.baseUrl ?? '';
    case 'meta_custom_audience': return `act_${c.adAccountId ?? '?'} · ${c.identifier ?? ''}`;
    case 'file': return `${c.directory ?? ''} (${c.format ?? ''})`;
  }
}
