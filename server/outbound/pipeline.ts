import type { ServerConfig } from '../config/schema.js';
import { withDeadline } from './deadline.js';
import type { FetchLike } from './fetch-like.js';
import { withServerHeaders } from './request-headers.js';
import { withResponseLimits, type ResponseLimits } from './response-limits.js';

/** The authorization layer, which the OAuth layer supplies: the user's token on each request, a 401 as an error. */
export interface ClientAuthHooks {
  /** Wraps the transport fetch for this user and server: adds tokens, turns 401s into AuthNeeded errors. */
  fetchFor(userId: string, server: ServerConfig, base: FetchLike): FetchLike;
}

/** The circuit breaker layer: one breaker per server for every user (`ServerBreakers` in `mcp/`). */
export interface ServerGuard {
  guard(server: Pick<ServerConfig, 'name' | 'baseURL'>, userId: string, base: FetchLike): FetchLike;
}

/** The layers one request to an MCP server goes through; those left out are skipped. */
export interface ServerFetchLayers {
  readonly userId: string;
  readonly server: ServerConfig;
  /** A Streamable HTTP session's server stream (`ServerStream`): a GET starts it, POST and DELETE pass. */
  readonly serverStream?: { wrap(base: FetchLike): FetchLike } | undefined;
  /** During a handshake: its deadline also ends each request, which the breaker then sees as a timeout. */
  readonly handshake?: { readonly deadline: AbortSignal; readonly active: () => boolean } | undefined;
  /** Bounds on each response; left out for the server stream's own GET, which bounds each event itself. */
  readonly responseLimits?: ResponseLimits | undefined;
  readonly auth?: ClientAuthHooks | undefined;
  readonly breakers?: ServerGuard | undefined;
  /** The network (default: the global `fetch`). */
  readonly fetch?: FetchLike | undefined;
}

type Layer = (below: FetchLike) => FetchLike;

/**
 * The one place the fetch of a request to an MCP server is put together. The layers are listed top (what the
 * SDK's transport calls) to bottom (the network); each wraps the ones below it, and their order matters.
 */
export function serverFetch(layers: ServerFetchLayers): FetchLike {
  const { userId, server, serverStream, handshake, responseLimits, auth, breakers } = layers;
  const topToBottom: readonly (Layer | undefined)[] = [
    serverStream && ((below) => serverStream.wrap(below)),
    handshake && ((below) => withDeadline(below, handshake.deadline, handshake.active)),
    // Above authorization: the user's bearer token replaces an admin's Authorization header.
    (below) => withServerHeaders(below, userId, server.headers),
    // Above the breaker: the breaker judges the status when the answer starts; an oversized body is not the server
    // down.
    responseLimits && ((below) => withResponseLimits(below, responseLimits)),
    auth && ((below) => auth.fetchFor(userId, server, below)),
    // Below authorization: a refused token is not the server being down.
    breakers && ((below) => breakers.guard(server, userId, below)),
  ];
  return topToBottom.reduceRight<FetchLike>((below, layer) => (layer ? layer(below) : below), layers.fetch ?? fetch);
}
