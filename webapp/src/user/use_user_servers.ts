import { useCallback, useEffect, useRef, useState } from 'react';
import { fetchUserServers, type UserServer } from '../shared/api';
import { errorMessage } from '../shared/client';
import { subscribeConnectionUpdates } from '../shared/connection_events';

export interface UserServersState {
  readonly servers?: readonly UserServer[];
  readonly error?: string;
  readonly loading: boolean;
  reload(): void;
}

const CONNECTING_RECHECK_MS = 3000;

/**
 * The signed-in user's servers from `GET /mcp/tools`, fetched again when a connection changes (the
 * sidecar's WebSocket event, e.g. after an OAuth callback), when the window regains focus (back from
 * the authorization tab), and shortly after, while a server is still connecting.
 */
export function useUserServers(): UserServersState {
  const [state, setState] = useState<Omit<UserServersState, 'reload'>>({ loading: true });
  const latest = useRef(0);
  const mounted = useRef(true);

  const reload = useCallback(() => {
    latest.current += 1;
    const request = latest.current;
    setState((previous) => ({ ...previous, loading: true }));
    fetchUserServers().then(
      (servers) => {
        if (mounted.current && request === latest.current) setState({ servers, loading: false });
      },
      (error: unknown) => {
        if (mounted.current && request === latest.current)
          setState((previous) => ({ servers: previous.servers, error: errorMessage(error), loading: false }));
      },
    );
  }, []);

  useEffect(() => {
    mounted.current = true;
    reload();
    const unsubscribe = subscribeConnectionUpdates(() => reload());
    const onFocus = () => reload();
    window.addEventListener('focus', onFocus);
    return () => {
      mounted.current = false;
      unsubscribe();
      window.removeEventListener('focus', onFocus);
    };
  }, [reload]);

  const connecting = !state.loading && state.servers?.some((s) => s.status === 'connecting');
  useEffect(() => {
    if (!connecting) return undefined;
    const timer = window.setTimeout(reload, CONNECTING_RECHECK_MS);
    return () => window.clearTimeout(timer);
  }, [connecting, reload]);

  return { ...state, reload };
}
