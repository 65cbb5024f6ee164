import { useState } from 'react';
import { Alert, Button, Group, Select } from '@mantine/core';
import type { Definition } from '../api/definition';
import { errorMessage } from '../api/errors';
import { useExplainDefinition } from '../api/insight';
import { ExplainView } from '../components/ExplainView';

/** "Why is this user in?" for a user of the preview's sample, against the definition being edited. */
export function WhyInPanel({ definition, sample }: { definition: Definition; sample: string[] }) {
  const [userId, setUserId] = useState<string | null>(sample[0] ?? null);
  const explain = useExplainDefinition();
  // The answer belongs to the definition it was asked about.
  const [askedFor, setAskedFor] = useState<Definition | null>(null);
  if (sample.length === 0) return null;
  return (
    <>
      <Group gap="xs" align="flex-end">
        <Select label="Why is this user in?" aria-label="User to explain" data={sample} value={userId} onChange={setUserId} searchable w={220} />
        <Button variant="light" disabled={!userId} loading={explain.isPending}
          onClick={() => { setAskedFor(definition); explain.mutate({ definition, userId: userId! }); }}>
          Explain
        </Button>
      </Group>
      {explain.isError && <Alert color="red" role="alert" title="Could not explain">{errorMessage(explain.error)}</Alert>}
      {explain.data && askedFor && <ExplainView explanation={explain.data} rules={askedFor.rules} match={askedFor.match} />}
    </>
  );
}
