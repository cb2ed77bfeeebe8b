import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler, type Response } from 'express';
import { MM_USER_ID_HEADER } from '../config/schema.js';
import type { CallerSettingsSource } from './caller-settings.js';
import { HttpError } from './errors.js';

/** The plugin a PluginHTTP request came from; the shim sets it only from Mattermost's own `Mattermost-Plugin-ID`. */
export const PLUGIN_CALLER_HEADER = 'X-Mattermost-Plugin-Caller';

/** Mattermost ids are 26 lower-case base32 characters; accept a little more for tests and bots. */
const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The HMAC message that derives the internal credential from the secret (docs/sidecar-protocol.md). */
const INTERNAL_ROUTES_LABEL = 'mattermost-mcp internal routes v1';

/**
 * What opens the internal routes (`/hooks/*`, `/healthz`, `/metrics`): hex(HMAC-SHA256(key = secret,
 * message = "mattermost-mcp internal routes v1")). The shim's proxy always sends the secret itself,
 * so nothing a browser or another plugin sends through Mattermost can carry this value.
 */
export function internalCredential(secret: string): string {
  return createHmac('sha256', secret).update(INTERNAL_ROUTES_LABEL).digest('hex');
}

/**
 * Which credential a request carried: `proxied` (the secret: Mattermost handed the request to the shim) or `internal`.
 */
export type ShimChannel = 'proxied' | 'internal';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Accepts only requests carrying `Authorization: Bearer <secret>` or `Bearer <internal credential>`
 * (compared in constant time), and records which in `res.locals.channel`: without either nobody may
 * claim to be a Mattermost user.
 */
export function requireSidecarSecret(secret: string): RequestHandler {
  const proxied = digest(secret);
  const internal = digest(internalCredential(secret));
  return (req, res, next) => {
    const match = /^Bearer (.+)$/.exec(req.header('authorization') ?? '');
    const presented = match ? digest(match[1]!) : undefined;
    // Both comparisons run whatever the first answers.
    const isProxied = presented !== undefined && timingSafeEqual(presented, proxied);
    const isInternal = presented !== undefined && timingSafeEqual(presented, internal);
    if (!isProxied && !isInternal) {
      next(new HttpError('unauthenticated', 'ERR_SIDECAR_SECRET', 'Missing or wrong sidecar secret.'));
      return;
    }
    res.locals.channel = (isInternal ? 'internal' : 'proxied') satisfies ShimChannel;
    next();
  };
}

/** Guards the shim's own routes: a request the shim proxied from Mattermost never reaches them. */
export function requireInternalChannel(): RequestHandler {
  return (req, res, next) => {
    if (res.locals.channel !== 'internal') {
      next(
        new HttpError(
          'forbidden',
          'ERR_INTERNAL_ROUTE',
          `${req.method} ${req.path} is the shim's own route; it is not reachable through Mattermost.`,
        ),
      );
      return;
    }
    next();
  };
}

/** The user the trusted shim says the request is for; 401 without one. */
export function requireUser(): RequestHandler {
  return (req, res, next) => {
    const userId = req.header(MM_USER_ID_HEADER);
    if (!userId || !USER_ID.test(userId)) {
      next(
        new HttpError(
          'unauthenticated',
          'ERR_NO_USER',
          `Missing or malformed ${MM_USER_ID_HEADER}: log in to Mattermost.`,
        ),
      );
      return;
    }
    res.locals.userId = userId;
    next();
  };
}

export function userIdOf(locals: Record<string, unknown>): string {
  return locals.userId as string;
}

/** The calling plugin of a PluginHTTP request, once admitted (undefined for browser and REST callers). */
export function pluginCallerOf(locals: Record<string, unknown>): string | undefined {
  return locals.pluginCaller as string | undefined;
}

function untrusted(plugin: string): HttpError {
  return new HttpError(
    'forbidden',
    'ERR_PLUGIN_NOT_TRUSTED',
    `The plugin "${plugin}" may not call MCP Tools. A system admin can add its id to Trusted plugin IDs in System Console > Plugins > MCP Tools.`,
  );
}

/** Admits a request from another plugin only when the plugin is trusted; records it in `res.locals.pluginCaller`. */
function checkPluginCaller(res: Response, settings: CallerSettingsSource): HttpError | undefined {
  const plugin = res.req.header(PLUGIN_CALLER_HEADER);
  if (plugin === undefined) return undefined;
  if (!settings.current.trustedPluginIds.has(plugin)) return untrusted(plugin);
  res.locals.pluginCaller = plugin;
  return undefined;
}

/**
 * The sidecar's own check of inter-plugin requests, whatever the shim let through: a request naming a
 * plugin not in `trustedpluginids` is refused on every route, and a trusted plugin reaches only the
 * routes listed (the AI bot's). The routes are matched by an express router, so exactly as the app
 * matches them.
 */
export function admitPluginCallers(
  settings: CallerSettingsSource,
  routes: ReadonlyArray<readonly ['get' | 'post' | 'all', string]>,
): Router {
  const router = Router();
  for (const [method, path] of routes) {
    router[method](path, (_req, res, next) => {
      res.locals.pluginRoute = true;
      next();
    });
  }
  router.use((req, res, next) => {
    const refused = checkPluginCaller(res, settings);
    if (refused) return next(refused);
    if (pluginCallerOf(res.locals) !== undefined && res.locals.pluginRoute !== true) {
      return next(
        new HttpError(
          'forbidden',
          'ERR_PLUGIN_ROUTE',
          `Other plugins may not call ${req.method} ${req.path}; they may call ${routes.map(([m, p]) => (m === 'all' ? p : `${m.toUpperCase()} ${p}`)).join(', ')}.`,
        ),
      );
    }
    next();
  });
  return router;
}

/**
 * Who may use the MCP endpoint (`POST /api/v1/mcp`): a trusted plugin (the AI bot) acting for the user
 * it names, or, only when `externalmcpclients` is on, a user's own MCP client that Mattermost
 * authenticated (a personal access token). Either way there must be a user: it is `res.locals.userId`
 * afterwards, and the plugin `res.locals.pluginCaller`. Refusals: 403 ERR_PLUGIN_NOT_TRUSTED,
 * 403 ERR_EXTERNAL_CLIENTS_OFF, 401 ERR_NO_USER.
 */
export function requireMcpEndpointCaller(settings: CallerSettingsSource): RequestHandler {
  const user = requireUser();
  return (req, res, next) => {
    const refused = checkPluginCaller(res, settings);
    if (refused) return next(refused);
    if (pluginCallerOf(res.locals) === undefined && !settings.current.externalMcpClients) {
      return next(
        new HttpError(
          'forbidden',
          'ERR_EXTERNAL_CLIENTS_OFF',
          'MCP clients outside Mattermost are turned off. A system admin can turn on External MCP clients in System Console > Plugins > MCP Tools.',
        ),
      );
    }
    user(req, res, next);
  };
}
