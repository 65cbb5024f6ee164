import { useState } from 'react';
import { Alert, Button, Group, Stack, Stepper, Text, Title } from '@mantine/core';
import { CohortBuilder } from '../../../builder/CohortBuilder';
import { useCohort } from '../../../api/cohorts';
import { useCollaborators } from '../../../api/collaborators';
import type { Cohort } from '../../../api/types';
import { QueryState } from '../../../components/QueryState';
import { navigate } from '../../../router';
import { Collaborators } from '../workflow/Collaborators';
import { StepsEditor } from '../workflow/StepsEditor';
import { StaticIdsField, useWizardUpload } from './StaticIdsField';

/**
 * `/cohorts/new` in three steps: 1) the cohort (meta fields and definition, or
 * a static list) — Continue creates it; 2) collaborators; 3) workflow steps.
 * Every step stays mounted while hidden, so Back shows what was entered.
 *
 * Once created, the URL names the cohort and the step
 * (`/cohorts/:id/setup?step=2`): a reload continues the same cohort instead of
 * making a second one. The router renders this same component for both URLs,
 * so moving from one to the other keeps what is on screen.
 */
export function CreateCohortPage({ cohortId, step }: { cohortId?: string; step?: number }) {
  // Started here at /cohorts/new: the URL then only follows this wizard.
  const [startedHere] = useState(!cohortId);
  if (cohortId && !startedHere) return <ResumeWizard cohortId={cohortId} step={step ?? 1} />;
  return <Wizard />;
}

/** After a reload: load the cohort, then go on at the step the URL names. */
function ResumeWizard({ cohortId, step }: { cohortId: string; step: number }) {
  const q = useCohort(cohortId);
  return (
    <QueryState query={q} what="cohort">
      {q.data && <Wizard created={q.data} initialStep={Math.min(Math.max(step, 1), 3) - 1} />}
    </QueryState>
  );
}

function Wizard({ created = null, initialStep = 0 }: { created?: Cohort | null; initialStep?: number }) {
  const [active, setActiveState] = useState(initialStep);
  const [cohort, setCohort] = useState<Cohort | null>(created);
  // The URL follows the step once the cohort exists.
  const setActive = (n: number, id = cohort?.id) => {
    setActiveState(n);
    if (id) navigate(`/cohorts/${id}/setup?step=${n + 1}`, { replace: true, force: true });
  };
  const [ids, setIds] = useState('');
  const upload = useWizardUpload();

  function onSaved(c: Cohort) {
    setCohort(c);
    const list = ids.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    if (c.kind !== 'static' || list.length === 0) return setActive(1, c.id);
    // The cohort exists now: the URL says so even while the upload runs.
    navigate(`/cohorts/${c.id}/setup?step=1`, { replace: true, force: true });
    upload.mutate({ cohortId: c.id, userIds: list }, {
      onSuccess: (r) => {
        setIds('');
        // Lines that were not added stay on screen; Continue again goes on.
        if (r.invalid.length === 0) setActive(1, c.id);
      },
    });
  }

  return (
    <Stack>
      <Title order={2}>New cohort</Title>
      <Stepper active={active} onStepClick={(n) => setActive(n)} size="sm">
        <Stepper.Step label="Cohort" description="Name, tags, who is in it" />
        <Stepper.Step label="Collaborators" description="Who works on it" allowStepSelect={cohort !== null} />
        <Stepper.Step label="Workflow steps" description="The board's columns" allowStepSelect={cohort !== null} />
      </Stepper>
      <div hidden={active !== 0}>
        <CohortBuilder cohort={created ?? undefined} wizard={{
          createdId: cohort?.id ?? null,
          onSaved,
          staticMembers: <StaticIdsField value={ids} onChange={setIds} upload={upload} />,
        }} />
      </div>
      {cohort && (
        <>
          <div hidden={active !== 1}>
            <CollaboratorsStep cohort={cohort} onBack={() => setActive(0)} onNext={() => setActive(2)} />
          </div>
          <div hidden={active !== 2}>
            <WorkflowStep cohort={cohort} onBack={() => setActive(1)} />
          </div>
        </>
      )}
    </Stack>
  );
}

function CollaboratorsStep({ cohort, onBack, onNext }: { cohort: Cohort; onBack: () => void; onNext: () => void }) {
  const invited = useCollaborators(cohort.id);
  const any = (invited.data ?? []).length > 0;
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        Invite people to work on <b>{cohort.name}</b>: editors can change it and move cards on its board; viewers can only look.
      </Text>
      <Collaborators cohortId={cohort.id} ownerId={(cohort as { ownerId?: string | null }).ownerId} canManage />
      <Group>
        <Button variant="default" onClick={onBack}>Back</Button>
        <Button variant={any ? 'filled' : 'default'} onClick={onNext}>{any ? 'Continue' : 'Skip'}</Button>
      </Group>
    </Stack>
  );
}

function WorkflowStep({ cohort, onBack }: { cohort: Cohort; onBack: () => void }) {
  const [secretShown, setSecretShown] = useState(false);
  const open = () => navigate(`/cohorts/${cohort.id}`);
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        Steps are the columns of the cohort&apos;s board, e.g. New → Contacted → Converted. You can add or change them later.
      </Text>
      <StepsEditor cohortId={cohort.id} submitLabel="Finish"
        onSaved={(_steps, shown) => (shown ? setSecretShown(true) : open())}
        extra={<>
          <Button variant="default" onClick={onBack}>Back</Button>
          <Button variant="default" onClick={open}>Skip</Button>
        </>} />
      {secretShown && (
        <Alert color="green" role="status" title="Cohort ready">
          <Group justify="space-between">
            <Text size="sm">Copy the secret above, then open the cohort.</Text>
            <Button onClick={open}>Open the cohort</Button>
          </Group>
        </Alert>
      )}
    </Stack>
  );
}
