import { describe, expect, it } from 'vitest';
import { putStepsBodySchema } from '../../../../schemas/workflow';
import type { Step } from '../../../api/workflows';
import { draftIssues, moveItem, newDraft, newSecrets, toDraft, toInput } from './steps-draft';

const step = (id: string, name: string, action: Step['action'] = null): Step => ({ id, name, position: 0, action, cardCount: 0 });

describe('steps editor drafts', () => {
  it('round-trips saved steps into the body PUT /steps accepts, keeping ids and the saved secret', () => {
    const saved = [
      step('s1', 'New'),
      step('s2', 'Contacted', { type: 'webhook', url: 'https://hooks.example.com/k', secret: '••••' }),
      step('s3', 'Won', { type: 'set_property', key: 'stage', value: 3 }),
      step('s4', 'Listed', { type: 'add_to_cohort', cohortId: 'c9' }),
      step('s5', 'Synced', { type: 'run_sync', syncId: 'y1' }),
    ];
    const body = { steps: saved.map(toDraft).map(toInput) };
    expect(body.steps).toEqual([
      { id: 's1', name: 'New', action: null },
      // The mask tells the server to keep the stored secret.
      { id: 's2', name: 'Contacted', action: { type: 'webhook', url: 'https://hooks.example.com/k', secret: '••••' } },
      { id: 's3', name: 'Won', action: { type: 'set_property', key: 'stage', value: 3 } },
      { id: 's4', name: 'Listed', action: { type: 'add_to_cohort', cohortId: 'c9' } },
      { id: 's5', name: 'Synced', action: { type: 'run_sync', syncId: 'y1' } },
    ]);
    expect(putStepsBodySchema.safeParse(body).success).toBe(true);
  });

  it('asks for a generated secret on a new webhook, and sends a typed one as is', () => {
    const d = { ...newDraft('Hook'), type: 'webhook' as const, url: ' http://127.0.0.1:9/x ' };
    expect(toInput(d)).toEqual({ name: 'Hook', action: { type: 'webhook', url: 'http://127.0.0.1:9/x' } });
    expect(toInput({ ...d, secret: 'my-own-secret-value-123' }).action).toMatchObject({ secret: 'my-own-secret-value-123' });
  });

  it('types a property value as chosen', () => {
    const d = { ...newDraft('P'), type: 'set_property' as const, propKey: 'vip' };
    expect(toInput({ ...d, valueKind: 'number', value: '2.5' }).action).toEqual({ type: 'set_property', key: 'vip', value: 2.5 });
    expect(toInput({ ...d, valueKind: 'boolean', value: 'false' }).action).toEqual({ type: 'set_property', key: 'vip', value: false });
    expect(toInput({ ...d, valueKind: 'text', value: '2.5' }).action).toEqual({ type: 'set_property', key: 'vip', value: '2.5' });
  });

  it('flags empty, duplicate (any case) and too long names, and incomplete actions, at the server paths', () => {
    const issues = draftIssues([
      newDraft('Lead'),
      newDraft('lead'),
      newDraft(' '),
      newDraft('x'.repeat(81)),
      { ...newDraft('Hook'), type: 'webhook', url: 'ftp://nope' },
      { ...newDraft('Prop'), type: 'set_property', valueKind: 'number', value: 'abc' },
      { ...newDraft('Add'), type: 'add_to_cohort' },
      { ...newDraft('Run'), type: 'run_sync' },
    ]);
    expect([...issues.keys()].sort()).toEqual([
      'steps.1.name', 'steps.2.name', 'steps.3.name', 'steps.4.action.url',
      'steps.5.action.key', 'steps.5.action.value', 'steps.6.action.cohortId', 'steps.7.action.syncId',
    ]);
    expect(draftIssues([newDraft('A'), newDraft('B')]).size).toBe(0);
    expect(draftIssues(Array.from({ length: 21 }, (_, i) => newDraft(`S${i}`))).get('steps')).toBe('at most 20 steps');
  });

  it('reorders without touching the original, ignoring moves past either end', () => {
    const list = ['a', 'b', 'c'];
    expect(moveItem(list, 2, 0)).toEqual(['c', 'a', 'b']);
    expect(moveItem(list, 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moveItem(list, 0, -1)).toBe(list);
    expect(moveItem(list, 2, 3)).toBe(list);
    expect(list).toEqual(['a', 'b', 'c']);
  });

  it('shows only secrets the server just generated', () => {
    expect(newSecrets([
      step('a', 'Old', { type: 'webhook', url: 'https://x.example', secret: '••••' }),
      step('b', 'New', { type: 'webhook', url: 'https://y.example', secret: 'whsec_abc' }),
      step('c', 'None'),
    ])).toEqual([{ stepName: 'New', secret: 'whsec_abc' }]);
  });
});
