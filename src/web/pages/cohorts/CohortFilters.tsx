import { Autocomplete, Button, Checkbox, Group, Select, TextInput } from '@mantine/core';
import { useMemo } from 'react';
import { useCohortOptions } from '../../api/cohorts';
import { hasFilters, naturalOrder, type ListState, type SortKey } from './list-params';

const SORTS = [
  { value: 'updatedAt', label: 'Last updated' },
  { value: 'createdAt', label: 'Created' },
  { value: 'name', label: 'Name' },
  { value: 'size', label: 'Size' },
];

/** Tags in use, in any case once (the filter matches any case), for the tag field's suggestions. */
function useTagSuggestions(): string[] {
  const q = useCohortOptions();
  return useMemo(() => {
    const byLower = new Map<string, string>();
    for (const c of q.data?.items ?? []) for (const t of c.tags) if (!byLower.has(t.toLowerCase())) byLower.set(t.toLowerCase(), t);
    return [...byLower.values()].sort((a, b) => a.localeCompare(b));
  }, [q.data]);
}

export function CohortFilters({ value, onChange }: { value: ListState; onChange: (next: ListState) => void }) {
  const set = (patch: Partial<ListState>) => onChange({ ...value, ...patch });
  const tags = useTagSuggestions();
  return (
    <Group align="flex-end" gap="sm" wrap="wrap" role="search" aria-label="Filter cohorts">
      <TextInput label="Name" aria-label="Filter by name" placeholder="Search names" value={value.q}
        onChange={(e) => set({ q: e.currentTarget.value })} w={{ base: '100%', xs: 170 }} />
      <Select label="Status" aria-label="Filter by status" placeholder="Any" clearable data={['draft', 'active', 'archived']}
        value={value.status || null} onChange={(v) => set({ status: v ?? '' })} w={{ base: 'calc(50% - 6px)', xs: 130 }} />
      <Autocomplete label="Tag" aria-label="Filter by tag" placeholder="Any tag" data={tags} value={value.tag}
        onChange={(tag) => set({ tag })} w={{ base: 'calc(50% - 6px)', xs: 140 }} />
      <TextInput type="date" label="Created from" aria-label="Created from" value={value.createdFrom}
        onChange={(e) => set({ createdFrom: e.currentTarget.value })} w={{ base: 'calc(50% - 6px)', xs: 150 }} />
      <TextInput type="date" label="Created to" aria-label="Created to" value={value.createdTo}
        onChange={(e) => set({ createdTo: e.currentTarget.value })} w={{ base: 'calc(50% - 6px)', xs: 150 }} />
      <Select label="Sort by" aria-label="Sort by" data={SORTS} value={value.sort} allowDeselect={false} w={{ base: 'calc(50% - 6px)', xs: 150 }}
        onChange={(v) => { const sort = (v ?? 'updatedAt') as SortKey; set({ sort, order: naturalOrder(sort) }); }} />
      <Button variant="default" aria-label={value.order === 'asc' ? 'Sort ascending (switch to descending)' : 'Sort descending (switch to ascending)'}
        onClick={() => set({ order: value.order === 'asc' ? 'desc' : 'asc' })}>
        {value.order === 'asc' ? (value.sort === 'name' ? 'A → Z' : '↑ Oldest / smallest first') : (value.sort === 'name' ? 'Z → A' : '↓ Newest / largest first')}
      </Button>
      <Checkbox label="Show archived" checked={value.showArchived} onChange={(e) => set({ showArchived: e.currentTarget.checked })} mb={8} />
      {hasFilters(value) && (
        <Button variant="subtle" onClick={() => onChange({ ...value, q: '', status: '', tag: '', createdFrom: '', createdTo: '', showArchived: false })}>
          Clear filters
        </Button>
      )}
    </Group>
  );
}
