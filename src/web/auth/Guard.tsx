import { cloneElement, type ReactElement } from 'react';
import { Tooltip } from '@mantine/core';

/**
 * Shows a control disabled, with the reason in a tooltip, when the principal
 * may not use it. A disabled button gets no pointer or focus events, so the
 * tooltip hangs on a focusable wrapper that names the reason for screen readers.
 */
export function Guard({ allowed, reason, children }: { allowed: boolean; reason: string; children: ReactElement<{ disabled?: boolean }> }) {
  if (allowed) return children;
  return (
    <Tooltip label={reason} multiline maw={280} withArrow>
      <span tabIndex={0} aria-label={reason} style={{ display: 'inline-block', cursor: 'not-allowed' }}>
        {cloneElement(children, { disabled: true })}
      </span>
    </Tooltip>
  );
}
