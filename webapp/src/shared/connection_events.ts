/** `custom_<plugin id>_mcp_connection_updated` payload (the sidecar sends it to one user). */
export interface ConnectionUpdate {
  readonly status?: 'connected' | 'disconnected';
  readonly serverName?: string;
}

type Listener = (update: ConnectionUpdate) => void;

const listeners = new Set<Listener>();

/** Fans the WebSocket event out to every mounted view (the registry takes one handler per event). */
export function publishConnectionUpdate(update: ConnectionUpdate): void {
  for (const listener of [...listeners]) listener(update);
}

export function subscribeConnectionUpdates(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}
