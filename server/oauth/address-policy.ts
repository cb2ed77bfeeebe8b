/**
 * Where OAuth requests may connect (issue 15, SSRF through metadata). URLs the admin configured (the MCP
 * server's own origin, `oauth.issuer`) go anywhere; every other URL came from a remote document (protected
 * resource metadata, authorization server metadata, a redirect) and may reach public unicast addresses only:
 * never private (RFC 1918, ULA fc00::/7), link-local, unspecified, shared (100.64/10), multicast or reserved
 * ones, and loopback only when the MCP server itself is on loopback. The address checked is the one actually
 * connected, after DNS, so a name that resolves inward is refused like the address it resolves to.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { LookupFunction, Socket } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';
import type { ServerConfig } from '../config/schema.js';
import { AddressNotAllowedError } from './errors.js';
import { isLoopbackHost } from './http.js';

/** What one MCP server's OAuth requests may reach. */
export interface AddressPolicy {
  /** Loopback addresses are allowed (the MCP server's own baseURL is loopback). */
  readonly allowLoopback: boolean;
  /** Origins the admin configured: requests to them are not restricted. */
  readonly trustedOrigins: readonly string[];
}

/** Outside any server's context (which no OAuth request should be): public addresses only. */
const STRICT: AddressPolicy = { allowLoopback: false, trustedOrigins: [] };

export function addressPolicyFor(server: Pick<ServerConfig, 'baseURL' | 'oauth'>): AddressPolicy {
  const base = new URL(server.baseURL);
  const issuer = server.oauth?.issuer;
  return {
    allowLoopback: isLoopbackHost(base.hostname),
    trustedOrigins: [base.origin, ...(issuer ? [new URL(issuer).origin] : [])],
  };
}

/**
 * Why an address may not be reached (its range: `private`, `linkLocal`, `loopback`…), or undefined when it may.
 * IPv4-mapped and NAT64 (64:ff9b::/96) IPv6 addresses are judged by the IPv4 address they carry.
 */
export function refusedRange(address: string, policy: Pick<AddressPolicy, 'allowLoopback'>): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
    else if (v6.range() === 'rfc6052') parsed = ipaddr.fromByteArray(v6.toByteArray().slice(12));
  }
  const range = parsed.range();
  if (range === 'unicast' || (range === 'loopback' && policy.allowLoopback)) return undefined;
  return range;
}

const hostAndPort = (hostname: string, port: string): string => `${hostname.replace(/^\[|\]$/g, '')} ${port}`;

/** The IP address a URL's host is written as, if it is one (`[::1]` included). */
function literalAddress(hostname: string): string | undefined {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(host) && (host.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(host)) ? host : undefined;
}

/** The metadata members whose URLs this client calls or sends the user's browser to. */
const ENDPOINTS = [
  'authorization_endpoint',
  'token_endpoint',
  'registration_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
  'jwks_uri',
] as const;

/**
 * Refuses authorization server metadata that puts an endpoint at an address written in the URL that the policy
 * does not allow, before anything is sent or any browser is sent there (names are judged when connected).
 */
export function assertEndpointsAllowed(
  metadata: Partial<Record<(typeof ENDPOINTS)[number], unknown>>,
  policy: AddressPolicy,
): void {
  for (const field of ENDPOINTS) {
    const value = metadata[field];
    if (typeof value !== 'string') continue;
    const url = new URL(value);
    if (policy.trustedOrigins.includes(url.origin)) continue;
    const literal = literalAddress(url.hostname);
    const refused = literal && refusedRange(literal, policy);
    if (refused) throw new AddressNotAllowedError(value, literal, refused);
  }
}

export interface AddressGuardOptions {
  /** Name resolution for every OAuth connection (default: the system's); tests map names with it. */
  readonly lookup?: LookupFunction;
}

/**
 * A fetch that keeps OAuth requests to the addresses the current server's policy allows. `run` sets that
 * server for everything started inside it (discovery, registration, token requests, refreshes).
 */
export class AddressGuard {
  private readonly context = new AsyncLocalStorage<AddressPolicy>();
  private readonly agents = new Map<string, Agent>();
  /**
   * Refusals at connect time, by host and port, until the request that met them reports it: fetch hands its
   * caller only a copy of a connector's error (another class, no fields), so the typed one is taken from here.
   */
  private readonly refusals = new Map<string, AddressNotAllowedError>();

  constructor(
    private readonly base: typeof fetch,
    private readonly options: AddressGuardOptions = {},
  ) {}

  run<T>(server: Pick<ServerConfig, 'baseURL' | 'oauth'>, fn: () => T): T {
    return this.context.run(addressPolicyFor(server), fn);
  }

  readonly fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const policy = this.context.getStore() ?? STRICT;
    if (policy.trustedOrigins.includes(url.origin)) {
      return this.options.lookup
        ? this.base(input, { ...init, dispatcher: this.agent('open') } as RequestInit)
        : this.base(input, init);
    }
    // An address written in the URL is refused before anything is sent; a name, on the address it connects to.
    const literal = literalAddress(url.hostname);
    const refused = literal && refusedRange(literal, policy);
    if (refused) return Promise.reject(new AddressNotAllowedError(url.href, literal, refused));
    const target = hostAndPort(url.hostname, url.port || (url.protocol === 'https:' ? '443' : '80'));
    return this.base(input, {
      ...init,
      dispatcher: this.agent(policy.allowLoopback ? 'public-or-loopback' : 'public'),
    } as RequestInit).catch((error: unknown) => {
      const refusal = this.refusals.get(target);
      if (!refusal) throw error;
      this.refusals.delete(target);
      throw refusal;
    });
  };

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((agent) => agent.close()));
    this.agents.clear();
  }

  private agent(kind: 'open' | 'public' | 'public-or-loopback'): Agent {
    let agent = this.agents.get(kind);
    if (!agent) {
      const connect = buildConnector({
        ...(this.options.lookup && { lookup: this.options.lookup }),
      } as buildConnector.BuildOptions);
      const allowLoopback = kind === 'public-or-loopback';
      agent = new Agent({
        connect:
          kind === 'open'
            ? connect
            : (options, callback) =>
                connect(options, (error, socket) => {
                  if (error || !socket) return callback(error ?? new Error('no socket'), null);
                  const address = (socket as Socket).remoteAddress ?? '';
                  const refused = refusedRange(address, { allowLoopback });
                  if (!refused) return callback(null, socket);
                  socket.destroy();
                  const refusal = new AddressNotAllowedError(
                    `${options.protocol}//${options.host ?? options.hostname}/`,
                    address,
                    refused,
                  );
                  this.refusals.set(hostAndPort(options.hostname, String(options.port)), refusal);
                  if (this.refusals.size > 1000) this.refusals.delete(this.refusals.keys().next().value!);
                  callback(refusal, null);
                }),
      });
      this.agents.set(kind, agent);
    }
    return agent;
  }
}
