import { Autocomplete, Text } from '@mantine/core';
import type { EventCatalog } from './useEventCatalog';

/** Event name input: predefined events first, then custom ones; any name may be typed. */
export function EventPicker({
  value,
  onChange,
  catalog,
  error,
  label = 'Event',
}: {
  value: string;
  onChange: (v: string) => void;
  catalog: EventCatalog;
  error?: string;
  label?: string;
}) {
  const unknown = catalog.unknownEvent(value);
  return (
    <Autocomplete
      label={label}
      aria-label={label}
      placeholder="Choose or type an event"
      data={catalog.groups}
      value={value}
      onChange={onChange}
      error={error}
      description={unknown ? <Text component="span" size="xs" c="orange.8" role="status">⚠ {unknown}</Text> : value ? catalog.describe(value) : undefined}
      w={{ base: '100%', sm: 260 }}
      maxDropdownHeight={280}
      renderOption={({ option }) => (
        <div>
          <Text size="sm">{option.value}</Text>
          {catalog.describe(option.value) && <Text size="xs" c="dimmed">{catalog.describe(option.value)}</Text>}
        </div>
      )}
      comboboxProps={{ withinPortal: true }}
    />
  );
}
