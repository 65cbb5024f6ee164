import { ActionIcon, Group, Select, TextInput, Tooltip } from '@mantine/core';
import type { CohortListParams } from '../../api/cohorts';

const SORTS = [
  { value: 'updatedAt', label: 'Last updated' },
  { value: 'createdAt', label: 'Created' },
  { value: 'name', label: 'Name' },
  { value: 'size', label: 'Size' },
];

export function CohortFilters({
  value,
  onChange,
}: {
  value: CohortListParams;
  onChange: (next: CohortListParams) => void;
}) {
  const set = (patch: Partial<CohortListParams>) => onChange({ ...value, ...patch });
  return (
    <Group align="flex-end" gap="sm" wrap="wrap" role="search" aria-label="Filter cohorts">
      <TextInput
        label="Name"
        aria-label="Filter by name"
        placeholder="Search names"
        value={value.q ?? ''}
        onChange={(e) => set({ q: e.currentTarget.value })}
        w={{ base: '100%', xs: 170 }}
      />
      <Select
        label="Status"
        aria-label="Filter by status"
        placeholder="Any"
        clearable
        data={['draft', 'active', 'archived']}
        value={value.status ?? null}
        onChange={(v) => set({ status: v ?? undefined })}
        w={130}
      />
      <TextInput
        label="Tag"
        aria-label="Filter by tag"
        placeholder="Any tag"
        value={value.tag ?? ''}
        onChange={(e) => set({ tag: e.currentTarget.value })}
        w={120}
      />
      <TextInput
        type="date"
        label="Created from"
        aria-label="Created from"
        value={value.createdFrom ?? ''}
        onChange={(e) => set({ createdFrom: e.currentTarget.value || undefined })}
        w={150}
      />
      <TextInput
        type="date"
        label="Created to"
        aria-label="Created to"
        value={value.createdTo ?? ''}
        onChange={(e) => set({ createdTo: e.currentTarget.value || undefined })}
        w={150}
      />
      <Group gap={4} align="flex-end" wrap="nowrap">
        <Select
          label="Sort by"
          aria-label="Sort by"
          data={SORTS}
          value={value.sort ?? 'updatedAt'}
          onChange={(v) => set({ sort: (v ?? 'updatedAt') as CohortListParams['sort'] })}
          allowDeselect={false}
          w={150}
        />
        <Tooltip label={value.order === 'asc' ? 'Ascending' : 'Descending'}>
          <ActionIcon
            variant="default"
            size="lg"
            mb={1}
            aria-label={value.order === 'asc' ? 'Sort ascending (switch to descending)' : 'Sort descending (switch to ascending)'}
            onClick={() => set({ order: value.order === 'asc' ? 'desc' : 'asc' })}
          >
            {value.order === 'asc' ? '↑' : '↓'}
          </ActionIcon>
        </Tooltip>
      </Group>
    </Group>
  );
}
