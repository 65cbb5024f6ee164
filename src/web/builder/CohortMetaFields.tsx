import { Group, Select, TagsInput, TextInput, Textarea } from '@mantine/core';
import type { CohortStatus, Refresh } from '../api/types';

export interface CohortMeta {
  name: string;
  description: string;
  tags: string[];
  status: CohortStatus;
  refresh: Refresh;
}

export function CohortMetaFields({ value, onChange, errors }: {
  value: CohortMeta;
  onChange: (m: CohortMeta) => void;
  errors: Partial<Record<keyof CohortMeta, string>>;
}) {
  const set = (patch: Partial<CohortMeta>) => onChange({ ...value, ...patch });
  return (
    <>
      <Group align="flex-start" gap="sm" wrap="wrap">
        <TextInput label="Name" aria-label="Cohort name" required value={value.name} error={errors.name}
          onChange={(e) => set({ name: e.currentTarget.value })} w={{ base: '100%', sm: 320 }} />
        <Select label="Status" aria-label="Cohort status" data={['draft', 'active', 'archived']} value={value.status}
          allowDeselect={false} error={errors.status} onChange={(v) => set({ status: (v ?? 'active') as CohortStatus })} w={130} />
        <Select label="Recompute" aria-label="Recompute schedule" allowDeselect={false} error={errors.refresh} w={140}
          data={[{ value: 'manual', label: 'manually' }, { value: 'hourly', label: 'hourly' }, { value: 'daily', label: 'daily' }]}
          value={value.refresh} onChange={(v) => set({ refresh: (v ?? 'manual') as Refresh })} />
        <TagsInput label="Tags" aria-label="Tags" placeholder="Type and press Enter" value={value.tags} error={errors.tags}
          onChange={(tags) => set({ tags })} w={{ base: '100%', sm: 260 }} />
      </Group>
      <Textarea label="Description" aria-label="Description" autosize minRows={1} maxRows={4} value={value.description}
        error={errors.description} onChange={(e) => set({ description: e.currentTarget.value })} />
    </>
  );
}
