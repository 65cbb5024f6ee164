import { useMemo, useState } from 'react';
import {
  DndContext, DragOverlay, KeyboardSensor, PointerSensor, pointerWithin, rectIntersection, useDraggable, useDroppable, useSensor, useSensors,
  type Announcements, type CollisionDetection, type DragEndEvent, type DragStartEvent, type KeyboardCoordinateGetter,
} from '@dnd-kit/core';
import { ActionIcon, Alert, Badge, Button, Group, Menu, Paper, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { errorMessage } from '../../../api/errors';
import { useBoardColumn, useMoveCard, useSteps, type Card, type Step } from '../../../api/workflows';
import { num } from '../../../components/format';
import { QueryState } from '../../../components/QueryState';
import { Link } from '../../../router';
import { actionLabel } from './ActionFields';

const COLUMN_WIDTH = 250;

/** Arrow keys jump a picked-up card to the next column left or right (the default moves 25 px at a time). */
export const columnJump: KeyboardCoordinateGetter = (event, { context }) => {
  const dir = event.code === 'ArrowRight' ? 1 : event.code === 'ArrowLeft' ? -1 : 0;
  if (!dir) return undefined;
  event.preventDefault();
  const columns = [...context.droppableRects.entries()].sort((a, b) => a[1].left - b[1].left);
  const from = context.over?.id ?? (context.active?.data.current as { card?: Card } | undefined)?.card?.stepId;
  const target = columns[columns.findIndex(([id]) => id === from) + dir];
  return target ? { x: target[1].left + 8, y: target[1].top + 48 } : undefined;
};

// The pointer decides when there is one; a keyboard drag has none, so the card's overlap does.
const collision: CollisionDetection = (args) => {
  const hits = pointerWithin(args);
  return hits.length ? hits : rectIntersection(args);
};

/** Cards of the cohort's members in columns per step; owners and editors move them (drag, keyboard or menu). */
export function Board({ cohortId, canEdit }: { cohortId: string; canEdit: boolean }) {
  const steps = useSteps(cohortId);
  const move = useMoveCard(cohortId);
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const [dragging, setDragging] = useState<Card | null>(null);
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, { coordinateGetter: columnJump }),
  );
  const list = steps.data ?? [];
  const stepName = (id: unknown) => list.find((s) => s.id === id)?.name ?? 'no step';
  const announcements = useMemo<Announcements>(() => ({
    onDragStart: ({ active }) => `Picked up ${active.id}. Left and right arrows choose a step, space drops, escape cancels.`,
    onDragOver: ({ active, over }) => (over ? `${active.id} is over ${stepName(over.id)}.` : `${active.id} is over no step.`),
    onDragEnd: ({ active, over }) => (over ? `${active.id} moved to ${stepName(over.id)}.` : `${active.id} was not moved.`),
    onDragCancel: ({ active }) => `Moving ${active.id} was cancelled.`,
  }), [list]);

  const moveTo = (card: Card, stepId: string) => {
    if (card.stepId !== stepId) move.mutate({ card, stepId });
  };
  function onDragStart(e: DragStartEvent) {
    setDragging((e.active.data.current as { card: Card }).card);
  }
  function onDragEnd(e: DragEndEvent) {
    setDragging(null);
    const card = (e.active.data.current as { card: Card }).card;
    if (e.over) moveTo(card, String(e.over.id));
  }

  return (
    <QueryState query={steps} what="board">
      {list.length === 0 ? (
        <Text size="sm" c="dimmed">This cohort has no workflow steps, so no board. {canEdit ? 'Add steps in the Steps tab.' : ''}</Text>
      ) : (
        <Stack gap="sm">
          <Group justify="space-between">
            <TextInput aria-label="Search cards" placeholder="Search user ids" value={search} w={260}
              onChange={(e) => setSearch(e.currentTarget.value)} />
            {!canEdit && <Text size="sm" c="dimmed" role="note">Read only: moving cards needs the cohort&apos;s owner or an editor.</Text>}
          </Group>
          {move.isError && (
            <Alert color="red" role="alert" title={`Could not move ${move.variables?.card.userId ?? 'the card'}`} withCloseButton onClose={() => move.reset()}>
              {errorMessage(move.error)} The card is back where it was.
            </Alert>
          )}
          <DndContext sensors={sensors} collisionDetection={collision} onDragStart={onDragStart} onDragEnd={onDragEnd}
            onDragCancel={() => setDragging(null)}
            accessibility={{
              announcements,
              screenReaderInstructions: { draggable: 'To move this card, press space or enter, then the left and right arrows to choose a step, then space or enter to drop it. Escape cancels.' },
            }}>
            <div style={{ display: 'flex', gap: 12, overflowX: 'auto', paddingBottom: 8, alignItems: 'flex-start' }}>
              {list.map((s) => (
                <Column key={s.id} cohortId={cohortId} step={s} steps={list} q={q} canEdit={canEdit} onMove={moveTo} />
              ))}
            </div>
            <DragOverlay dropAnimation={null}>
              {dragging && <CardBody card={dragging} steps={list} canEdit={false} />}
            </DragOverlay>
          </DndContext>
        </Stack>
      )}
    </QueryState>
  );
}

function Column({ cohortId, step, steps, q, canEdit, onMove }: {
  cohortId: string; step: Step; steps: Step[]; q: string; canEdit: boolean; onMove: (card: Card, stepId: string) => void;
}) {
  const cards = useBoardColumn(cohortId, step.id, q);
  const { setNodeRef, isOver } = useDroppable({ id: step.id, disabled: !canEdit });
  const items = cards.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Paper ref={setNodeRef} component="section" aria-label={`Step ${step.name}`} withBorder radius="md" p="xs"
      bg={isOver ? 'var(--mantine-color-blue-light)' : 'var(--mantine-color-gray-light)'}
      style={{ width: COLUMN_WIDTH, minWidth: COLUMN_WIDTH, minHeight: 160 }}>
      <Group justify="space-between" gap={4} mb={4} wrap="nowrap">
        <Text fw={600} truncate>{step.name}</Text>
        <Badge variant="filled" color="gray" aria-label={`${step.cardCount} cards`} data-testid="step-count">{num(step.cardCount)}</Badge>
      </Group>
      {step.action && <Text size="xs" c="dimmed" truncate mb={6}>Runs: {actionLabel(step.action)}</Text>}
      <QueryState query={cards} what="cards">
        <Stack gap={6}>
          {items.length === 0 && <Text size="xs" c="dimmed">{q ? 'No card matches.' : 'No cards.'}</Text>}
          {items.map((c) => <DraggableCard key={c.userId} card={c} steps={steps} canEdit={canEdit} onMove={onMove} />)}
          {cards.hasNextPage && (
            <Button size="compact-xs" variant="subtle" onClick={() => cards.fetchNextPage()} loading={cards.isFetchingNextPage}>Load more</Button>
          )}
        </Stack>
      </QueryState>
    </Paper>
  );
}

function DraggableCard({ card, steps, canEdit, onMove }: { card: Card; steps: Step[]; canEdit: boolean; onMove: (card: Card, stepId: string) => void }) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, isDragging } = useDraggable({ id: card.userId, data: { card }, disabled: !canEdit });
  return (
    <div ref={setNodeRef} style={{ opacity: isDragging ? 0.4 : 1 }}>
      <CardBody card={card} steps={steps} canEdit={canEdit} onMove={onMove}
        handle={canEdit ? { ref: setActivatorNodeRef, props: { ...attributes, ...listeners } } : undefined} />
    </div>
  );
}

function CardBody({ card, steps, canEdit, onMove, handle }: {
  card: Card; steps: Step[]; canEdit: boolean; onMove?: (card: Card, stepId: string) => void;
  handle?: { ref: (el: HTMLElement | null) => void; props: Record<string, unknown> };
}) {
  return (
    <Paper withBorder radius="sm" p={6} shadow="xs" data-testid="card" data-user-id={card.userId}>
      <Group gap={4} wrap="nowrap">
        {handle && (
          <ActionIcon ref={handle.ref} {...handle.props} variant="subtle" color="gray" size="sm" aria-label={`Drag ${card.userId}`}
            style={{ cursor: 'grab', touchAction: 'none' }}>⠿</ActionIcon>
        )}
        <Link to={`/users/${encodeURIComponent(card.userId)}`} size="sm" style={{ flex: 1, minWidth: 0 }} truncate>{card.userId}</Link>
        {canEdit && onMove && (
          <Menu position="bottom-end" withinPortal>
            <Menu.Target>
              <ActionIcon variant="subtle" color="gray" size="sm" aria-label={`Move ${card.userId} to…`}>⋯</ActionIcon>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Label>Move to…</Menu.Label>
              {steps.filter((s) => s.id !== card.stepId).map((s) => (
                <Menu.Item key={s.id} onClick={() => onMove(card, s.id)}>{s.name}</Menu.Item>
              ))}
            </Menu.Dropdown>
          </Menu>
        )}
      </Group>
    </Paper>
  );
}
