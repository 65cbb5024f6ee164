import type { Action } from '../../schemas/workflow.js';
import type { ExecutionRecord, StoredStep, WorkflowStore } from '../../storage/workflow-store.js';
import type { SecretBox } from '../secret-box.js';

/** The action with a webhook secret sealed (an already sealed one stays as it is). */
export function sealAction(a: Action | null, box: SecretBox): Action | null {
  if (a?.type !== 'webhook' || !a.secret || box.isSealed(a.secret)) return a;
  return { ...a, secret: box.seal(a.secret) };
}

export function openAction<A extends Action | null>(a: A, box: SecretBox): A {
  if (a?.type !== 'webhook' || !box.isSealed(a.secret)) return a;
  return { ...a, secret: box.open(a.secret) };
}

const openExecution = <E extends ExecutionRecord>(e: E, box: SecretBox): E => ({ ...e, action: openAction(e.action, box) });

/**
 * The workflow store with step-webhook secrets sealed on the way in and opened
 * on the way out, like destination secrets (sealed-destinations.ts): the
 * service and the step-action runner see plain actions; the store, its
 * write-ahead log and the queue rows (which copy the step's action) only
 * sealed ones. The API never answers with a secret (maskAction).
 */
export function withSealedStepSecrets<T extends WorkflowStore>(store: T, box: SecretBox): T {
  const overrides: Partial<WorkflowStore> = {
    steps: async (cohortId) => (await store.steps(cohortId)).map((s) => ({ ...s, action: openAction(s.action, box) })),
    replaceSteps: (cohortId, steps: StoredStep[], members, at) => store.replaceSteps(cohortId, steps.map((s) => ({ ...s, action: sealAction(s.action, box) })), members, at),
    executions: async (cohortId, q) => (await store.executions(cohortId, q)).map((e) => openExecution(e, box)),
    claimDue: async (now, limit) => (await store.claimDue(now, limit)).map((e) => openExecution(e, box)),
    execution: async (id) => {
      const e = await store.execution(id);
      return e && openExecution(e, box);
    },
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop in overrides) return overrides[prop as keyof WorkflowStore];
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
