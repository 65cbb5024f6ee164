import { createContext, useContext, type ReactNode } from 'react';
import type { ApiIssue } from '../api/errors';

export type Path = (string | number)[];
export const pathKey = (p: Path) => p.join('.');

/** Issue messages by path key, relative to the definition root. */
const IssuesContext = createContext<Map<string, string>>(new Map());

export function IssuesProvider({ issues, children }: { issues: Map<string, string>; children: ReactNode }) {
  return <IssuesContext.Provider value={issues}>{children}</IssuesContext.Provider>;
}

/** The message for exactly this path, if any. */
export function useIssue(path: Path): string | undefined {
  return useContext(IssuesContext).get(pathKey(path));
}

/** Messages at this path or below it that no more specific field claims (shown on the card). */
export function useIssuesUnder(path: Path, claimed: string[]): string[] {
  const map = useContext(IssuesContext);
  const prefix = pathKey(path);
  const out: string[] = [];
  for (const [k, msg] of map) {
    if (k !== prefix) continue;
    out.push(msg);
  }
  for (const [k, msg] of map) {
    if (!k.startsWith(prefix + '.')) continue;
    const rest = k.slice(prefix.length + 1).split('.')[0]!;
    if (!claimed.includes(rest)) out.push(`${k.slice(prefix.length + 1)}: ${msg}`);
  }
  return out;
}

/**
 * Turns API or zod issues into the map. API paths are relative to the request
 * body, so a leading `definition` segment is dropped; other top-level fields
 * (name, tags...) keep their name.
 */
export function issueMap(issues: ApiIssue[], stripDefinition = true): Map<string, string> {
  const m = new Map<string, string>();
  for (const i of issues) {
    let p = i.path;
    if (stripDefinition && p[0] === 'definition') p = p.slice(1);
    const k = pathKey(p);
    if (!m.has(k)) m.set(k, i.message);
  }
  return m;
}
