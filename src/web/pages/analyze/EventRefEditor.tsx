import { Paper, Stack } from '@mantine/core';
import type { EventRef } from '../../api/analytics';
import { EventPicker } from '../../builder/EventPicker';
import { FilterListEditor } from '../../builder/FilterListEditor';
import type { EventCatalog } from '../../builder/useEventCatalog';

/** An event and its where-filters, with the builder's own editors. */
export function EventRefEditor({ value, onChange, catalog, label }: { value: EventRef; onChange: (v: EventRef) => void; catalog: EventCatalog; label: string }) {
  return (
    <Paper withBorder p="sm" radius="md" role="group" aria-label={label}>
      <Stack gap="xs">
        <EventPicker label={label} value={value.event} onChange={(event) => onChange({ ...value, event })} catalog={catalog} />
        <FilterListEditor
          where={value.where}
          whereMatch={value.whereMatch}
          path={[]}
          event={value.event}
          properties={catalog.propertiesOf(value.event)}
          onChange={(where, whereMatch) => {
            const { where: _w, whereMatch: _m, ...rest } = value;
            onChange({ ...rest, ...(where ? { where } : {}), ...(whereMatch ? { whereMatch } : {}) });
          }}
        />
      </Stack>
    </Paper>
  );
}
