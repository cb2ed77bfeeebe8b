import { Router, type RequestHandler } from 'express';
import { ServerConfigSchema } from '../../config/schema.js';
import { maskSecrets, restoreMaskedServer } from '../../config/secret-mask.js';
import type { ClientManager } from '../../mcp/index.js';
import { discoverEnabledServerRows, discoverServerRow } from '../../mattermost/admin-tools.js';
import type { AdminCheck } from '../../mattermost/system-admin.js';
import type { MattermostSurfaces } from '../../mattermost/surfaces.js';
import { requireUser, userIdOf } from '../authentication.js';
import { HttpError, badRequest } from '../errors.js';

/** System-console routes: every enabled server's tools as the admin sees them, and a trial discovery. */
export function adminRouter(manager: ClientManager, surfaces: MattermostSurfaces): Router {
  const router = Router();
  const admin = [requireUser(), requireSystemAdmin(surfaces.adminCheck)];

  router.get('/admin/mcp/tools', ...admin, async (_req, res) => {
    const servers = await discoverEnabledServerRows(manager.currentConfig, userIdOf(res.locals), surfaces.discover);
    res.json({ servers });
  });

  // The console's server list: Mattermost masks the whole Config setting (a secret), so it reads it here, with
  // each header value and client secret masked instead (server/config/secret-mask.ts).
  router.get('/admin/mcp/config', ...admin, (_req, res) => {
    res.json({ config: maskSecrets(manager.currentConfig) });
  });

  // The console's "Discover tools" button: an unsaved server config, validated like a saved one; values the
  // console sent masked are the saved ones.
  router.post('/admin/mcp/discover', ...admin, async (req, res) => {
    const parsed = ServerConfigSchema.safeParse(restoreMaskedServer(req.body, manager.currentConfig));
    if (!parsed.success) {
      const fields = parsed.error.issues.map(
        (issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`,
      );
      throw badRequest(`Invalid server config: ${fields.join('; ')}`);
    }
    res.json(await discoverServerRow(parsed.data, userIdOf(res.locals), surfaces.discover));
  });

  return router;
}

/** 403 unless Mattermost says the user is a system admin; 503 when it cannot say (fail closed). */
function requireSystemAdmin(check: AdminCheck | undefined): RequestHandler {
  return async (_req, res, next) => {
    if (!check) {
      throw new HttpError(
        'unavailable',
        'ERR_MATTERMOST_UNAVAILABLE',
        'Cannot check that you are a system admin: the sidecar has no Mattermost REST access (MCP_MATTERMOST_URL and MCP_MATTERMOST_TOKEN are unset).',
      );
    }
    // Throws MattermostUnavailableError (503) when Mattermost cannot tell.
    const isAdmin = await check.isSystemAdmin(userIdOf(res.locals));
    if (!isAdmin)
      throw new HttpError('forbidden', 'ERR_NOT_SYSTEM_ADMIN', 'You must be a system admin to use this route.');
    next();
  };
}
