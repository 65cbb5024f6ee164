import { useSyncExternalStore, type MouseEvent, type ReactNode } from 'react';
import { Anchor, type AnchorProps } from '@mantine/core';

/** A minimal history-API router: the app has a handful of flat routes. */
const listeners = new Set<() => void>();
function subscribe(cb: () => void) {
  listeners.add(cb);
  window.addEventListener('popstate', cb);
  return () => {
    listeners.delete(cb);
    window.removeEventListener('popstate', cb);
  };
}
const snapshot = () => window.location.pathname + window.location.search;

export function navigate(to: string, opts: { replace?: boolean } = {}) {
  if (to === snapshot()) return;
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  listeners.forEach((l) => l());
  window.scrollTo(0, 0);
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
