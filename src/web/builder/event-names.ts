/** Every event name a definition mentions (event, first-time, sequence steps and the newer per-event rules). */
export function eventNames(node: unknown): string[] {
  if (!node || typeof node !== 'object') return [];
  const n = node as { event?: unknown; rules?: unknown; steps?: unknown };
  const out: string[] = typeof n.event === 'string' && n.event ? [n.event] : [];
  for (const list of [n.rules, n.steps]) if (Array.isArray(list)) for (const child of list) out.push(...eventNames(child));
  return out;
}
