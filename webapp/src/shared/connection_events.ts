/** `custom_<plugin id>_mcp_connection_updated` payload (the sidecar sends it to one user). */
export interface ConnectionUpdate {
  readonly status?: 'connected' | 'disconnected';
  readonly serverName?: string;
}

/** `custom_<plugin id>_mcp_connect_needed` payload: a tool call of the AI bot needs the user's account. */
export interface ConnectNeeded {
  readonly serverName?: string;
  readonly authURL?: string;
}

/** Fans a WebSocket event out to every mounted view (the registry takes one handler per event). */
function fanOut<T>() {
  const listeners = new Set<(value: T) => void>();
  return {
    publish(value: T): void {
      for (const listener of [...listeners]) listener(value);
    },
    subscribe(listener: (value: T) => void): () => void {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

const updates = fanOut<ConnectionUpdate>();
const connectNeeded = fanOut<ConnectNeeded>();

export const publishConnectionUpdate = updates.publish;
export const subscribeConnectionUpdates = updates.subscribe;
export const publishConnectNeeded = connectNeeded.publish;
export const subscribeConnectNeeded = connectNeeded.subscribe;
