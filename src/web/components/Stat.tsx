import type { ReactNode } from 'react';
import { Text } from '@mantine/core';

/** A small labelled figure: "SIZE 1,234". */
export function Stat({ label, children, size = 'lg' }: { label: string; children: ReactNode; size?: 'sm' | 'lg' }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>{label}</Text>
      <Text component="div" size={size} fw={size === 'lg' ? 600 : undefined}>{children}</Text>
    </div>
  );
}
