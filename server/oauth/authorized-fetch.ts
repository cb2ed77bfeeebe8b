import type { ServerConfig } from '../config/schema.js';
import type { FetchLike } from '../outbound/index.js';
import { unionScopes } from './authorization-request.js';
import { AuthorizationSetupError } from './callback-errors.js';
import { OAuthNeededError, TokenUnavailableError } from './errors.js';
import type { TokenVault } from './token-vault.js';
import { parseBearerChallenge, type BearerChallenge } from './www-authenticate.js';

/** What the server's challenge tells the next authorization: where its metadata is, which scope it wants. */
export interface AuthorizationHint {
  readonly resourceMetadataURL?: string;
  readonly scope?: string;
}

export interface AuthorizedFetchOptions {
  readonly userId: string;
  readonly server: ServerConfig;
  readonly vault: TokenVault;
  /** Builds the Connect URL for an `OAuthNeededError`. */
  readonly connectURL: (hint: AuthorizationHint) => Promise<string>;
}

/**
 * Adds the user's bearer token to every request to the MCP server. A 401 refreshes the token once
 * and retries; if that does not help, the request fails with `OAuthNeededError` carrying a Connect
 * URL. A 403 `insufficient_scope` asks for a new authorization with the union of the scopes (step-up).
 */
export function authorizedFetch(base: FetchLike, options: AuthorizedFetchOptions): FetchLike {
  const { userId, server, vault } = options;
  const connectURL = async (hint: AuthorizationHint): Promise<string> => {
    try {
      return await options.connectURL(hint);
    } catch (error) {
      throw new AuthorizationSetupError(server.name, error);
    }
  };
  const send = (url: string | URL, init: RequestInit | undefined, token: string | undefined) => {
    const headers = new Headers(init?.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    return base(url, { ...init, headers });
  };
  // The store or the authorization server failing is not the user's doing: keep the tokens, say so, try later.
  const tokenFor = async (rejected?: string): Promise<string | undefined> => {
    try {
      return await vault.accessToken(userId, server, rejected);
    } catch (error) {
      throw new TokenUnavailableError(server.name, error);
    }
  };
  return async (url, init) => {
    // Whether the server wants a token at all shows only in its answer: a server that needs none keeps working
    // while the store or the authorization server is down; one that does gets told why there is none.
    let unavailable: TokenUnavailableError | undefined;
    let token = await tokenFor().catch((error: TokenUnavailableError) => void (unavailable = error));
    let response = await send(url, init, token);
    if (response.status === 401 && unavailable) {
      await response.body?.cancel().catch(() => undefined);
      throw unavailable;
    }
    if (response.status === 401 && token) {
      const fresh = await tokenFor(token).catch(async (error: unknown) => {
        await response.body?.cancel().catch(() => undefined);
        throw error;
      });
      if (fresh && fresh !== token) {
        await response.body?.cancel().catch(() => undefined);
        token = fresh;
        response = await send(url, init, token);
      }
    }
    if (response.status === 401) {
      const challenge = challengeOf(response);
      await response.body?.cancel().catch(() => undefined);
      throw new OAuthNeededError(server.name, await connectURL(hintFrom(challenge)));
    }
    if (response.status === 403) {
      const challenge = challengeOf(response);
      if (challenge?.error === 'insufficient_scope') {
        await response.body?.cancel().catch(() => undefined);
        const granted = (await vault.get(userId, server.name).catch(() => undefined))?.tokens.scope;
        throw new OAuthNeededError(
          server.name,
          await connectURL({ ...hintFrom(challenge), scope: unionScopes(granted, challenge.scope) }),
        );
      }
    }
    return response;
  };
}

function challengeOf(response: Response): BearerChallenge | undefined {
  try {
    return parseBearerChallenge(response.headers.get('www-authenticate'));
  } catch {
    return undefined; // an oversized or broken challenge still means "authorize"
  }
}

function hintFrom(challenge: BearerChallenge | undefined): AuthorizationHint {
  return {
    ...(challenge?.resource_metadata && { resourceMetadataURL: challenge.resource_metadata }),
    ...(challenge?.scope && { scope: challenge.scope }),
  };
}
