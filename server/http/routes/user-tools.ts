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

/** The signed-in user's view of every enabled server (the webapp's Connect buttons read this). */
export function userToolsRouter(manager: ClientManager): Router {
  const router = Router();
  router.get('/mcp/tools', async (_req, res) => {
    const states = await manager.getServerStatesForUser(userIdOf(res.locals));
    res.json({ servers: states.map(toStatusView) });
  });
  return router;
}
