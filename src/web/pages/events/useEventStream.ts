import { useEffect, useState } from 'react';
import type { LiveEvent } from '../../api/types';
import { withQuery } from '../../api/client';

export type StreamState = 'connecting' | 'open' | 'error';

/**
 * Subscribes to `/v1/events/stream` (Server-Sent Events). EventSource cannot
 * send headers; it sends the browser's session cookie, which is all the
 * server needs (no credential ever goes in the URL).
 */
export function useEventStream(
  filter: { event?: string; userId?: string },
  onEvent: (e: LiveEvent) => void,
  enabled: boolean,
): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  const { event, userId } = filter;
  useEffect(() => {
    if (!enabled) return;
    setState('connecting');
    const es = new EventSource(withQuery('/v1/events/stream', { event, userId }));
    const handle = (m: MessageEvent<string>) => {
      try {
        onEvent(JSON.parse(m.data) as LiveEvent);
      } catch {
        // A malformed message is skipped rather than breaking the stream.
      }
    };
    es.addEventListener('event', handle as EventListener);
    es.onmessage = handle;
    es.onopen = () => setState('open');
    // EventSource reconnects by itself; show the state meanwhile.
    es.onerror = () => setState(es.readyState === EventSource.CLOSED ? 'error' : 'connecting');
    return () => es.close();
    // onEvent is expected to be stable (a state setter wrapper).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [event, userId, enabled]);
  return state;
}
