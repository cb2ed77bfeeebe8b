import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/schema.js';
import { sameServerConfig } from '../config/schema.js';
import { connectionPart, toolAccessFor, warnUnmatchedRules } from './tool-access.js';
import { Client, type CallToolOptions, type ClientOptions } from './client.js';
import { backoffDelayMs } from './backoff.js';
import type { ConnectLimiter } from './connect-limiter.js';
import {
  McpClientError,
  ServerConnectError,
  ServerNotAvailableError,
  ServerSwitchedOffError,
  ServerUnavailableError,
  ToolDisabledError,
  ToolNotFoundError,
  describeError,
} from './errors.js';
import type { FetchLike } from '../outbound/index.js';
import type { ServerBreakers } from './server-breakers.js';
import type { SharedToolLists } from './shared-tool-lists.js';
import { TOOL_NAME_SEPARATOR, sanitizeNamePart } from './tool-names.js';
import { buildToolCatalog, type SharedToolCatalogs, type ToolCatalog } from './tool-catalogs.js';
import type { ToolCallResult } from './tool-result.js';
import {
  isAuthNeeded,
  type ClientAuthHooks,
  type Errors,
  type ServerError,
  type ServerState,
  type ToolAuthError,
  type UserTool,
  type UserToolsResult,
} from './types.js';

export interface UserClientsDeps {
  readonly logger: Logger;
  readonly fetch?: FetchLike;
  readonly auth?: ClientAuthHooks;
  readonly now?: () => number;
  /** Compiles tool output schemas for every client (the manager shares one). */
  readonly schemaValidator?: jsonSchemaValidator;
  /** Keeps equal tool lists once for every client (the manager shares one). */
  readonly toolLists?: SharedToolLists;
  /** Keeps the named tools of equal server/tool-list combinations once (the manager shares one). */
  readonly toolCatalogs?: SharedToolCatalogs;
  /** Circuit breakers per server, shared by every user (the manager holds one); without them each user dials alone. */
  readonly breakers?: ServerBreakers;
  /** Bounds the handshakes running at once over every user (the manager holds one); without it, unbounded. */
  readonly connectLimiter?: ConnectLimiter;
  /** Seam for connecting (tests may count connections); defaults to `Client.connect`. */
  readonly connect?: (options: ClientOptions, signal?: AbortSignal) => Promise<Client>;
}

type Slot =
  | {
      readonly state: 'connecting';
      readonly config: ServerConfig;
      readonly ready: Promise<Client | Error>;
      readonly abort: AbortController;
    }
  | { readonly state: 'connected'; readonly config: ServerConfig; readonly client: Client }
  | {
      readonly state: 'failed';
      readonly config: ServerConfig;
      readonly error: Error;
      readonly attempts: number;
      readonly retryAt: number;
    };

/**
 * One user's connections to every enabled server the user has not switched off. A failing server never blocks
 * or hides the others. Tools an admin disabled or a pattern hides are neither listed nor callable (`ToolAccess`).
 */
export class UserClients {
  /** Every enabled server, switched off by the user or not (status pages show both). */
  private configured: readonly ServerConfig[] = [];
  /** The servers this user's tools come from: enabled, and not switched off by the user. */
  private servers: readonly ServerConfig[] = [];
  private switchedOff: ReadonlySet<string> = new Set();
  private readonly slots = new Map<string, Slot>();
  private catalog: ToolCatalog | undefined;
  /** The catalog's tools that the admin's rules let through. */
  private visible: readonly UserTool[] | undefined;
  private closed = false;
  private serverStreamsPaused = false;
  private logger: Logger | undefined;
  private readonly now: () => number;

  constructor(
    readonly userId: string,
    servers: readonly ServerConfig[],
    private readonly deps: UserClientsDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.setServers(servers);
  }

  private setServers(servers: readonly ServerConfig[]): void {
    this.configured = servers.filter((s) => s.enabled);
    this.servers = this.configured.filter((s) => !this.switchedOff.has(s.name));
    this.visible = undefined;
  }

  /** The servers this user switched off (their store record): those connections close, and none opens. */
  async setSwitchedOff(names: ReadonlySet<string>): Promise<void> {
    if (sameSet(names, this.switchedOff)) return;
    this.switchedOff = new Set(names);
    this.setServers(this.configured);
    await Promise.all(
      [...this.slots.keys()].filter((name) => this.switchedOff.has(name)).map((name) => this.drop(name)),
    );
  }

  /** Made on first use (see `Client`). */
  private get log(): Logger {
    return (this.logger ??= this.deps.logger.child({ userId: this.userId }));
  }

  /** Connects (in parallel) to every server not yet connected, then returns all tools and the errors. */
  async getTools(): Promise<UserToolsResult> {
    const outcomes = await Promise.all(
      this.servers.map(async (server) => [server, await this.ensure(server)] as const),
    );
    const toolAuthErrors: ToolAuthError[] = [];
    const errors: ServerError[] = [];
    for (const [server, outcome] of outcomes) {
      if (outcome instanceof Client) continue;
      if (isAuthNeeded(outcome))
        toolAuthErrors.push({ serverName: server.name, authURL: outcome.authURL, message: outcome.message });
      else errors.push({ serverName: server.name, code: errorCode(outcome), message: outcome.message });
    }
    return { tools: this.currentTools(), errors: { toolAuthErrors, errors } satisfies Errors };
  }

  /** Per-server view for status pages; connects like `getTools`. */
  async getServerStates(): Promise<ServerState[]> {
    await this.getTools();
    const tools = this.currentTools();
    return this.configured.map((server): ServerState => {
      const slot = this.slots.get(server.name);
      const origin = new URL(server.baseURL).origin;
      if (this.switchedOff.has(server.name))
        return { serverName: server.name, serverOrigin: origin, status: 'switched_off', tools: [] };
      const own = tools.filter((t) => t.serverName === server.name);
      if (slot?.state === 'connected')
        return { serverName: server.name, serverOrigin: origin, status: 'connected', tools: own };
      if (slot?.state === 'failed' && isAuthNeeded(slot.error)) {
        return {
          serverName: server.name,
          serverOrigin: origin,
          status: 'needs_oauth',
          tools: [],
          authURL: slot.error.authURL,
          error: slot.error.message,
        };
      }
      if (slot?.state === 'failed')
        return { serverName: server.name, serverOrigin: origin, status: 'error', tools: [], error: slot.error.message };
      return { serverName: server.name, serverOrigin: origin, status: 'connecting', tools: [] };
    });
  }

  async callTool(
    exposedName: string,
    args: Record<string, unknown>,
    options?: CallToolOptions,
  ): Promise<ToolCallResult> {
    let ref = this.toolCatalog().names.resolve(exposedName);
    if (!ref) {
      await this.getTools();
      ref = this.toolCatalog().names.resolve(exposedName);
    }
    if (!ref)
      throw (
        this.switchedOffBehind(exposedName) ?? this.failureBehind(exposedName) ?? new ToolNotFoundError(exposedName)
      );
    const server = this.servers.find((s) => s.name === ref.serverName);
    if (!server) throw new ServerNotAvailableError(ref.serverName);
    if (!toolAccessFor(server).allows(ref.toolName))
      throw new ToolDisabledError(server.name, ref.toolName, exposedName);
    const client = await this.ensure(server);
    if (!(client instanceof Client)) throw client;
    try {
      return await client.callTool(ref.toolName, args, options);
    } catch (error) {
      // The server wants (new) authorization: show it as such until the user connects.
      if (isAuthNeeded(error) && this.slots.get(server.name)?.state === 'connected') {
        this.slots.set(server.name, { state: 'failed', config: server, error, attempts: 0, retryAt: this.now() });
        this.rebuildNames();
        void client.close();
      }
      throw error;
    }
  }

  /**
   * A name `<server>__…` the user cannot resolve because that server is failing right now (down, or waiting for
   * OAuth): its error says more than "unknown tool", e.g. after an idle eviction while the server is down.
   */
  private failureBehind(exposedName: string): Error | undefined {
    for (const server of this.servers) {
      const slot = this.slots.get(server.name);
      if (
        slot?.state === 'failed' &&
        exposedName.startsWith(`${sanitizeNamePart(server.name) || 'mcp'}${TOOL_NAME_SEPARATOR}`)
      )
        return slot.error;
    }
    return undefined;
  }

  /** A name `<server>__…` of a server the user switched off: they are told how to switch it back on. */
  private switchedOffBehind(exposedName: string): Error | undefined {
    const server = this.configured.find(
      (s) =>
        this.switchedOff.has(s.name) &&
        exposedName.startsWith(`${sanitizeNamePart(s.name) || 'mcp'}${TOOL_NAME_SEPARATOR}`),
    );
    return server && new ServerSwitchedOffError(server.name, exposedName);
  }

  /**
   * Applies a new server list: closes only clients whose server was removed, disabled or changed in a way the
   * connection depends on (a change of tool rules only filters anew).
   */
  applyConfig(servers: readonly ServerConfig[]): void {
    this.setServers(servers);
    for (const [name, slot] of this.slots) {
      const next = this.servers.find((s) => s.name === name);
      // `void`: dropping closes the client, which never rejects.
      if (!next || !sameServerConfig(connectionPart(next), connectionPart(slot.config))) void this.drop(name);
    }
  }

  /** Forgets one server's connection (e.g. after the user connected their account) or all of them. */
  reset(serverName?: string): void {
    // `void`: dropping closes the client, which never rejects.
    for (const name of [...this.slots.keys()]) if (!serverName || name === serverName) void this.drop(name);
  }

  /** Closes the server streams of every connection while the user is idle (see `Client.pauseServerStream`). */
  pauseServerStreams(): void {
    this.serverStreamsPaused = true;
    for (const client of this.connectedClients()) client.pauseServerStream();
  }

  /** Opens them again, and each client lists its tools afresh. */
  resumeServerStreams(): void {
    this.serverStreamsPaused = false;
    for (const client of this.connectedClients()) client.resumeServerStream();
  }

  get connectedCount(): number {
    return [...this.slots.values()].filter((s) => s.state === 'connected').length;
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing = [...this.slots.keys()].map((name) => this.drop(name));
    await Promise.all(closing);
  }

  private ensure(server: ServerConfig): Promise<Client | Error> {
    if (this.closed) return Promise.resolve(new ServerNotAvailableError(server.name));
    const slot = this.slots.get(server.name);
    if (slot?.state === 'connected' && !slot.client.closed) return Promise.resolve(slot.client);
    if (slot?.state === 'connecting') return slot.ready;
    if (slot?.state === 'failed' && this.now() < slot.retryAt) return Promise.resolve(slot.error);
    return this.start(server, slot?.state === 'failed' ? slot.attempts : 0);
  }

  private start(server: ServerConfig, previousAttempts: number): Promise<Client | Error> {
    const abort = new AbortController();
    const connect = this.deps.connect ?? Client.connect;
    const options: ClientOptions = {
      userId: this.userId,
      server,
      logger: this.deps.logger,
      // The layers of each request (`serverFetch`): the client stacks them.
      fetch: this.deps.fetch,
      auth: this.deps.auth,
      breakers: this.deps.breakers,
      onToolsChanged: () => this.rebuildNames(),
      ...(this.deps.schemaValidator && { schemaValidator: this.deps.schemaValidator }),
      ...(this.deps.toolLists && { toolLists: this.deps.toolLists }),
    };
    const attempt = () => connect(options, abort.signal);
    const limited = this.deps.connectLimiter
      ? this.deps.connectLimiter.run(attempt, abort.signal).catch((error: unknown) => {
          // Superseded while waiting for its turn: the same error as a handshake cancelled on the way.
          throw error === abort.signal.reason
            ? new ServerConnectError(server.name, 'cancelled', { cause: error })
            : error;
        })
      : attempt();
    const ready = limited.then(
      (client) => {
        if (!this.isCurrent(server.name, abort)) {
          void client.close();
          return new ServerNotAvailableError(server.name);
        }
        if (this.serverStreamsPaused) client.pauseServerStream();
        this.slots.set(server.name, { state: 'connected', config: server, client });
        this.rebuildNames();
        return client;
      },
      (error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        // Refused by the server's breaker without dialling: the breaker says when to try, so no backoff of our own.
        const refused = failure instanceof ServerUnavailableError;
        const attempts = refused ? previousAttempts : previousAttempts + 1;
        if (this.isCurrent(server.name, abort)) {
          // Asking for authorization again is cheap and must notice a connection made on another replica at once.
          const retryAt = isAuthNeeded(failure) || refused ? this.now() : this.now() + backoffDelayMs(attempts);
          this.slots.set(server.name, { state: 'failed', config: server, error: failure, attempts, retryAt });
        }
        // One line per user and attempt would flood the log while a server is down (LibreChat #12162): refusals are
        // debug.
        this.log[refused ? 'debug' : 'warn'](
          { server: server.name, errorCode: errorCode(failure), reason: describeError(failure) },
          'MCP server unavailable for user',
        );
        return failure;
      },
    );
    this.slots.set(server.name, { state: 'connecting', config: server, ready, abort });
    return ready;
  }

  /** True while this connection attempt has not been superseded (by a config change, reset or close). */
  private isCurrent(name: string, abort: AbortController): boolean {
    const slot = this.slots.get(name);
    return slot?.state === 'connecting' && slot.abort === abort && !abort.signal.aborted;
  }

  private async drop(name: string): Promise<void> {
    const slot = this.slots.get(name);
    this.slots.delete(name);
    if (slot?.state === 'connecting') slot.abort.abort();
    if (slot?.state === 'connected') {
      this.rebuildNames();
      await slot.client.close();
    }
  }

  private rebuildNames(): void {
    this.catalog = undefined;
    this.visible = undefined;
  }

  private connectedClients(): Client[] {
    const clients: Client[] = [];
    for (const server of this.servers) {
      const slot = this.slots.get(server.name);
      if (slot?.state === 'connected') clients.push(slot.client);
    }
    return clients;
  }

  /** The catalog's tools, less those the admin's rules hide (the names of the others do not change). */
  private currentTools(): readonly UserTool[] {
    if (this.visible) return this.visible;
    const catalog = this.toolCatalog();
    const access = new Map(this.servers.map((s) => [s.name, toolAccessFor(s)]));
    const open = [...access.values()].every((a) => a.open);
    this.visible = open
      ? catalog.tools
      : catalog.tools.filter((t) => access.get(t.serverName)?.allows(t.toolName) ?? false);
    return this.visible;
  }

  private toolCatalog(): ToolCatalog {
    if (this.catalog) return this.catalog;
    const servers = this.connectedClients().map((client) => ({ serverName: client.serverName, tools: client.tools }));
    for (const server of this.servers) {
      const listed = servers.find((s) => s.serverName === server.name);
      if (listed) warnUnmatchedRules(server, listed.tools, this.deps.logger);
    }
    this.catalog = this.deps.toolCatalogs?.catalog(servers) ?? buildToolCatalog(servers);
    return this.catalog;
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

function errorCode(error: Error): string {
  if (error instanceof McpClientError) return error.code;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'ERR_MCP_SERVER';
}
