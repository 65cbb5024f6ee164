import { useEffect, useRef, useSyncExternalStore, type MouseEvent, type ReactNode } from 'react';
import { Anchor, type AnchorProps } from '@mantine/core';

/** A minimal history-API router: the app has a handful of flat routes. */
const listeners = new Set<() => void>();
function subscribe(cb: () => void) {
  listeners.add(cb);
  return () => {
    listeners.delete(cb);
  };
}
const snapshot = () => window.location.pathname + window.location.search;

/**
 * Pages with unsaved work register a blocker: leaving asks first, whether by
 * a link (navigate), Back/Forward (popstate, undone when the person stays) or
 * closing or reloading the tab (beforeunload, the browser's own prompt).
 */
const blockers = new Set<() => string | null>();
let current = typeof window === 'undefined' ? '/' : snapshot();

function blockedMessage(): string | null {
  for (const b of blockers) {
    const m = b();
    if (m) return m;
  }
  return null;
}

function mayLeave(): boolean {
  const message = blockedMessage();
  return message === null || window.confirm(message);
}

if (typeof window !== 'undefined') {
  window.addEventListener('popstate', () => {
    if (snapshot() !== current && !mayLeave()) {
      // Stay: put the page we are on back on top of the history.
      window.history.pushState(null, '', current);
      return;
    }
    current = snapshot();
    listeners.forEach((l) => l());
  });
  window.addEventListener('beforeunload', (e) => {
    if (blockedMessage() === null) return;
    e.preventDefault();
    e.returnValue = '';
  });
}

/** While `message()` returns text, leaving the page asks for confirmation with it. */
export function useLeaveBlocker(message: () => string | null): void {
  const ref = useRef(message);
  ref.current = message;
  useEffect(() => {
    const b = () => ref.current();
    blockers.add(b);
    return () => {
      blockers.delete(b);
    };
  }, []);
}

/** `force` skips the unsaved-changes question (after a save, the work is not lost). */
export function navigate(to: string, opts: { replace?: boolean; force?: boolean } = {}) {
  if (to === snapshot()) return;
  const samePage = to.split('?')[0] === window.location.pathname;
  if (!opts.force && !samePage && !mayLeave()) return;
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  current = snapshot();
  listeners.forEach((l) => l());
  if (!samePage) window.scrollTo(0, 0);
}

export function useLocation(): { path: string; search: URLSearchParams } {
  const loc = useSyncExternalStore(subscribe, snapshot);
  const [path, qs = ''] = loc.split('?');
  return { path: path ?? '/', search: new URLSearchParams(qs) };
}

/** Matches `/cohorts/:id` style patterns; returns params or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const names: string[] = [];
  const re = new RegExp(
    '^' + pattern.replace(/:(\w+)/g, (_, n: string) => (names.push(n), '([^/]+)')) + '/?$',
  );
  const m = re.exec(path);
  if (!m) return null;
  return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? '')]));
}

function isPlainClick(e: MouseEvent) {
  return e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey;
}

export function Link({ to, children, ...rest }: { to: string; children: ReactNode } & AnchorProps) {
  return <Anchor {...linkProps(to)} {...rest}>{children}</Anchor>;
}

/** Props that make any polymorphic Mantine component a client-side link (new tabs still work). */
export function linkProps(to: string) {
  return {
    component: 'a' as const,
    href: to,
    onClick: (e: MouseEvent<HTMLAnchorElement>) => {
      if (!isPlainClick(e)) return;
      e.preventDefault();
      navigate(to);
    },
  };
}
