import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import {
  ElicitRequestSchema,
  ErrorCode,
  McpError,
  ToolListChangedNotificationSchema,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/schema.js';
import {
  ResponseTooLargeError,
  linkedSignal,
  serverFetch,
  type ClientAuthHooks,
  type FetchLike,
  type ResponseLimits,
  type ServerFetchLayers,
  type ServerGuard,
} from '../outbound/index.js';
import {
  ClientClosedError,
  ServerConnectError,
  ServerTimeoutError,
  ServerUnauthorizedError,
  ToolCallError,
  describeError,
} from './errors.js';
import type { ElicitationHandler } from './elicitation.js';
import { cacheToolMetadata, ssePostStatus } from './sdk-internals.js';
import { ServerStream } from './server-stream.js';
import { streamConnection } from './stream-connection.js';
import type { SharedToolLists } from './shared-tool-lists.js';
import { DEFAULT_TOOL_LIST_LIMITS, ToolListBudget, type ToolListLimits } from './tool-list-limits.js';
import { toToolCallResult, type ToolCallResult } from './tool-result.js';
import { isAuthNeeded, isServerAttributed } from './types.js';
import { PLUGIN_ID, PLUGIN_VERSION } from '../plugin-manifest.js';

export const CLIENT_INFO = { name: PLUGIN_ID, version: PLUGIN_VERSION } as const;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;
const LIST_CHANGED_DEBOUNCE_MS = 100;
/** How long a new client waits for its server stream to open (the GET runs alongside the listing). */
const SERVER_STREAM_WAIT_MS = 2_000;

export type TransportKind = 'streamable-http' | 'sse';

export interface ClientOptions {
  readonly userId: string;
  readonly server: ServerConfig;
  readonly logger: Logger;
  /** The network under every layer of `serverFetch` (default: the global `fetch`). */
  readonly fetch?: FetchLike;
  /** The authorization layer (the OAuth layer's `fetchFor`). */
  readonly auth?: ClientAuthHooks;
  /** The server's circuit breaker, shared by every user (`ServerBreakers`). */
  readonly breakers?: ServerGuard;
  readonly connectTimeoutMs?: number;
  /** Called after the tool list changed on the server and was fetched again. */
  readonly onToolsChanged?: (tools: readonly Tool[]) => void;
  /** Turns a transport 401 into the error callers should see (the OAuth layer supplies one). */
  readonly onUnauthorized?: (error: unknown) => Error | undefined;
  /** Bounds on what the server may make the client buffer (defaults: 16 MiB a body, 4 MiB an SSE event). */
  readonly responseLimits?: ResponseLimits;
  /**
   * Bounds on one listing of the server's tools (default: `DEFAULT_TOOL_LIST_LIMITS`, with the server config's
   * `toolListLimits` over them).
   */
  readonly toolListLimits?: ToolListLimits;
  /** Answers elicitation requests; without it the client does not declare the capability. */
  readonly onElicitation?: ElicitationHandler;
  /** Compiles tool output schemas; shared by a manager's clients (default: the SDK's, one Ajv per client). */
  readonly schemaValidator?: jsonSchemaValidator;
  /** Where equal tool lists are kept once; without it the client keeps its own. */
  readonly toolLists?: SharedToolLists;
}

export interface CallToolOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  readonly onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

/** What a Streamable HTTP session needs to go on without a handshake: the server keeps the rest. */
interface DormantSession {
  readonly sessionId: string;
  readonly protocolVersion: string | undefined;
}

interface Session {
  readonly sdk: SdkClient;
  readonly transport: Transport;
  readonly kind: TransportKind;
  /** Set when the session ended, by us or by its transport dropping (the SDK's `onclose`). */
  closed: boolean;
  /** Streamable HTTP only: an SSE session's stream is its only channel and stays open. */
  readonly serverStream?: ServerStream;
}

/**
 * What a `Client` holds of its session with the server; each change of state is made in one method:
 * `connect` (unopened → open), `setAside` (open → dormant), `reconnect` (→ reconnecting → open, or back to the
 * session it replaces when that fails) and `close` (→ closed).
 */
type ClientState =
  /** No session: before the first handshake, or after waking a dormant session failed (the next request opens one). */
  | { readonly state: 'unopened' }
  /** A session; when its transport dropped it (`session.closed`), the next request replaces it. */
  | { readonly state: 'open'; readonly session: Session }
  /** Set aside while the user is idle (see `pauseServerStream`): no SDK client, transport or stream held. */
  | { readonly state: 'dormant'; readonly dormant: DormantSession }
  /** A new session (or a dormant one woken) on the way, shared by concurrent callers; `replaced` is ended on close. */
  | { readonly state: 'reconnecting'; readonly replaced: Session | undefined; readonly next: Promise<Session> }
  | { readonly state: 'closed' };

/** One MCP server for one user: Streamable HTTP first, SSE as fallback; re-initializes expired sessions. */
export class Client {
  private state: ClientState = { state: 'unopened' };
  /** Requests running on the session: a busy session is not set aside. */
  private busy = 0;
  private toolList: readonly Tool[] = [];
  private listChangedTimer: NodeJS.Timeout | undefined;
  /** The user is idle: not a state of the session, as it outlives sessions and applies to the next one too. */
  private serverStreamPaused = false;
  private readonly responseLimits: ResponseLimits;
  private logger: Logger | undefined;
  private readonly toolListLimits: ToolListLimits;

  private constructor(private readonly options: ClientOptions) {
    this.toolListLimits = options.toolListLimits ?? { ...DEFAULT_TOOL_LIST_LIMITS, ...options.server.toolListLimits };
    this.responseLimits = { maxToolListBytes: this.toolListLimits.maxListBytes, ...options.responseLimits };
  }

  /**
   * The fetch of a transport (or of the server stream, `unbounded`, as it bounds each event itself): every
   * layer of `serverFetch`, with the session's own on top.
   */
  private fetchFor(
    session: Pick<ServerFetchLayers, 'serverStream' | 'handshake'> & { readonly unbounded?: true } = {},
  ): FetchLike {
    return serverFetch({
      userId: this.options.userId,
      server: this.options.server,
      serverStream: session.serverStream,
      handshake: session.handshake,
      responseLimits: session.unbounded ? undefined : this.responseLimits,
      auth: this.options.auth,
      breakers: this.options.breakers,
      fetch: this.options.fetch,
    });
  }

  /** Debug lines, without making a child logger when debug is off. */
  private debug(fields: Record<string, unknown> | string, message?: string): void {
    if (!this.options.logger.isLevelEnabled('debug')) return;
    if (typeof fields === 'string') this.log.debug(fields);
    else this.log.debug(fields, message);
  }

  /** Made on first use: most clients never log, and a child logger per user and server adds up. */
  private get log(): Logger {
    return (this.logger ??= this.options.logger.child({
      userId: this.options.userId,
      server: this.options.server.name,
    }));
  }

  /** Connects, lists the tools (all pages), and returns a ready client. */
  static async connect(options: ClientOptions, signal?: AbortSignal): Promise<Client> {
    const client = new Client(options);
    try {
      client.state = { state: 'open', session: await client.openSession(signal) };
      await client.refreshTools(signal);
      // Listening before the client is handed out: a tools/list_changed sent after the listing is not missed.
      await client.session?.serverStream?.listening(SERVER_STREAM_WAIT_MS);
      return client;
    } catch (error) {
      await client.close();
      throw client.connectError(error, signal);
    }
  }

  get serverName(): string {
    return this.options.server.name;
  }

  get serverConfig(): ServerConfig {
    return this.options.server;
  }

  get tools(): readonly Tool[] {
    return this.toolList;
  }

  get transportKind(): TransportKind | undefined {
    return this.session?.kind ?? (this.state.state === 'dormant' ? 'streamable-http' : undefined);
  }

  /** True while the session is set aside for an idle user (no SDK client, transport or stream held). */
  get isDormant(): boolean {
    return this.state.state === 'dormant';
  }

  get closed(): boolean {
    return this.state.state === 'closed';
  }

  /** The session held (while reconnecting, the one being replaced), live or not. */
  private get session(): Session | undefined {
    if (this.state.state === 'open') return this.state.session;
    return this.state.state === 'reconnecting' ? this.state.replaced : undefined;
  }

  /**
   * Fetches every page of tools/list (following nextCursor) and replaces the cached list. A listing past the
   * bounds of `ToolListLimits` is refused whole with a `ToolListTooLargeError`; the previous list stays.
   */
  async refreshTools(signal?: AbortSignal): Promise<readonly Tool[]> {
    const tools = await this.withSession(async (sdk) => {
      const budget = new ToolListBudget(this.serverName, this.toolListLimits);
      const all: Tool[] = [];
      let cursor: string | undefined;
      do {
        const linked = linkedSignal(signal);
        try {
          const result = await sdk.listTools(cursor ? { cursor } : {}, {
            signal: linked.signal,
            timeout: this.connectTimeoutMs,
          });
          cursor = result.nextCursor;
          budget.addPage(result.tools, Boolean(cursor));
          all.push(...result.tools);
        } catch (error) {
          throw causedBy(error, ResponseTooLargeError) ? budget.tooManyBytes() : error;
        } finally {
          linked.dispose();
        }
      } while (cursor);
      return all;
    });
    this.toolList = this.options.toolLists?.intern(tools) ?? tools;
    return this.toolList;
  }

  async callTool(name: string, args: Record<string, unknown>, options: CallToolOptions = {}): Promise<ToolCallResult> {
    const timeoutMs =
      options.timeoutMs ?? (this.options.server.toolTimeoutSeconds ?? DEFAULT_TOOL_TIMEOUT_MS / 1000) * 1000;
    try {
      const linked = linkedSignal(options.signal);
      const result = await this.withSession(
        (sdk) =>
          sdk.callTool({ name, arguments: args }, undefined, {
            signal: linked.signal,
            timeout: timeoutMs,
            resetTimeoutOnProgress: true,
            maxTotalTimeout: timeoutMs * 10,
            // Always set: the SDK sends a progress token only when a progress callback exists.
            onprogress: (progress) => options.onProgress?.(progress),
          }),
        false,
      ).finally(() => linked.dispose());
      if (!('content' in result))
        throw new ToolCallError(this.serverName, name, 'the server returned a result without content');
      return toToolCallResult(result as Parameters<typeof toToolCallResult>[0]);
    } catch (error) {
      if (
        error instanceof ToolCallError ||
        error instanceof ClientClosedError ||
        isAuthNeeded(error) ||
        isServerAttributed(error, this.serverName)
      )
        throw error;
      const unauthorized = this.unauthorizedError(error);
      if (unauthorized) throw unauthorized;
      if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
        throw new ToolCallError(this.serverName, name, `no answer within ${timeoutMs / 1000} s`, { cause: error });
      }
      throw new ToolCallError(this.serverName, name, describeError(error), { cause: error });
    }
  }

  /**
   * While the user is idle: closes the session's server stream (a socket less per user and server) and sets
   * a Streamable HTTP session aside, keeping only its id and protocol version, so an idle user holds no SDK
   * client or transport. The next request wakes it without a handshake (the server still has the session; if
   * it forgot it, the 404 re-initializes as usual). New sessions start without a stream until `resumeServerStream`.
   */
  pauseServerStream(): void {
    if (this.serverStreamPaused) return;
    this.serverStreamPaused = true;
    this.session?.serverStream?.close();
    this.setAside();
  }

  /** Opens the server stream again and lists the tools, as a tools/list_changed sent meanwhile was missed. */
  resumeServerStream(): void {
    if (!this.serverStreamPaused) return;
    this.serverStreamPaused = false;
    const session = this.session;
    // A session set aside is woken by the listing, which opens its stream.
    if (this.state.state !== 'dormant') {
      if (!session?.serverStream?.open() || session.closed || this.closed) return;
      this.openServerStream(session);
    }
    this.refreshToolsInBackground('an idle spell');
  }

  /** Ends the session: sends the Streamable HTTP DELETE, then closes the transport. */
  async close(): Promise<void> {
    if (this.closed) return;
    const session = this.session;
    const was = this.state;
    this.state = { state: 'closed' };
    clearTimeout(this.listChangedTimer);
    if (session) await this.endSession(session);
    else if (was.state === 'dormant') await this.endDormantSession(was.dormant);
  }

  private get connectTimeoutMs(): number {
    return (
      this.options.connectTimeoutMs ??
      (this.options.server.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_MS / 1000) * 1000
    );
  }

  /** Runs `fn` on the live session; on an expired session (404) or a dropped one, re-initializes once and retries. */
  private async withSession<T>(fn: (sdk: SdkClient) => Promise<T>, idempotent = true): Promise<T> {
    if (this.closed) throw new ClientClosedError(this.serverName);
    let session = this.session && !this.session.closed ? this.session : await this.reconnect(this.session);
    this.busy++;
    try {
      return await fn(session.sdk);
    } catch (error) {
      if (this.closed) throw new ClientClosedError(this.serverName);
      // A tool call that may have run is not repeated; a 404 means the server never processed it.
      if (!(idempotent ? isSessionLost(error, session) : isSessionExpired(error, session))) throw error;
      this.log.info({ transport: session.kind }, 'MCP session expired or dropped; re-initializing');
      session = await this.reconnect(session);
      return await fn(session.sdk);
    } finally {
      this.busy--;
    }
  }

  /** Drops the SDK client and transport of an idle Streamable HTTP session, keeping what resumes it. */
  private setAside(): void {
    if (this.state.state !== 'open') return;
    const session = this.state.session;
    if (session.closed || this.busy > 0 || session.kind !== 'streamable-http') return;
    const transport = session.transport as StreamableHTTPClientTransport;
    if (!transport.sessionId) return;
    this.state = {
      state: 'dormant',
      dormant: { sessionId: transport.sessionId, protocolVersion: transport.protocolVersion },
    };
    clearTimeout(this.listChangedTimer);
    // Closing the transport aborts its requests and stream; it sends no DELETE, so the server keeps the session.
    session.closed = true;
    void session.sdk.close().catch(() => undefined);
  }

  /** Replaces `stale` with a new session; concurrent callers share one reconnection. */
  private reconnect(stale: Session | undefined): Promise<Session> {
    const from = this.state;
    if (from.state === 'open' && from.session !== stale && !from.session.closed) return Promise.resolve(from.session);
    if (from.state === 'reconnecting') return from.next;
    if (from.state === 'closed') return Promise.reject(new ClientClosedError(this.serverName));
    const replaced = from.state === 'open' ? from.session : undefined;
    const next = (async () => {
      let fresh: Session | undefined;
      try {
        if (stale) void this.endSession(stale, false);
        fresh = from.state === 'dormant' ? await this.wake(from.dormant) : await this.openSession();
        if (this.closed) {
          await this.endSession(fresh);
          throw new ClientClosedError(this.serverName);
        }
        return fresh;
      } finally {
        // Unless closed meanwhile (a client reconnects once at a time): the new session, or (it failed) the one it
        // was to replace; a dormant one is gone.
        if (this.state.state === 'reconnecting')
          this.state = fresh
            ? { state: 'open', session: fresh }
            : replaced
              ? { state: 'open', session: replaced }
              : { state: 'unopened' };
      }
    })();
    this.state = { state: 'reconnecting', replaced, next };
    return next;
  }

  /**
   * A session set aside, with a new SDK client and transport and no handshake (the SDK skips it for a known session
   * id).
   */
  private async wake(dormant: DormantSession): Promise<Session> {
    let transport: Transport | undefined;
    const serverStream = this.newServerStream(() => transport);
    const url = new URL(this.options.server.baseURL);
    const streamable = new StreamableHTTPClientTransport(url, {
      fetch: this.fetchFor({ serverStream }),
      sessionId: dormant.sessionId,
    });
    transport = streamable;
    if (dormant.protocolVersion) streamable.setProtocolVersion(dormant.protocolVersion);
    const session = this.newSession('streamable-http', streamable, serverStream);
    await session.sdk.connect(streamable);
    // Output schemas and task support of the known tools, as a listing would have cached them (shared compiled
    // validators).
    cacheToolMetadata(session.sdk, this.toolList);
    if (!this.serverStreamPaused) this.openServerStream(session);
    this.debug('MCP session woken after an idle spell');
    return session;
  }

  /** Asks the transport for its server stream (which `ServerStream` then opens, and keeps open). */
  private openServerStream(session: Session): void {
    (session.transport as StreamableHTTPClientTransport)
      .resumeStream('')
      .catch((error: unknown) => this.debug({ reason: describeError(error) }, 'could not reopen the server stream'));
  }

  /**
   * The server stream of a new session (closed while the user is idle). After a drop it comes back on its
   * own, and the tools are listed again, as a tools/list_changed sent meanwhile may be lost.
   */
  private newServerStream(transport: () => Transport | undefined): ServerStream {
    const stream = new ServerStream({
      fetch: this.fetchFor({ unbounded: true }),
      deliver: (message) => transport()?.onmessage?.(message),
      onError: (error) => this.debug({ reason: describeError(error) }, 'server stream error'),
      onReconnect: () => this.scheduleToolRefresh(),
      connection: streamConnection,
      ...(this.options.responseLimits?.maxSseEventBytes !== undefined && {
        maxEventBytes: this.options.responseLimits.maxSseEventBytes,
      }),
    });
    if (this.serverStreamPaused) stream.close();
    return stream;
  }

  /** Ends a session set aside: a DELETE with its id, on a transport made for it alone. */
  private async endDormantSession(dormant: DormantSession): Promise<void> {
    const transport = new StreamableHTTPClientTransport(new URL(this.options.server.baseURL), {
      fetch: this.fetchFor(),
      sessionId: dormant.sessionId,
    });
    if (dormant.protocolVersion) transport.setProtocolVersion(dormant.protocolVersion);
    await transport
      .terminateSession()
      .catch((error: unknown) => this.debug({ reason: describeError(error) }, 'session DELETE failed'));
    await transport.close().catch(() => undefined);
  }

  private async openSession(signal?: AbortSignal): Promise<Session> {
    const url = new URL(this.options.server.baseURL);
    try {
      let transport: Transport | undefined;
      const serverStream = this.newServerStream(() => transport);
      return await this.initialize(
        'streamable-http',
        (fetch) => (transport = new StreamableHTTPClientTransport(url, { fetch })),
        signal,
        serverStream,
      );
    } catch (error) {
      if (!speaksOnlySse(error)) throw error;
      this.debug({ reason: describeError(error) }, 'Streamable HTTP refused; falling back to SSE');
      return await this.initialize('sse', (fetch) => new SSEClientTransport(url, { fetch }), signal);
    }
  }

  private async initialize(
    kind: TransportKind,
    makeTransport: (fetch: FetchLike) => Transport,
    signal?: AbortSignal,
    serverStream?: ServerStream,
  ): Promise<Session> {
    const deadline = linkedSignal(signal, this.connectTimeoutMs);
    let handshaking = true;
    // Requests of the handshake end with its deadline, so the server's circuit breaker sees a timeout, not a closed
    // transport.
    const transport = makeTransport(
      this.fetchFor({ serverStream, handshake: { deadline: deadline.signal, active: () => handshaking } }),
    );
    const session = this.newSession(kind, transport, serverStream);
    const sdk = session.sdk;
    try {
      await sdk.connect(transport, { signal: deadline.signal, timeout: this.connectTimeoutMs });
      return session;
    } catch (error) {
      await sdk.close().catch(() => undefined);
      if (deadline.timedOut && !signal?.aborted) throw new ServerTimeoutError(this.serverName, this.connectTimeoutMs);
      throw error;
    } finally {
      handshaking = false;
      deadline.dispose();
    }
  }

  /** An SDK client over `transport` with this client's capabilities and handlers (not connected yet). */
  private newSession(kind: TransportKind, transport: Transport, serverStream?: ServerStream): Session {
    const onElicitation = this.options.onElicitation;
    const sdk = new SdkClient(
      { ...CLIENT_INFO },
      {
        capabilities: onElicitation ? { elicitation: {} } : {},
        ...(this.options.schemaValidator && { jsonSchemaValidator: this.options.schemaValidator }),
      },
    );
    if (onElicitation) sdk.setRequestHandler(ElicitRequestSchema, (request) => onElicitation(request.params));
    const session: Session = { sdk, transport, kind, closed: false, ...(serverStream && { serverStream }) };
    sdk.onclose = () => {
      session.closed = true;
    };
    sdk.onerror = (error) => this.debug({ reason: describeError(error) }, 'MCP transport error');
    sdk.setNotificationHandler(ToolListChangedNotificationSchema, () => this.scheduleToolRefresh());
    return session;
  }

  private async endSession(session: Session, terminate = true): Promise<void> {
    session.closed = true;
    if (terminate && session.transport instanceof StreamableHTTPClientTransport && session.transport.sessionId) {
      await session.transport
        .terminateSession()
        .catch((error: unknown) => this.debug({ reason: describeError(error) }, 'session DELETE failed'));
    }
    await session.sdk.close().catch(() => undefined);
  }

  private scheduleToolRefresh(): void {
    clearTimeout(this.listChangedTimer);
    this.listChangedTimer = setTimeout(() => this.refreshToolsInBackground('list_changed'), LIST_CHANGED_DEBOUNCE_MS);
    this.listChangedTimer.unref();
  }

  /** Lists the tools again and tells the owner; a failure is logged (the previous list stays). */
  private refreshToolsInBackground(after: string): void {
    this.refreshTools()
      .then((tools) => this.options.onToolsChanged?.(tools))
      .catch((error: unknown) =>
        this.log.warn({ reason: describeError(error) }, `could not refresh tools after ${after}`),
      );
  }

  private unauthorizedError(error: unknown): Error | undefined {
    if (!isUnauthorized(error)) return undefined;
    return this.options.onUnauthorized?.(error) ?? new ServerUnauthorizedError(this.serverName);
  }

  private connectError(error: unknown, signal?: AbortSignal): Error {
    if (isAuthNeeded(error) || isServerAttributed(error, this.serverName)) return error;
    const unauthorized = this.unauthorizedError(error);
    if (unauthorized) return unauthorized;
    if (signal?.aborted) return new ServerConnectError(this.serverName, 'cancelled', { cause: error });
    return new ServerConnectError(this.serverName, describeError(error), { cause: error });
  }
}

/** True when `error` or one of its causes is a `type`. */
function causedBy(error: unknown, type: abstract new (...args: never[]) => Error): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++)
    if (e instanceof type) return true;
  return false;
}

function httpStatus(error: unknown): number | undefined {
  if (error instanceof StreamableHTTPError || error instanceof SseError) return error.code;
  return ssePostStatus(error);
}

/** A 4xx other than 401/403 on initialize means "not a Streamable HTTP endpoint" (MCP backwards compatibility). */
function speaksOnlySse(error: unknown): boolean {
  const status = httpStatus(error);
  return status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 403;
}

function isUnauthorized(error: unknown): boolean {
  return error instanceof UnauthorizedError || httpStatus(error) === 401;
}

/**
 * 404 on a request that carried a session id means the server forgot the session (MCP 2025-06-18
 * §Session Management); a legacy SSE server answers the same for a message to a session it lost.
 */
function isSessionExpired(error: unknown, _session: Session): boolean {
  return httpStatus(error) === 404;
}

function isSessionLost(error: unknown, session: Session): boolean {
  if (session.closed || isSessionExpired(error, session)) return true;
  return error instanceof McpError && error.code === ErrorCode.ConnectionClosed;
}
