/**
 * The whole discovery for one MCP server: RFC 9728 protected resource metadata, then RFC 8414 /
 * OIDC metadata of its authorization server; without protected resource metadata, the MCP
 * 2025-03-26 fallback (metadata at the server's origin, else `/authorize`, `/token`, `/register`).
 */
import { MetadataNotFoundError, PinnedIssuerError, type MetadataAttempt } from './errors.js';
import { sameURL } from './http.js';
import {
  defaultAuthorizationServerMetadata,
  discoverAuthorizationServerMetadata,
  type AuthorizationServerMetadata,
  type AuthorizationServerMetadataOptions,
} from './authorization-server-metadata.js';
import {
  discoverProtectedResourceMetadata,
  type ProtectedResourceMetadata,
  type ProtectedResourceMetadataOptions,
} from './protected-resource-metadata.js';

export type DiscoverySource =
  /** RFC 9728 metadata named the authorization server (the current MCP specification). */
  | 'protected-resource-metadata'
  /** No RFC 9728 metadata; RFC 8414 / OIDC metadata at the MCP server's origin (MCP 2025-03-26). */
  | 'legacy-metadata'
  /** No metadata at all; the 2025-03-26 default endpoints on the MCP server's origin. */
  | 'legacy-default-endpoints';

/** Everything the authorization flow needs to know about a server; safe to cache per server. */
export interface AuthorizationDiscovery {
  readonly serverURL: string;
  readonly source: DiscoverySource;
  readonly resourceMetadata?: ProtectedResourceMetadata;
  readonly resourceMetadataURL?: string;
  /** The issuer the client registration and tokens belong to. */
  readonly issuer: string;
  readonly authorizationServer: AuthorizationServerMetadata;
  /** Where the authorization server metadata was read; undefined for the default endpoints. */
  readonly authorizationServerMetadataURL?: string;
}

export type AuthorizationDiscoveryOptions = ProtectedResourceMetadataOptions &
  AuthorizationServerMetadataOptions & {
    /**
     * The only authorization server to use (a pre-registered client's `oauth.issuer`): any other issuer the
     * server names or serves is refused with `PinnedIssuerError` before a request goes to it.
     */
    readonly pinnedIssuer?: { readonly serverName: string; readonly issuer: string };
  };

/**
 * Discovers how to authorize for `serverURL`. With protected resource metadata, its authorization
 * servers are tried in order and the first with metadata is used; `MetadataNotFoundError` when
 * none has any. Security failures (resource or issuer mismatch, non-HTTPS URLs) are thrown at once.
 */
export async function discoverAuthorization(
  serverURL: string | URL,
  options: AuthorizationDiscoveryOptions = {},
): Promise<AuthorizationDiscovery> {
  const server = String(serverURL);
  const prm = await findProtectedResourceMetadata(serverURL, options);
  const pinned = options.pinnedIssuer;
  if (prm) {
    const attempts: MetadataAttempt[] = [];
    const named = prm.metadata.authorization_servers;
    const usable = pinned ? named.filter((issuer) => sameURL(issuer, pinned.issuer)) : named;
    if (pinned && usable.length === 0) throw new PinnedIssuerError(pinned.serverName, pinned.issuer, named);
    for (const issuer of usable) {
      try {
        const as = await discoverAuthorizationServerMetadata(issuer, options);
        return {
          serverURL: server,
          source: 'protected-resource-metadata',
          resourceMetadata: prm.metadata,
          resourceMetadataURL: prm.url,
          issuer: as.metadata.issuer,
          authorizationServer: as.metadata,
          authorizationServerMetadataURL: as.url,
        };
      } catch (error) {
        if (!(error instanceof MetadataNotFoundError)) throw error;
        attempts.push(...error.attempts);
      }
    }
    throw new MetadataNotFoundError('authorization-server', attempts);
  }
  const origin = new URL(serverURL).origin;
  // Without protected resource metadata the server is its own authorization server (MCP 2025-03-26).
  const own = (issuer: string) => {
    if (pinned && !sameURL(issuer, pinned.issuer))
      throw new PinnedIssuerError(pinned.serverName, pinned.issuer, [issuer]);
  };
  try {
    const as = await discoverAuthorizationServerMetadata(origin, { ...options, sameOriginIssuer: true });
    own(as.metadata.issuer);
    return {
      serverURL: server,
      source: 'legacy-metadata',
      issuer: as.metadata.issuer,
      authorizationServer: as.metadata,
      authorizationServerMetadataURL: as.url,
    };
  } catch (error) {
    if (!(error instanceof MetadataNotFoundError)) throw error;
  }
  const defaults = defaultAuthorizationServerMetadata(serverURL);
  own(defaults.issuer);
  return {
    serverURL: server,
    source: 'legacy-default-endpoints',
    issuer: defaults.issuer,
    authorizationServer: defaults,
  };
}

async function findProtectedResourceMetadata(serverURL: string | URL, options: ProtectedResourceMetadataOptions) {
  try {
    return await discoverProtectedResourceMetadata(serverURL, options);
  } catch (error) {
    if (error instanceof MetadataNotFoundError) return undefined;
    throw error;
  }
}
