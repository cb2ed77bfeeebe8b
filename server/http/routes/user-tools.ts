import { Router } from 'express';
import type { ClientManager } from '../../mcp/client-manager.js';
import type { ServerState } from '../../mcp/types.js';
import { userIdOf } from '../authentication.js';

/** `GET /mcp/tools` row, shaped like the Go plugin's (authenticated / needsOAuth / authURL) plus status and error. */
export interface ServerStatusView {
  readonly name: string;
  readonly serverOrigin: string;
  readonly status: ServerState['status'];
  readonly authenticated: boolean;
  readonly needsOAuth: boolean;
  readonly authURL?: string;
  readonly error?: string;
  readonly tools: ReadonlyArray<{ name: string; exposedName: string; description: string; enabled: boolean }>;
}

export function toStatusView(state: ServerState): ServerStatusView {
  return {
    name: state.serverName,
    serverOrigin: state.serverOrigin,
    status: state.status,
    authenticated: state.status === 'connected',
    needsOAuth: state.status === 'needs_oauth',
    ...(state.authURL ? { authURL: state.authURL } : {}),
    ...(state.error && state.status !== 'needs_oauth' ? { error: state.error } : {}),
    tools: [...state.tools]
      .sort((a, b) => a.toolName.localeCompare(b.toolName))
      .map((t) => ({ name: t.toolName, exposedName: t.name, description: t.description, enabled: true })),
  };
}

/** Whether the user holds an OAuth connection to a server (then a connected row offers Disconnect). */
export interface StoredConnections {
  hasTokens(userId: string, serverName: string): Promise<boolean>;
}

/**
 * The signed-in user's view of every enabled server (the webapp's Connect buttons read this). As in
 * the Go plugin, `needsOAuth` and `authenticated` together mean "connected through OAuth".
 */
export function userToolsRouter(manager: ClientManager, connections?: StoredConnections): Router {
  const router = Router();
  router.get('/mcp/tools', async (_req, res) => {
    const userId = userIdOf(res.locals);
    const states = await manager.getServerStatesForUser(userId);
    const servers = await Promise.all(states.map(async (state) => {
      const view = toStatusView(state);
      const viaOAuth = state.status === 'connected' && connections ? await connections.hasTokens(userId, state.serverName) : false;
      return viaOAuth ? { ...view, needsOAuth: true } : view;
    }));
    res.json({ servers });
  });
  return router;
}
