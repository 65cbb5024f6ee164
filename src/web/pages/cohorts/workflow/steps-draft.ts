import type { ActionInput, ActionType, Step, StepInput } from '../../../api/workflows';
import { SECRET_MASK } from '../../../api/types';

/** Limits of docs/TEAMS.md, checked before sending so the message sits beside the field. */
export const MAX_STEPS = 20;
export const MAX_NAME = 80;

export type ValueKind = 'text' | 'number' | 'boolean';

/** One step as the editor holds it: every action's fields, so switching type keeps what was typed. */
export interface DraftStep {
  key: string;
  id?: string;
  name: string;
  type: 'none' | ActionType;
  url: string;
  /** A new secret typed in; empty keeps the saved one (or lets the server generate one). */
  secret: string;
  hasSavedSecret: boolean;
  propKey: string;
  valueKind: ValueKind;
  value: string;
  cohortId: string | null;
  syncId: string | null;
}

let seq = 0;
const nextKey = () => `draft-${++seq}`;

export function newDraft(name = ''): DraftStep {
  return {
    key: nextKey(), name, type: 'none', url: '', secret: '', hasSavedSecret: false,
    propKey: '', valueKind: 'text', value: '', cohortId: null, syncId: null,
  };
}

export function toDraft(step: Step): DraftStep {
  const d: DraftStep = { ...newDraft(step.name), key: step.id, id: step.id };
  const a = step.action;
  if (!a) return d;
  d.type = a.type;
  if (a.type === 'webhook') {
    d.url = a.url;
    d.hasSavedSecret = Boolean(a.secret);
  } else if (a.type === 'set_property') {
    d.propKey = a.key;
    d.valueKind = typeof a.value === 'number' ? 'number' : typeof a.value === 'boolean' ? 'boolean' : 'text';
    d.value = a.value === null || a.value === undefined ? '' : typeof a.value === 'string' ? a.value : JSON.stringify(a.value);
  } else if (a.type === 'add_to_cohort') {
    d.cohortId = a.cohortId;
  } else {
    d.syncId = a.syncId;
  }
  return d;
}

function propertyValue(d: DraftStep): string | number | boolean {
  if (d.valueKind === 'number') return d.value.trim() === '' ? NaN : Number(d.value);
  if (d.valueKind === 'boolean') return d.value === 'true';
  return d.value;
}

export function toAction(d: DraftStep): ActionInput | null {
  switch (d.type) {
    case 'none':
      return null;
    case 'webhook': {
      const secret = d.secret.trim();
      // The mask asks the server to keep the saved secret; leaving it out asks for a new one.
      return { type: 'webhook', url: d.url.trim(), ...(secret ? { secret } : d.hasSavedSecret ? { secret: SECRET_MASK } : {}) };
    }
    case 'set_property':
      return { type: 'set_property', key: d.propKey.trim(), value: propertyValue(d) };
    case 'add_to_cohort':
      return { type: 'add_to_cohort', cohortId: d.cohortId ?? '' };
    case 'run_sync':
      return { type: 'run_sync', syncId: d.syncId ?? '' };
  }
}

export function toInput(d: DraftStep): StepInput {
  return { ...(d.id ? { id: d.id } : {}), name: d.name.trim(), action: toAction(d) };
}

/** Problems keyed like the server's issue paths (`steps.1.name`, `steps.1.action.url`). */
export function draftIssues(drafts: DraftStep[]): Map<string, string> {
  const out = new Map<string, string>();
  const seen = new Map<string, number>();
  if (drafts.length > MAX_STEPS) out.set('steps', `at most ${MAX_STEPS} steps`);
  drafts.forEach((d, i) => {
    const at = `steps.${i}`;
    const name = d.name.trim();
    if (!name) out.set(`${at}.name`, 'Give the step a name');
    else if (name.length > MAX_NAME) out.set(`${at}.name`, `At most ${MAX_NAME} characters`);
    else if (seen.has(name.toLowerCase())) out.set(`${at}.name`, `Another step is called "${name}"`);
    seen.set(name.toLowerCase(), i);
    if (d.type === 'webhook' && !/^https?:\/\/\S+$/i.test(d.url.trim())) out.set(`${at}.action.url`, 'Enter an http(s) URL');
    if (d.type === 'set_property') {
      if (!d.propKey.trim()) out.set(`${at}.action.key`, 'Name the property');
      if (d.valueKind === 'number' && !Number.isFinite(propertyValue(d))) out.set(`${at}.action.value`, 'Enter a number');
    }
    if (d.type === 'add_to_cohort' && !d.cohortId) out.set(`${at}.action.cohortId`, 'Choose a static cohort');
    if (d.type === 'run_sync' && !d.syncId) out.set(`${at}.action.syncId`, 'Choose a sync');
  });
  return out;
}

/** Returns `list` with the item at `from` moved to `to`. */
export function moveItem<T>(list: T[], from: number, to: number): T[] {
  if (to < 0 || to >= list.length || from === to) return list;
  const next = [...list];
  const [item] = next.splice(from, 1);
  next.splice(to, 0, item!);
  return next;
}

/** Secrets the server generated on this save: shown once, never again. */
export function newSecrets(saved: Step[]): { stepName: string; secret: string }[] {
  return saved.flatMap((s) =>
    s.action?.type === 'webhook' && s.action.secret && s.action.secret !== SECRET_MASK ? [{ stepName: s.name, secret: s.action.secret }] : []);
}
