import { Badge, Checkbox, Group, Table, Text } from '@mantine/core';
import type { Contact } from '../../api/contacts';
import { num } from '../../components/format';
import { Time } from '../../components/Time';
import { traitText } from '../users/trait-text';
import { Link, linkProps } from '../../router';

const SHOWN_PROPERTIES = 3;

const propertyText = (v: unknown) => traitText(v, 40);

function Properties({ properties }: { properties: Record<string, unknown> }) {
  const entries = Object.entries(properties);
  if (!entries.length) return <Text size="xs" c="dimmed">none</Text>;
  const rest = entries.length - SHOWN_PROPERTIES;
  return (
    <Text size="xs">
      {entries.slice(0, SHOWN_PROPERTIES).map(([k, v], i) => (
        <span key={k}>{i > 0 && ', '}<Text span c="dimmed" size="xs">{k}:</Text> {propertyText(v)}</span>
      ))}
      {rest > 0 && <Text span c="dimmed" size="xs"> +{rest} more</Text>}
    </Text>
  );
}

function Cohorts({ cohorts }: { cohorts: Contact['cohorts'] }) {
  if (!cohorts.length) return <Text size="xs" c="dimmed">none</Text>;
  return (
    <Group gap={6}>
      {cohorts.map((c) => (
        <Group key={c.id} gap={2} wrap="nowrap">
          <Badge variant="light" tt="none" size="sm" style={{ cursor: 'pointer' }} {...linkProps(`/cohorts/${c.id}`)}>{c.name}</Badge>
          {c.stepName && (
            <Badge variant="outline" color="grape" tt="none" size="sm" title={`Workflow step in ${c.name}`}>{c.stepName}</Badge>
          )}
        </Group>
      ))}
    </Group>
  );
}

/** One row per contact, with a checkbox for bulk actions. */
export function ContactsTable({ contacts, selected, onToggle, onToggleAll }: {
  contacts: Contact[];
  selected: Set<string>;
  onToggle: (userId: string) => void;
  onToggleAll: (select: boolean) => void;
}) {
  const chosen = contacts.filter((c) => selected.has(c.userId)).length;
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table aria-label="Contacts" striped highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={40}>
              <Checkbox aria-label="Select all loaded contacts" checked={contacts.length > 0 && chosen === contacts.length}
                indeterminate={chosen > 0 && chosen < contacts.length} onChange={(e) => onToggleAll(e.currentTarget.checked)} />
            </Table.Th>
            <Table.Th>User id</Table.Th>
            <Table.Th>Properties</Table.Th>
            <Table.Th>Last seen</Table.Th>
            <Table.Th ta="right">Events</Table.Th>
            <Table.Th>Cohorts</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {contacts.map((c) => (
            <Table.Tr key={c.userId}>
              <Table.Td>
                <Checkbox aria-label={`Select ${c.userId}`} checked={selected.has(c.userId)} onChange={() => onToggle(c.userId)} />
              </Table.Td>
              <Table.Td><Link to={`/users/${encodeURIComponent(c.userId)}`}>{c.userId}</Link></Table.Td>
              <Table.Td><Properties properties={c.properties} /></Table.Td>
              <Table.Td><Text size="sm"><Time iso={c.lastSeen} /></Text></Table.Td>
              <Table.Td ta="right">{num(c.eventCount)}</Table.Td>
              <Table.Td><Cohorts cohorts={c.cohorts} /></Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
