import { Tooltip } from '@mantine/core';
import { absoluteTime, relativeTime } from './time-format';

/**
 * A time, the one way pages show one (components/time-format.ts): relative
 * ("3 minutes ago") with the exact local time and zone on hover and for screen
 * readers, or with `absolute` the exact time shown and the relative one on hover.
 * `empty` is what a missing time reads as (default "never").
 */
export function Time({ iso, absolute = false, empty = 'never' }: { iso: string | null | undefined; absolute?: boolean; empty?: string }) {
  if (!iso) return <span>{empty}</span>;
  const exact = absoluteTime(iso);
  const ago = relativeTime(iso);
  return (
    <Tooltip label={absolute ? ago : exact}>
      <time dateTime={iso} title={exact} style={absolute ? { whiteSpace: 'nowrap' } : undefined}>{absolute ? exact : ago}</time>
    </Tooltip>
  );
}
