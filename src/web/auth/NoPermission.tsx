import type { ReactNode } from 'react';
import { Alert, Stack, Text } from '@mantine/core';
import { Link } from '../router';
import { REASONS, useCan } from './permissions';

/** Said instead of showing a form the principal could fill in but never save. */
export function NoPermission({ action, reason, back }: { action: string; reason: string; back?: { to: string; label: string } }) {
  return (
    <Alert color="yellow" title={`You don't have permission to ${action}`}>
      <Stack gap={4}>
        <Text size="sm">{reason}</Text>
        {back && <Text size="sm"><Link to={back.to}>{back.label}</Link></Text>}
      </Stack>
    </Alert>
  );
}

/** Pages that only create things (a new cohort): members and up. */
export function RequireWrite({ action, children }: { action: string; children: ReactNode }) {
  const { canWrite } = useCan();
  if (!canWrite) return <NoPermission action={action} reason={REASONS.write} back={{ to: '/cohorts', label: 'Back to cohorts' }} />;
  return <>{children}</>;
}
