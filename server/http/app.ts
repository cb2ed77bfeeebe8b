import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { ClientManager } from '../mcp/index.js';
import type { MattermostSurfaces } from '../mattermost/surfaces.js';
import type { Metrics } from '../observability/metrics.js';
import {
  admitPluginCallers,
  requireInternalChannel,
  requireMcpEndpointCaller,
  requireSidecarSecret,
  requireUser,
} from './authentication.js';
import { CallerSettingsHolder } from './caller-settings.js';
import { errorHandler, HttpError } from './errors.js';
import { connectNotifier } from '../mcp-endpoint/connect-notice.js';
import { MCP_ENDPOINT_PATH, mcpEndpointRouter, unreadableJsonRpcBody } from '../mcp-endpoint/endpoint-router.js';
import { adminRouter } from './routes/admin.js';
import { autocompleteRouter } from './routes/autocomplete.js';
import { botToolsRouter } from './routes/bot-tools.js';
import { commandsRouter } from './routes/commands.js';
import { hooksRouter, type ConfigPublisher } from './routes/hooks.js';
import { oauthRouter } from './routes/oauth.js';
import type { OAuthManager } from '../oauth/index.js';
import { userToolsRouter } from './routes/user-tools.js';

/** The largest tool-call body (REST and the MCP endpoint) the sidecar reads. */
export const TOOL_CALL_BODY_LIMIT = 16 * 1024 * 1024;

export interface AppDeps {
  readonly manager: ClientManager;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly secret: string;
  /** The slash command, autocomplete and admin routes' view of Mattermost (none: admin routes answer 503). */
  readonly mattermost?: MattermostSurfaces;
  /** Per-user OAuth (start, callback, disconnect routes); without it servers needing OAuth report an error. */
  readonly oauth?: OAuthManager;
  /** Shares configs pushed to this replica with the others (with a store; see `server/config/config-sync.ts`). */
  readonly configPublisher?: ConfigPublisher;
  /** Who may call besides browsers; the sidecar shares it with `ConfigSync` so pushes to other replicas reach it. */
  readonly callers?: CallerSettingsHolder;
}

/**
 * The sidecar's HTTP surface. Every route needs the shim's secret (or, for hooks, health and metrics,
 * only the internal credential derived from it); user routes also need the `X-Mattermost-UserID` the
 * shim set from Mattermost's session or a trusted plugin's request.
 */
export function createApp({
  manager,
  metrics,
  logger,
  secret,
  mattermost = { discover: { logger } },
  oauth,
  configPublisher,
  callers = new CallerSettingsHolder(),
}: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', false);
  app.use(requireSidecarSecret(secret));
  // The shim reaches these with its internal credential only; a request it proxied is refused before its body is read.
  app.use(['/hooks', '/healthz', '/metrics'], requireInternalChannel());
  app.use(
    admitPluginCallers(callers, [
      ['all', MCP_ENDPOINT_PATH],
      ['get', '/api/v1/tools'],
      ['post', '/api/v1/tools/call'],
    ]),
  );
  // Tool calls carry the model's arguments: up to 16 MiB, the bound of an answer from an MCP server; 1 MiB elsewhere.
  app.use([MCP_ENDPOINT_PATH, '/api/v1/tools/call'], express.json({ limit: TOOL_CALL_BODY_LIMIT }));
  app.use(express.json({ limit: '1mb' }));
  app.use(MCP_ENDPOINT_PATH, unreadableJsonRpcBody);
  // Applied from every push, even one whose server list is refused: they are settings of their own.
  app.post('/hooks/OnConfigurationChange', (req, _res, next) => {
    callers.apply(req.body?.settings);
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', ...manager.stats() });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(hooksRouter(manager, metrics, logger, configPublisher, oauth));
  app.use(commandsRouter(manager, mattermost, logger));
  app.use(autocompleteRouter(manager));
  app.use(adminRouter(manager, mattermost));
  if (oauth) app.use(oauthRouter(manager, oauth, logger));

  app.use(
    mcpEndpointRouter(
      { manager, metrics, logger, siteURL: mattermost.siteURL, notify: connectNotifier(mattermost.shim, logger) },
      requireMcpEndpointCaller(callers),
    ),
  );

  const user = express.Router();
  user.use(requireUser());
  user.use(botToolsRouter(manager, metrics));
  user.use(userToolsRouter(manager, oauth));
  app.use(user);

  app.use((req, _res, next) =>
    next(new HttpError('not_found', 'ERR_NOT_FOUND', `No route for ${req.method} ${req.path}.`)),
  );
  app.use(errorHandler(logger));
  return app;
}
