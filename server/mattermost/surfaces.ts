import type { Logger } from 'pino';
import type { ClientAuthHooks, DiscoverDeps } from '../mcp/index.js';
import type { FetchLike } from '../outbound/index.js';
import type { ConnectionActions } from './connection-actions.js';
import { ShimChannel } from './shim-channel.js';
import { SystemAdminCheck, type AdminCheck } from './system-admin.js';

/** How the sidecar reaches Mattermost (docs/sidecar-protocol.md); every part is optional. */
export interface MattermostOptions {
  /** Mattermost's REST base URL (`MCP_MATTERMOST_URL`); with `restToken`, enables the admin routes. */
  readonly restURL?: string;
  /** A bot access token the shim creates (`MCP_MATTERMOST_TOKEN`). */
  readonly restToken?: string;
  /** The shim's reverse channel (`MCP_SHIM_URL`). */
  readonly shimURL?: string;
  /** `ServiceSettings.SiteURL` (`MCP_SITE_URL`): makes Connect links in posts absolute. */
  readonly siteURL?: string;
  /** The OAuth layer's stored connections, for `/mcp disconnect`. */
  readonly connections?: ConnectionActions;
}

/** What the command, autocomplete and admin routes use. */
export interface MattermostSurfaces {
  /** Absent without REST access: the admin routes then answer 503. */
  readonly adminCheck?: AdminCheck;
  readonly connections?: ConnectionActions;
  readonly shim?: ShimChannel;
  readonly siteURL?: string;
  /** How the admin's discovery connects: the same fetch and OAuth hooks as the users' clients. */
  readonly discover: DiscoverDeps;
}

export interface SurfaceContext {
  readonly secret: string;
  readonly logger: Logger;
  readonly fetch?: FetchLike;
  readonly auth?: ClientAuthHooks;
}

export function createMattermostSurfaces(options: MattermostOptions = {}, context: SurfaceContext): MattermostSurfaces {
  const { logger } = context;
  const adminCheck =
    options.restURL && options.restToken
      ? new SystemAdminCheck({ url: options.restURL, token: options.restToken })
      : undefined;
  if (!adminCheck)
    logger.info('no Mattermost REST access (MCP_MATTERMOST_URL, MCP_MATTERMOST_TOKEN): the admin routes answer 503');
  return {
    ...(adminCheck ? { adminCheck } : {}),
    ...(options.connections ? { connections: options.connections } : {}),
    ...(options.shimURL ? { shim: new ShimChannel({ url: options.shimURL, secret: context.secret }) } : {}),
    ...(options.siteURL ? { siteURL: options.siteURL } : {}),
    discover: {
      logger,
      ...(context.fetch ? { fetch: context.fetch } : {}),
      ...(context.auth ? { auth: context.auth } : {}),
    },
  };
}

/** Reads the options from the sidecar's environment; `MCP_MATTERMOST_URL` defaults to `MCP_SITE_URL`. */
export function mattermostOptionsFromEnv(env: NodeJS.ProcessEnv): MattermostOptions {
  const value = (name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);
  const restURL = value('MCP_MATTERMOST_URL') ?? value('MCP_SITE_URL');
  const restToken = value('MCP_MATTERMOST_TOKEN');
  const shimURL = value('MCP_SHIM_URL');
  const siteURL = value('MCP_SITE_URL');
  return {
    ...(restURL ? { restURL } : {}),
    ...(restToken ? { restToken } : {}),
    ...(shimURL ? { shimURL } : {}),
    ...(siteURL ? { siteURL } : {}),
  };
}
