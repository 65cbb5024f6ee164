import { useEffect, useMemo, useState } from 'react';
import { useDebouncedValue } from '@mantine/hooks';
import { Button, Group, Paper, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useCohortOptions } from '../../api/cohorts';
import { useContacts } from '../../api/contacts';
import { num } from '../../components/format';
import { QueryState } from '../../components/QueryState';
import { Guard } from '../../auth/Guard';
import { REASONS, useCan } from '../../auth/permissions';
import { useLocation } from '../../router';
import { AddToCohortModal } from './AddToCohortModal';
import { appliedFilters, ContactFilters, type FilterDraft } from './ContactFilters';
import { ContactsTable } from './ContactsTable';

/** The people directory: search, trait filters, cohort scope, bulk "add to cohort". */
export function ContactsPage() {
  const { search: params } = useLocation();
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search, 250);
  const [drafts, setDrafts] = useState<FilterDraft[]>([]);
  const [cohortId, setCohortId] = useState<string | null>(params.get('cohortId'));
  const [stepId, setStepId] = useState<string | null>(params.get('stepId'));
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [adding, setAdding] = useState(false);
  const { canWrite } = useCan();

  const filters = appliedFilters(drafts);
  const filtersKey = JSON.stringify(filters);
  const contacts = useContacts({ q: debounced, filters, cohortId: cohortId ?? undefined, stepId: stepId ?? undefined });
  const cohorts = useCohortOptions();
  const rows = useMemo(() => contacts.data?.pages.flatMap((p) => p.items) ?? [], [contacts.data]);
  const total = contacts.data?.pages[0]?.total;
  // Property names and (short, scalar) values on screen, as filter suggestions.
  const seen = useMemo(() => {
    const m = new Map<string, Set<string>>();
    for (const r of rows) {
      for (const [k, v] of Object.entries(r.properties)) {
        const values = m.get(k) ?? new Set<string>();
        if ((typeof v === 'string' && v.length <= 80) || typeof v === 'number' || typeof v === 'boolean') values.add(String(v));
        m.set(k, values);
      }
    }
    return m;
  }, [rows]);
  // Cohorts with a workflow board carry their steps.
  const steps = cohorts.data?.items.find((c) => c.id === cohortId)?.steps ?? [];

  // A new question is a new list: a selection made on the old one would act on rows no longer shown.
  useEffect(() => setSelected(new Set()), [debounced, filtersKey, cohortId, stepId]);

  const toggle = (userId: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (!next.delete(userId)) next.add(userId);
      return next;
    });
  const toggleAll = (on: boolean) => setSelected(on ? new Set(rows.map((r) => r.userId)) : new Set());

  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <Title order={2}>Contacts</Title>
        {total !== undefined && <Text size="sm" c="dimmed" data-testid="contacts-total">{num(total)} contact{total === 1 ? '' : 's'}</Text>}
      </Group>
      <Paper withBorder p="md" radius="md">
        <Stack gap="sm">
          <Group align="flex-end" wrap="wrap">
            <TextInput label="Search" aria-label="Search contacts" placeholder="User id or any property value"
              value={search} onChange={(e) => setSearch(e.currentTarget.value)} w={{ base: '100%', sm: 320 }} />
            <Select label="In cohort" placeholder="Any cohort" clearable searchable w={{ base: '100%', sm: 240 }}
              data={(cohorts.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))}
              value={cohortId} onChange={(v) => { setCohortId(v); setStepId(null); }} />
            {steps.length > 0 && (
              <Select label="Step" placeholder="Any step" clearable w={{ base: '100%', sm: 200 }}
                data={steps.map((s) => ({ value: s.id, label: s.name }))} value={stepId} onChange={setStepId} />
            )}
          </Group>
          <ContactFilters drafts={drafts} onChange={setDrafts} seen={seen} />
        </Stack>
      </Paper>

      <Group justify="space-between">
        <Text size="sm" aria-live="polite">{selected.size ? `${num(selected.size)} selected` : canWrite ? 'Select contacts to add them to a cohort.' : ''}</Text>
        <Guard allowed={canWrite} reason={REASONS.write}>
          <Button disabled={selected.size === 0} onClick={() => setAdding(true)}>Add to cohort</Button>
        </Guard>
      </Group>

      <QueryState query={contacts} what="contacts">
        {rows.length === 0 ? (
          <Text c="dimmed">{debounced.trim() || filters.length || cohortId ? 'No contact matches.' : 'No contacts yet: they appear with their first event or identify call.'}</Text>
        ) : (
          <ContactsTable contacts={rows} selected={selected} onToggle={toggle} onToggleAll={toggleAll} />
        )}
        <Group justify="space-between">
          <Text size="xs" c="dimmed">{num(rows.length)}{total !== undefined ? ` of ${num(total)}` : ''} loaded</Text>
          {contacts.hasNextPage && (
            <Button size="xs" variant="default" onClick={() => contacts.fetchNextPage()} loading={contacts.isFetchingNextPage}>Load more</Button>
          )}
        </Group>
      </QueryState>

      <AddToCohortModal opened={adding} userIds={[...selected]} onClose={() => setAdding(false)} />
    </Stack>
  );
}
