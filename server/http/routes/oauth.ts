import { Router, type Response } from 'express';
import type { Logger } from 'pino';
import { MM_USER_ID_HEADER, type ServerConfig } from '../../config/schema.js';
import type { ClientManager } from '../../mcp/index.js';
import { describeError } from '../../mcp/index.js';
import { ClientRejectedError, MixUpError, ServerChangedError, UnknownStateError } from '../../oauth/index.js';
import {
  AuthorizationResponseError,
  AuthorizationServerUnavailableError,
  IssuerMismatchError,
  OAuthNetworkError,
  OAuthTokenError,
  PinnedIssuerError,
  StateMismatchError,
} from '../../oauth/index.js';
import { StoreError } from '../../store/index.js';
import type { OAuthManager } from '../../oauth/index.js';
import type { ErrorCategory } from '../../errors/plugin-error.js';
import { HttpError, statusOf } from '../errors.js';
import { connectedPage, failedPage, nothingToConnectPage, PAGE_HEADERS } from '../pages.js';

const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The browser side of per-user OAuth: the start URL behind Connect buttons, the redirect URI,
 * disconnect, and this client's metadata document (SEP-991).
 */
export function oauthRouter(manager: ClientManager, oauth: OAuthManager, logger: Logger): Router {
  const router = Router();
  const enabledServer = (name: string): ServerConfig | undefined =>
    manager.currentConfig.enabled ? manager.currentConfig.servers.find((s) => s.name === name && s.enabled) : undefined;
  const userOf = (res: Response): string | undefined => {
    const id = res.req.header(MM_USER_ID_HEADER);
    return id && USER_ID.test(id) ? id : undefined;
  };
  const fail = (res: Response, category: ErrorCategory, message: string) =>
    res.status(statusOf(category)).set(PAGE_HEADERS).type('html').send(failedPage(message));

  router.get('/mcp/oauth/:serverName/start', async (req, res) => {
    const userId = userOf(res);
    if (!userId) return fail(res, 'unauthenticated', 'Log in to Mattermost in this browser, then use Connect again.');
    const server = enabledServer(req.params.serverName);
    if (!server) return fail(res, 'not_found', `There is no enabled MCP server named "${req.params.serverName}".`);
    try {
      // Scope and metadata come from the server's own challenge, never from this URL: any page can link here.
      let hint = oauth.challengeFor(userId, server.name);
      if (!hint) {
        // Not challenged on this sidecar yet (or another replica drew the link): ask the server as this user.
        const state = (await manager.getServerStatesForUser(userId)).find((s) => s.serverName === server.name);
        hint = oauth.challengeFor(userId, server.name);
        if (!hint && state?.status === 'connected' && !(await oauth.hasTokens(userId, server.name))) {
          return res.status(200).set(PAGE_HEADERS).type('html').send(nothingToConnectPage(server.name));
        }
        if (!hint && state?.status !== 'connected' && state?.status !== 'needs_oauth') {
          logger.warn({ userId, server: server.name, reason: state?.error }, 'Connect on a server that is unavailable');
          return fail(
            res,
            'upstream',
            `${server.name} is unavailable right now and did not ask you to sign in, so there is nothing to connect yet. Try again later; tell a system admin if it persists.`,
          );
        }
      }
      const url = await oauth.beginAuthorization(userId, server, hint ?? {});
      return res.redirect(302, url);
    } catch (error) {
      logger.warn({ userId, server: server.name, reason: describeError(error) }, 'could not start authorization');
      if (error instanceof StoreError) return fail(res, 'unavailable', STORE_DOWN);
      // What remote servers answered stays in the log: their bodies are never shown to users.
      return fail(
        res,
        'upstream',
        error instanceof PinnedIssuerError
          ? error.message
          : `Could not start connecting your account to ${server.name}. Try again in a few minutes; if it keeps failing, tell a system admin (the plugin's log says why).`,
      );
    }
  });

  router.get('/oauth/callback', async (req, res) => {
    const userId = userOf(res);
    if (!userId) return fail(res, 'unauthenticated', 'Log in to Mattermost in this browser, then use Connect again.');
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(req.query)) if (typeof value === 'string') params.set(name, value);
    try {
      const { serverName } = await oauth.completeAuthorization(userId, params, enabledServer);
      return res.status(200).set(PAGE_HEADERS).type('html').send(connectedPage(serverName));
    } catch (error) {
      const { category, message } = callbackFailure(error);
      logger.info({ userId, status: statusOf(category), reason: describeError(error) }, 'OAuth callback refused');
      return fail(res, category, message);
    }
  });

  router.delete('/mcp/oauth/:serverName', async (req, res) => {
    const userId = userOf(res);
    if (!userId) throw new HttpError('unauthenticated', 'ERR_NO_USER', `Missing ${MM_USER_ID_HEADER}.`);
    const server = manager.currentConfig.servers.find((s) => s.name === req.params.serverName);
    if (!server)
      throw new HttpError(
        'not_found',
        'ERR_MCP_SERVER_NOT_AVAILABLE',
        `There is no MCP server named "${req.params.serverName}".`,
      );
    const { revoked } = await oauth.disconnect(userId, server);
    manager.invalidateUser(userId, server.name);
    return res.json({ serverName: server.name, revoked });
  });

  router.get('/oauth/client-metadata.json', (_req, res) => {
    res.json({
      client_id:
        oauth.clientMetadataURL ?? `${oauth.callbackURL.replace(/\/oauth\/callback$/, '')}/oauth/client-metadata.json`,
      client_name: 'Mattermost MCP',
      redirect_uris: [oauth.callbackURL],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
  });

  return router;
}

/** An RFC 6749 error code, shown only when it looks like one (it comes from the authorization server). */
function errorCode(code: string): string {
  return /^[a-z_]{1,40}$/.test(code) ? ` (${code})` : '';
}

const STORE_DOWN =
  'The plugin’s storage is unavailable right now, so nothing was changed. Use Connect again in a minute.';

/**
 * What the browser is told when the callback fails, and as what sort of failure (its status comes from
 * `statusOf`). Here the redirect is the request: what it carries, `iss` included (RFC 9207), is the request's
 * content; an authorization server that did not answer the exchange failed it, whether or not its breaker is open.
 */
function callbackFailure(error: unknown): { category: ErrorCategory; message: string } {
  if (error instanceof AuthorizationResponseError) {
    return error.oauthError.error === 'access_denied'
      ? {
          category: 'invalid_input',
          message:
            'You declined the authorization, so the account was not connected. Use Connect again if you change your mind.',
        }
      : {
          category: 'invalid_input',
          message: `The authorization server refused${errorCode(error.oauthError.error)}. Use Connect again.`,
        };
  }
  if (
    error instanceof UnknownStateError ||
    error instanceof ServerChangedError ||
    error instanceof StateMismatchError ||
    error instanceof IssuerMismatchError ||
    error instanceof MixUpError
  ) {
    return { category: 'invalid_input', message: error.message };
  }
  if (error instanceof ClientRejectedError) return { category: 'upstream', message: error.message };
  // The authorization server's own words (error_description, an error page) stay in the log.
  if (error instanceof OAuthTokenError)
    return {
      category: 'upstream',
      message: `The authorization server refused to complete the connection${errorCode(error.oauthError.error)}. Use Connect again; tell a system admin if it keeps failing.`,
    };
  if (error instanceof OAuthNetworkError || error instanceof AuthorizationServerUnavailableError) {
    return {
      category: 'upstream',
      message: `The authorization server did not answer, so the account was not connected (${error.message}) Use Connect again in a minute.`,
    };
  }
  if (error instanceof StoreError) return { category: 'unavailable', message: STORE_DOWN };
  return { category: 'internal', message: 'The connection could not be completed; try again from Mattermost.' };
}
