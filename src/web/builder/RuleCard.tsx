import type { ReactNode } from 'react';
import { ActionIcon, Group, List, Paper, Stack, Text } from '@mantine/core';
import { useIssuesUnder, type Path } from './issues';

/** The frame of one condition: title, remove button, and any issue no field claims. */
export function RuleCard({
  title,
  path,
  claimed,
  onRemove,
  children,
  extra,
}: {
  title: string;
  path: Path;
  claimed: string[];
  onRemove?: () => void;
  children: ReactNode;
  extra?: ReactNode;
}) {
  const stray = useIssuesUnder(path, claimed);
  return (
    <Paper withBorder p="sm" radius="md" role="group" aria-label={title}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap">
          <Text size="sm" fw={600}>{title}</Text>
          <Group gap={4} wrap="nowrap">
            {extra}
            {onRemove && (
              <ActionIcon variant="subtle" color="gray" onClick={onRemove} aria-label={`Remove condition: ${title}`}>✕</ActionIcon>
            )}
          </Group>
        </Group>
        {stray.length > 0 && (
          <List size="sm" c="red" role="alert">
            {stray.map((m) => <List.Item key={m}>{m}</List.Item>)}
          </List>
        )}
        {children}
      </Stack>
    </Paper>
  );
}

export const EVENT_FIELDS = ['event', 'where', 'whereMatch', 'count', 'countBy', 'aggregate', 'window', 'negate', 'type'];
