import { useId, useMemo, useRef, useState, type ReactNode } from 'react';
import { Alert, Button, Group, Paper, SegmentedControl, Stack, Tabs, Title } from '@mantine/core';
import { useSaveCohort } from '../api/cohorts';
import { DefinitionSummary } from '../components/DefinitionSummary';
import type { Definition } from '../api/definition';
import { ApiError, errorMessage, type ApiIssue } from '../api/errors';
import type { Cohort } from '../api/types';
import { navigate, useLeaveBlocker } from '../router';
import { useCohortDiff } from '../api/insight';
import { CohortMetaFields, type CohortMeta } from './CohortMetaFields';
import { DiffConfirm } from './DiffConfirm';
import { emptyDefinition } from './defaults';
import { GroupEditor } from './GroupEditor';
import { IssuesProvider, issueMap } from './issues';
import { JsonEditor } from './JsonEditor';
import { PreviewPanel } from './PreviewPanel';
import { DuplicateNameWarning } from './DuplicateNameWarning';
import { eventNames } from './event-names';
import { CatalogContext, useEventCatalog } from './useEventCatalog';
import { incompleteSummary, validateDefinition } from './validate';

const FIELD_ROOTS = ['name', 'description', 'tags', 'status', 'refresh', 'definition', 'rules', 'match'];

/** In the creation wizard (pages/cohorts/create): saving hands the cohort on instead of opening it. */
export interface WizardStep {
  /** Set once this step created the cohort, so Continue after Back updates it rather than making another. */
  createdId: string | null;
  onSaved: (c: Cohort) => void;
  /** Shown under a static cohort's note (the wizard's list of user ids). */
  staticMembers?: ReactNode;
}

/** Creates a cohort, or edits `cohort` when given: one builder for both. */
export function CohortBuilder({ cohort, wizard }: { cohort?: Cohort; wizard?: WizardStep }) {
  const catalog = useEventCatalog();
  const savedId = cohort?.id ?? wizard?.createdId ?? undefined;
  const save = useSaveCohort(savedId);
  const formId = useId();
  const [meta, setMeta] = useState<CohortMeta>({
    name: cohort?.name ?? '',
    description: cohort?.description ?? '',
    tags: cohort?.tags ?? [],
    status: cohort?.status ?? 'active',
    refresh: cohort?.refresh ?? 'daily',
  });
  const [definition, setDefinitionState] = useState<Definition>(cohort?.definition ?? emptyDefinition());
  const [touched, setTouched] = useState(false);
  const [attempted, setAttempted] = useState(false);
  const [serverIssues, setServerIssues] = useState<ApiIssue[]>([]);
  const [tab, setTab] = useState<string | null>('builder');
  // Fixed once created: a static cohort is an uploaded list, a dynamic one follows its conditions.
  const [kind, setKind] = useState<'dynamic' | 'static'>(cohort?.kind ?? 'dynamic');
  const isStatic = kind === 'static';
  // Editing a saved dynamic cohort: a changed definition is shown as a diff before it is saved.
  const diff = useCohortDiff(cohort?.id ?? '');
  const [confirming, setConfirming] = useState(false);

  const clientIssues = useMemo(() => validateDefinition(definition), [definition]);
  const valid = clientIssues.length === 0;
  // Fields left empty are "not done yet", not mistakes: they are listed by the
  // size panel and marked on the field only once saving was tried.
  const issues = useMemo(
    () => issueMap([...(touched ? clientIssues.filter((i) => attempted || !i.incomplete) : []), ...serverIssues]),
    [clientIssues, serverIssues, touched, attempted],
  );
  const unknownNames = useMemo(
    () => [...new Set(eventNames(definition))].map((e) => catalog.unknownEvent(e)).filter((w): w is string => !!w),
    [definition, catalog],
  );

  // Unsaved work: anything differing from what was loaded (or from a blank form) asks before leaving.
  const initial = useRef(JSON.stringify([meta, definition, kind]));
  useLeaveBlocker(() => (JSON.stringify([meta, definition, kind]) !== initial.current
    ? 'You have unsaved changes to this cohort. Leave without saving?' : null));
  const metaErrors = useMemo(() => {
    const m = issueMap(serverIssues, false);
    const out: Partial<Record<keyof CohortMeta, string>> = {};
    for (const k of ['name', 'description', 'tags', 'status', 'refresh'] as const) {
      const msg = [...m].find(([key]) => key === k || key.startsWith(`${k}.`))?.[1];
      if (msg) out[k] = msg;
    }
    if (attempted && !meta.name.trim()) out.name ??= 'Give the cohort a name';
    return out;
  }, [serverIssues, attempted, meta.name]);

  function setDefinition(d: Definition) {
    setDefinitionState(d);
    setTouched(true);
    setServerIssues([]);
  }
  function takeServerIssues(err: unknown) {
    if (err instanceof ApiError && err.status === 400) setServerIssues(err.issues);
  }

  function submit(confirmed = false) {
    setTouched(true);
    setAttempted(true);
    if ((!isStatic && !valid) || !meta.name.trim()) return;
    if (!confirmed && cohort?.kind === 'dynamic' && JSON.stringify(definition) !== JSON.stringify(cohort.definition)) {
      setConfirming(true);
      diff.mutate(definition, { onError: takeServerIssues });
      return;
    }
    setConfirming(false);
    const body = {
      name: meta.name.trim(),
      description: meta.description.trim(),
      tags: meta.tags,
      status: meta.status,
      refresh: meta.refresh,
      ...(isStatic ? {} : { definition }),
    };
    save.mutate(
      // kind is fixed at creation; PATCH does not take it.
      savedId ? body : { ...body, kind },
      {
        onSuccess: (c) => {
          initial.current = JSON.stringify([meta, definition, kind]);
          if (wizard) wizard.onSaved(c);
          else navigate(`/cohorts/${c.id}`, { force: true });
        },
        onError: takeServerIssues,
      },
    );
  }

  // Issues no field shows (unknown fields, a whole-body problem) go in the alert with the message.
  const unclaimed = save.error instanceof ApiError
    ? save.error.issues.filter((i) => !FIELD_ROOTS.includes(String(i.path[0] ?? '')))
    : [];
  const saveError = save.error && (!(save.error instanceof ApiError) || save.error.issues.length === 0 || unclaimed.length > 0)
    ? save.error : null;

  const actions = (
    <Stack gap="xs">
      {attempted && !isStatic && !valid && <Alert color="yellow" role="status">Fill in or fix the highlighted fields before saving.</Alert>}
      <Group>
        <Button type="submit" form={formId} loading={save.isPending}>{wizard ? 'Continue' : cohort ? 'Save changes' : 'Save cohort'}</Button>
        {cohort && !wizard && <Button variant="default" onClick={() => navigate(`/cohorts/${cohort.id}`)}>Cancel</Button>}
      </Group>
    </Stack>
  );

  return (
    <Stack>
      {!wizard && <Title order={2}>{cohort ? `Edit ${cohort.name}` : 'New cohort'}</Title>}
      {cohort && <DiffConfirm opened={confirming} diff={diff} saving={save.isPending} onCancel={() => setConfirming(false)} onConfirm={() => submit(true)} />}
      {/* noValidate: the browser's own "Please fill out this field" bubble hides under the sticky header; the form says it itself. */}
      <Paper withBorder p="md" radius="md" component="form" id={formId} noValidate onSubmit={(e) => { e.preventDefault(); submit(); }}>
        <Stack gap="sm">
          {!savedId && (
            <SegmentedControl aria-label="Kind of cohort" value={kind} onChange={(v) => setKind(v as 'dynamic' | 'static')}
              data={[{ value: 'dynamic', label: 'Defined by conditions' }, { value: 'static', label: 'Uploaded list (static)' }]} />
          )}
          <CohortMetaFields value={meta} onChange={(m) => { setMeta(m); setServerIssues((s) => s.filter((i) => i.path[0] === 'definition')); }} errors={metaErrors} />
          <DuplicateNameWarning name={meta.name} selfId={savedId} />
          {saveError && (
            <Alert color="red" role="alert" title="Could not save">
              {errorMessage(saveError)}
              {unclaimed.map((i) => <div key={i.path.join('.') + i.message}>{i.path.length ? `${i.path.join('.')}: ` : ''}{i.message}</div>)}
            </Alert>
          )}
        </Stack>
      </Paper>
      {isStatic ? (
        <>
          <Alert color="blue">
            A static cohort is a list you upload: {cohort ? 'add or remove members on its page.' : wizard ? 'paste user ids below (one per line); more can be added on its page later.' : 'save it, then upload user ids (CSV or one per line) on its page.'}
          </Alert>
          {wizard?.staticMembers}
        </>
      ) : (
        <>
          <PreviewPanel definition={definition} valid={valid} incomplete={incompleteSummary(clientIssues)} warnings={unknownNames}
            onServerIssues={takeServerIssues} />
          <Paper withBorder p="sm" radius="md" bg="var(--mantine-color-gray-0)" aria-label="In plain words" role="note">
            <DefinitionSummary definition={definition} />
          </Paper>
          <CatalogContext.Provider value={catalog}>
            <IssuesProvider issues={issues}>
              <Tabs value={tab} onChange={setTab} keepMounted={false}>
                <Tabs.List>
                  <Tabs.Tab value="builder">Builder</Tabs.Tab>
                  <Tabs.Tab value="json">JSON</Tabs.Tab>
                </Tabs.List>
                <Tabs.Panel value="builder" pt="md">
                  <GroupEditor match={definition.match} rules={definition.rules} path={[]} depth={1} catalog={catalog} selfId={savedId}
                    onChange={(match, rules) => setDefinition({ match, rules })} />
                </Tabs.Panel>
                <Tabs.Panel value="json" pt="md">
                  <JsonEditor definition={definition} onApply={(d) => { setDefinition(d); setTab('builder'); }} />
                </Tabs.Panel>
              </Tabs>
            </IssuesProvider>
          </CatalogContext.Provider>
        </>
      )}
      {actions}
    </Stack>
  );
}
