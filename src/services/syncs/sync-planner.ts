export interface SyncPlan {
  /** Members the destination has not acknowledged, in membership order. */
  toAdd: string[];
  /** Acknowledged users that are no longer members, in acknowledged order. */
  toRemove: string[];
}

/** Strictly ascending (so also free of duplicates) in JavaScript string order. */
function strictlyAscending(a: readonly string[]): boolean {
  for (let i = 1; i < a.length; i++) if (!(a[i - 1] < a[i])) return false;
  return true;
}

/**
 * toAdd = members - acknowledged, toRemove = acknowledged - members.
 * When both lists are arrays in strictly ascending order (the stores read them
 * sorted), one merge pass: no hashing and no 1M-entry set, which on a busy
 * machine cost seconds. Otherwise one hash set of the members and one pass over
 * the acknowledged ids deleting what is already there (what is left is toAdd).
 * The order is checked here, not trusted: a store whose collation differs from
 * JavaScript's only loses the fast path. `acknowledged` holds no duplicates.
 */
export function planSync(members: Iterable<string>, acknowledged: Iterable<string>): SyncPlan {
  if (Array.isArray(members) && Array.isArray(acknowledged) && strictlyAscending(members) && strictlyAscending(acknowledged)) {
    return mergePlan(members, acknowledged);
  }
  const pending = new Set(members);
  const toRemove: string[] = [];
  for (const u of acknowledged) if (!pending.delete(u)) toRemove.push(u);
  return { toAdd: [...pending], toRemove };
}

function mergePlan(members: readonly string[], acknowledged: readonly string[]): SyncPlan {
  const toAdd: string[] = [];
  const toRemove: string[] = [];
  let i = 0;
  let j = 0;
  while (i < members.length && j < acknowledged.length) {
    const m = members[i];
    const a = acknowledged[j];
    if (m === a) {
      i++;
      j++;
    } else if (m < a) {
      toAdd.push(m);
      i++;
    } else {
      toRemove.push(a);
      j++;
    }
  }
  while (i < members.length) toAdd.push(members[i++]);
  while (j < acknowledged.length) toRemove.push(acknowledged[j++]);
  return { toAdd, toRemove };
}
