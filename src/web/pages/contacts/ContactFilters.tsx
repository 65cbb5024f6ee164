import { ActionIcon, Autocomplete, Button, Group, Select, Stack, Text } from '@mantine/core';
import { filterSchema } from '../../../schemas/definition';
import type { Filter, Op } from '../../api/definition';
import { FILTER_OPS } from '../../builder/labels';
import { patched, valueForOp } from '../../builder/patch';
import { useTraitNames, useValueSuggestions } from '../../builder/useEventCatalog';
import { ValueInput } from '../../builder/ValueInput';

/** A filter row being edited: possibly incomplete, keyed for React. */
export interface FilterDraft {
  key: number;
  filter: Filter;
}

/** Why a row is not applied yet, or null when it is a valid property filter. */
export function draftProblem(d: FilterDraft): string | null {
  if (!d.filter.property.trim()) return 'Name a property to apply this filter.';
  const r = filterSchema.safeParse(d.filter);
  return r.success ? null : r.error.issues[0]!.message;
}

/** The filters the server gets: only complete, valid rows (the others show why they wait). */
export const appliedFilters = (drafts: FilterDraft[]): Filter[] => drafts.filter((d) => draftProblem(d) === null).map((d) => d.filter);

let nextKey = 1;
export const newDraft = (): FilterDraft => ({ key: nextKey++, filter: { property: '', op: 'eq', value: '' } });

/** Values of a trait: the most frequent ones people have now, narrowed by what is typed, then those seen on screen. */
function TraitValueInput({ f, label, seen, onChange }: {
  f: Filter; label: string; seen: Map<string, Set<string>>; onChange: (f: Filter) => void;
}) {
  const served = useValueSuggestions(null, f.property, typeof f.value === 'string' ? f.value : '');
  const suggestions = [...new Set([...served, ...[...(seen.get(f.property) ?? [])].sort()])].slice(0, 50);
  return <ValueInput op={f.op} value={f.value} type={undefined} suggestions={suggestions} label={label}
    onChange={(value) => onChange(patched(f, { value }))} />;
}

/**
 * User property (trait) filters, with the cohort builder's operators and value
 * inputs. Trait names and values are suggested from the server's trait
 * catalog, plus what the contacts on screen hold (`seen`: values by property name).
 */
export function ContactFilters({ drafts, onChange, seen }: {
  drafts: FilterDraft[];
  onChange: (d: FilterDraft[]) => void;
  seen: Map<string, Set<string>>;
}) {
  const set = (key: number, filter: Filter) => onChange(drafts.map((d) => (d.key === key ? { key, filter } : d)));
  const traits = useTraitNames();
  const names = [...new Set([...traits.map((t) => t.name), ...[...seen.keys()].sort()])];
  return (
    <Stack gap="xs">
      {drafts.map((d, i) => {
        const f = d.filter;
        const label = f.property || `filter ${i + 1}`;
        const problem = draftProblem(d);
        return (
          <Stack key={d.key} gap={2} role="group" aria-label={`Property filter ${i + 1}`}>
            <Group gap="xs" align="flex-start" wrap="wrap">
              <Autocomplete label="Property" aria-label={`Property of filter ${i + 1}`} placeholder="e.g. plan" value={f.property}
                data={names} onChange={(property) => set(d.key, { ...f, property })} w={{ base: '100%', sm: 180 }} />
              <Select label="Operator" aria-label={`Operator of filter ${i + 1}`} data={FILTER_OPS} value={f.op} allowDeselect={false} w={150}
                onChange={(v) => v && set(d.key, patched(f, { op: v as Op, value: valueForOp(v as Op, f.value) }))} />
              <TraitValueInput f={f} label={`Value of ${label}`} seen={seen} onChange={(nf) => set(d.key, nf)} />
              <ActionIcon variant="subtle" color="gray" mt={26} aria-label={`Remove filter ${i + 1}`}
                onClick={() => onChange(drafts.filter((x) => x.key !== d.key))}>✕</ActionIcon>
            </Group>
            {problem && <Text size="xs" c="dimmed">Not applied: {problem}</Text>}
          </Stack>
        );
      })}
      <Group>
        <Button size="xs" variant="light" onClick={() => onChange([...drafts, newDraft()])}>+ Property filter</Button>
      </Group>
    </Stack>
  );
}
