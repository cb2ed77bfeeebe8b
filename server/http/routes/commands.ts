import { Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { MM_USER_ID_HEADER } from '../../config/schema.js';
import type { ClientManager } from '../../mcp/index.js';
import { McpCommand } from '../../mattermost/mcp-command.js';
import type { MattermostSurfaces } from '../../mattermost/surfaces.js';
import { requireUser, userIdOf } from '../authentication.js';
import { badRequest } from '../errors.js';

/** The part of Mattermost's `model.CommandArgs` JSON the command reads. */
const CommandArgsBody = z.object({
  user_id: z.string().min(1, 'is required'),
  command: z.string().max(4000, 'is too long'),
  channel_id: z.string().optional(),
  team_id: z.string().optional(),
  root_id: z.string().optional(),
  site_url: z.string().optional(),
});

/** `ExecuteCommand` hook: the shim forwards `/mcp …` with the user in both the body and the header. */
export function commandsRouter(manager: ClientManager, surfaces: MattermostSurfaces, logger: Logger): Router {
  const command = new McpCommand({
    manager,
    logger,
    ...(surfaces.connections ? { connections: surfaces.connections } : {}),
    ...(surfaces.siteURL ? { siteURL: surfaces.siteURL } : {}),
    ...(surfaces.shim ? { agentsBridge: surfaces.shim.getAgentsBridge.bind(surfaces.shim) } : {}),
  });
  const router = Router();

  router.post('/hooks/ExecuteCommand', requireUser(), async (req, res) => {
    const parsed = CommandArgsBody.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw badRequest(`CommandArgs field ${issue.path.join('.') || '(root)'}: ${issue.message}.`);
    }
    if (parsed.data.user_id !== userIdOf(res.locals))
      throw badRequest(`CommandArgs field user_id does not match ${MM_USER_ID_HEADER}.`);
    res.json(await command.execute(parsed.data));
  });

  return router;
}
