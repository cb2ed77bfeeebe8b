import { Router } from 'express';
import type { ClientManager } from '../../mcp/index.js';
import type { ServerState } from '../../mcp/index.js';
import { serverListItems } from '../../mattermost/autocomplete.js';
import { requireUser, userIdOf } from '../authentication.js';

/** Suggestions must come back while the user types; slower servers show as "checking" this time. */
const STATUS_WAIT_MS = 2_000;

/** The dynamic list Mattermost fetches for `/mcp connect|disconnect <server>` (a `FetchURL` plugin route). */
export function autocompleteRouter(manager: ClientManager): Router {
  const router = Router();
  router.get('/autocomplete/servers', requireUser(), async (_req, res) => {
    const config = manager.currentConfig;
    if (!config.enabled) {
      res.json([]);
      return;
    }
    const states = await settledWithin(manager.getServerStatesForUser(userIdOf(res.locals)), STATUS_WAIT_MS);
    res.json(serverListItems(config.servers, states));
  });
  return router;
}

/** The states if they arrive in time; the connections go on and serve the next keystroke. */
async function settledWithin(states: Promise<ServerState[]>, ms: number): Promise<ServerState[] | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([states.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
