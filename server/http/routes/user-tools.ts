import { Router } from 'express';
import type { ClientManager } from '../../mcp/index.js';
import type { ServerState } from '../../mcp/index.js';
import { z } from 'zod';
import { userIdOf } from '../authentication.js';
import { HttpError, badRequest } from '../errors.js';

const SwitchBody = z.object({ enabled: z.boolean({ message: 'must be true or false' }) });

/** `GET /mcp/tools` row, shaped like the Go plugin's (authenticated / needsOAuth / authURL) plus status and error. */
export interface ServerStatusView {
  readonly name: string;
  readonly serverOrigin: string;
  readonly status: ServerState['status'];
  readonly authenticated: boolean;
  readonly needsOAuth: boolean;
  /** The user switched this server off for themselves (the panel's switch, `/mcp disable`). */
  readonly switchedOff: boolean;
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
    switchedOff: state.status === 'switched_off',
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
    const servers = await Promise.all(
      states.map(async (state) => {
        const view = toStatusView(state);
        const viaOAuth =
          state.status === 'connected' && connections ? await connections.hasTokens(userId, state.serverName) : false;
        return viaOAuth ? { ...view, needsOAuth: true } : view;
      }),
    );
    res.json({ servers });
  });

  // The panel's switch: the user's own choice for one configured, enabled server, kept in the store.
  router.put('/mcp/servers/:server/enabled', async (req, res) => {
    const parsed = SwitchBody.safeParse(req.body);
    if (!parsed.success)
      throw badRequest(`Body field enabled: ${parsed.error.issues[0]!.message}. Expected {"enabled": boolean}.`);
    const name = req.params.server.toLowerCase();
    const server = manager.currentConfig.servers.find((s) => s.enabled && s.name.toLowerCase() === name);
    if (!server)
      throw new HttpError(
        'not_found',
        'ERR_MCP_SERVER_NOT_AVAILABLE',
        `There is no enabled MCP server named ${req.params.server}.`,
      );
    await manager.setServerSwitchedOff(userIdOf(res.locals), server.name, !parsed.data.enabled);
    res.json({ name: server.name, enabled: parsed.data.enabled });
  });
  return router;
}
