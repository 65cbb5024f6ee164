import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { ActionIcon, Alert, Badge, Button, Code, CopyButton, Group, Paper, Select, Stack, Text, TextInput } from '@mantine/core';
import { ApiError, errorMessage } from '../../../api/errors';
import { useSaveSteps, useSteps, type Step } from '../../../api/workflows';
import { QueryState } from '../../../components/QueryState';
import { ActionFields, ACTION_TYPES, actionLabel } from './ActionFields';
import { draftIssues, MAX_STEPS, moveItem, newDraft, newSecrets, toDraft, toInput, type DraftStep } from './steps-draft';

interface Props {
  cohortId: string;
  readOnly?: boolean;
  submitLabel?: string;
  /** Called after a save; `shownSecrets` says a generated secret is on screen and must stay there. */
  onSaved?: (steps: Step[], shownSecrets: boolean) => void;
  /** More buttons beside Save (the creation wizard's Back and Skip). */
  extra?: ReactNode;
}

/** The cohort's ordered workflow steps, each with an optional action that runs when a card reaches it. */
export function StepsEditor(props: Props) {
  const q = useSteps(props.cohortId);
  return (
    <QueryState query={q} what="steps">
      {q.data && (props.readOnly ? <StepsSummary steps={q.data} /> : <Editor {...props} saved={q.data} />)}
    </QueryState>
  );
}

function StepsSummary({ steps }: { steps: Step[] }) {
  if (steps.length === 0) return <Text size="sm" c="dimmed">This cohort has no workflow steps.</Text>;
  return (
    <Stack gap={6} component="ol" aria-label="Workflow steps" p={0} m={0} style={{ listStyle: 'none' }}>
      {steps.map((s, i) => (
        <Group key={s.id} gap="xs" component="li">
          <Text fw={500}>{i + 1}. {s.name}</Text>
          <Badge variant="light" color="gray">{actionLabel(s.action)}</Badge>
          <Text size="sm" c="dimmed">{s.cardCount} cards</Text>
        </Group>
      ))}
    </Stack>
  );
}

function Editor({ cohortId, saved, submitLabel = 'Save steps', onSaved, extra }: Props & { saved: Step[] }) {
  const save = useSaveSteps(cohortId);
  const [drafts, setDrafts] = useState<DraftStep[]>(() => saved.map(toDraft));
  const [baseline, setBaseline] = useState(() => JSON.stringify(saved.map(toDraft).map(toInput)));
  const [attempted, setAttempted] = useState(false);
  const [secrets, setSecrets] = useState<{ stepName: string; secret: string }[]>([]);
  const serverIssues = save.error instanceof ApiError ? save.error.issues : [];
  const clientIssues = useMemo(() => draftIssues(drafts), [drafts]);
  const dirty = JSON.stringify(drafts.map(toInput)) !== baseline;

  // Once saved elsewhere (another tab, a collaborator), a clean editor follows the server;
  // only a new server answer should trigger this, not each keystroke.
  useEffect(() => {
    if (dirty || save.isPending) return;
    setDrafts(saved.map(toDraft));
    setBaseline(JSON.stringify(saved.map(toDraft).map(toInput)));
  }, [saved]);

  const issueAt = (path: string): string | undefined => {
    const fromServer = serverIssues.find((i) => i.path.join('.') === path)?.message;
    return fromServer ?? (attempted ? clientIssues.get(path) : undefined);
  };
  const unclaimed = serverIssues.filter((i) => i.path.length < 3);

  /** Reorder or remove: the server's issues are keyed by position, so they no longer apply. */
  function reshape(fn: (ds: DraftStep[]) => DraftStep[]) {
    save.reset();
    setDrafts(fn);
  }

  function update(i: number, patch: Partial<DraftStep>) {
    setDrafts((ds) => ds.map((d, j) => (j === i ? { ...d, ...patch } : d)));
    save.reset();
  }
  function submit() {
    setAttempted(true);
    if (clientIssues.size > 0) return;
    if (!dirty && onSaved) return onSaved(saved, false);
    save.mutate(drafts.map(toInput), {
      onSuccess: (steps) => {
        const shown = newSecrets(steps);
        setSecrets(shown);
        setDrafts(steps.map(toDraft));
        setBaseline(JSON.stringify(steps.map(toDraft).map(toInput)));
        setAttempted(false);
        onSaved?.(steps, shown.length > 0);
      },
    });
  }

  return (
    <Stack gap="sm" component="form" onSubmit={(e) => { e.preventDefault(); submit(); }}>
      <Text size="sm" c="dimmed">
        Every member of the cohort gets a card that starts in the first step. Moving a card to a step runs that step&apos;s action for the user.
        Removing a step moves its cards to the first step.
      </Text>
      {drafts.length === 0 && <Text size="sm">No steps yet. A board appears once the cohort has steps.</Text>}
      {drafts.map((d, i) => (
        <Paper key={d.key} withBorder p="sm" radius="md" role="group" aria-label={`Step ${i + 1}`}>
          <Stack gap="xs">
            <Group align="flex-start" gap="xs" wrap="nowrap">
              <Badge variant="filled" mt={8} circle>{i + 1}</Badge>
              <TextInput aria-label={`Step ${i + 1} name`} placeholder="Step name" value={d.name} style={{ flex: 1 }} maxLength={120}
                error={issueAt(`steps.${i}.name`)} onChange={(e) => update(i, { name: e.currentTarget.value })} />
              <Select aria-label={`Action of step ${i + 1}`} data={ACTION_TYPES} value={d.type} allowDeselect={false} w={210}
                onChange={(v) => update(i, { type: (v ?? 'none') as DraftStep['type'] })} />
              <ActionIcon variant="default" size="lg" aria-label={`Move step ${i + 1} up`} disabled={i === 0}
                onClick={() => reshape((ds) => moveItem(ds, i, i - 1))}>↑</ActionIcon>
              <ActionIcon variant="default" size="lg" aria-label={`Move step ${i + 1} down`} disabled={i === drafts.length - 1}
                onClick={() => reshape((ds) => moveItem(ds, i, i + 1))}>↓</ActionIcon>
              <ActionIcon variant="subtle" color="red" size="lg" aria-label={`Remove step ${i + 1}`}
                onClick={() => reshape((ds) => ds.filter((_, j) => j !== i))}>✕</ActionIcon>
            </Group>
            <ActionFields cohortId={cohortId} draft={d} index={i} issueAt={issueAt} onChange={(p) => update(i, p)} />
          </Stack>
        </Paper>
      ))}
      <Group>
        <Button variant="default" disabled={drafts.length >= MAX_STEPS}
          onClick={() => setDrafts((ds) => [...ds, newDraft(ds.length === 0 ? 'New' : '')])}>+ Add step</Button>
        {drafts.length >= MAX_STEPS && <Text size="sm" c="dimmed">At most {MAX_STEPS} steps.</Text>}
      </Group>
      {attempted && clientIssues.size > 0 && <Alert color="yellow" role="status">Fix the highlighted fields before saving.</Alert>}
      {save.isError && (serverIssues.length === 0 || unclaimed.length > 0) && (
        <Alert color="red" role="alert" title="Could not save the steps">
          {errorMessage(save.error)}
          {unclaimed.map((i) => <div key={i.path.join('.') + i.message}>{i.path.length ? `${i.path.join('.')}: ` : ''}{i.message}</div>)}
        </Alert>
      )}
      {secrets.length > 0 && (
        <Alert color="yellow" role="status" title="Webhook signing secret — copy it now">
          <Text size="sm" mb={6}>It is shown only this once; afterwards Kohort shows it as ••••. Verify signatures with it (Standard Webhooks).</Text>
          {secrets.map((s) => (
            <Group key={s.stepName} gap="xs">
              <Text size="sm">{s.stepName}:</Text>
              <Code data-testid="webhook-secret">{s.secret}</Code>
              <CopyButton value={s.secret}>{({ copied, copy }) => <Button size="compact-xs" variant="light" onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>}</CopyButton>
            </Group>
          ))}
        </Alert>
      )}
      {!save.isPending && save.isSuccess && !dirty && <Text size="sm" c="teal" role="status">Steps saved.</Text>}
      <Group>
        {extra}
        <Button type="submit" loading={save.isPending} disabled={!dirty && !onSaved}>{submitLabel}</Button>
      </Group>
    </Stack>
  );
}
