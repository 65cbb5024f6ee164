import { useState } from 'react';
import { Paper, Tabs } from '@mantine/core';
import type { Cohort } from '../../../api/types';
import { ActionLog } from './ActionLog';
import { Board } from './Board';
import { Collaborators } from './Collaborators';
import { StepsEditor } from './StepsEditor';
import { teamFields, useCohortAccess } from './access';

/** The cohort page's workflow part: board, steps, collaborators and the action log. */
export function CohortWorkflow({ cohort }: { cohort: Cohort }) {
  const access = useCohortAccess(cohort);
  const team = teamFields(cohort);
  const hasSteps = (team.steps ?? []).length > 0;
  // Until a tab is picked, the board when there is one (the cohort may gain steps while the page is open).
  const [picked, setTab] = useState<string | null>(null);
  const tab = picked ?? (hasSteps ? 'board' : 'steps');
  return (
    <Paper withBorder p="md" radius="md">
      {/* Panels stay mounted once opened (hidden, effects paused), so unsaved step edits survive a look at the board. */}
      <Tabs value={tab} onChange={setTab}>
        <Tabs.List mb="md">
          <Tabs.Tab value="board">Board</Tabs.Tab>
          <Tabs.Tab value="steps">Steps</Tabs.Tab>
          <Tabs.Tab value="collaborators">Collaborators</Tabs.Tab>
          <Tabs.Tab value="actions">Action log</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="board"><Board cohortId={cohort.id} canEdit={access.edit} /></Tabs.Panel>
        <Tabs.Panel value="steps"><StepsEditor cohortId={cohort.id} readOnly={!access.edit} /></Tabs.Panel>
        <Tabs.Panel value="collaborators">
          <Collaborators cohortId={cohort.id} ownerId={team.ownerId} canManage={access.manage} />
        </Tabs.Panel>
        <Tabs.Panel value="actions"><ActionLog cohortId={cohort.id} /></Tabs.Panel>
      </Tabs>
    </Paper>
  );
}
