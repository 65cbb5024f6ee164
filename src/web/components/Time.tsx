import { Tooltip } from '@mantine/core';
import { dateTime, fromNow } from './format';

/** A relative time with the exact local time on hover and for screen readers. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span>never</span>;
  return (
    <Tooltip label={dateTime(iso)}>
      <time dateTime={iso} title={dateTime(iso)}>{fromNow(iso)}</time>
    </Tooltip>
  );
}
