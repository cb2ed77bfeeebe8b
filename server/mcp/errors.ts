import { PluginError } from '../errors/plugin-error.js';

/** Errors a caller of the MCP layer can switch on by `code`. Messages say what to do. */
export abstract class McpClientError extends PluginError {}

/** The server could not be reached or refused the MCP handshake on both transports. */
export class ServerConnectError extends McpClientError {
  readonly code = 'ERR_MCP_CONNECT';
  readonly category = 'upstream';
  constructor(
    readonly serverName: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Server ${serverName}: could not connect (${reason}). Check that the server is running and its URL is right.`,
      options,
    );
  }
}

/** The server did not finish the handshake within its connect timeout. */
export class ServerTimeoutError extends McpClientError {
  readonly code = 'ERR_MCP_TIMEOUT';
  readonly category = 'timeout';
  constructor(
    readonly serverName: string,
    readonly timeoutMs: number,
    what = 'connect',
  ) {
    super(`Server ${serverName}: no answer to ${what} within ${Math.round(timeoutMs / 100) / 10} s.`);
  }
}

/** The server failed its last connection attempts (by any user): it is not dialled again until `retryAt`. */
export class ServerUnavailableError extends McpClientError {
  readonly code = 'ERR_MCP_SERVER_UNAVAILABLE';
  readonly category = 'unavailable';
  constructor(
    readonly serverName: string,
    reason: string,
    readonly retryAt: number,
    now: number,
    options?: { cause?: unknown },
  ) {
    const seconds = Math.max(0, Math.ceil((retryAt - now) / 1000));
    super(
      `Server ${serverName}: could not connect (${reason}). ${seconds > 0 ? `The plugin tries again in ${seconds} s` : 'The plugin tries again on the next request'}; ask an admin to check the server if this lasts.`,
      options,
    );
  }
}

/** The server answered 401 and the plugin has no way (yet) to authorize this user. */
export class ServerUnauthorizedError extends McpClientError {
  readonly code = 'ERR_MCP_UNAUTHORIZED';
  readonly category = 'upstream';
  constructor(readonly serverName: string) {
    super(`Server ${serverName}: the server requires authorization (HTTP 401) and no OAuth flow is available for it.`);
  }
}

/** The bot asked for a tool the user does not have. */
export class ToolNotFoundError extends McpClientError {
  readonly code = 'ERR_MCP_TOOL_NOT_FOUND';
  readonly category = 'not_found';
  constructor(readonly toolName: string) {
    super(`Unknown tool "${toolName}". List the user's tools again: it may have been removed or renamed.`);
  }
}

/** A tool a system admin switched off (by its setting or a deny/allow pattern): neither listed nor callable. */
export class ToolDisabledError extends McpClientError {
  readonly code = 'ERR_MCP_TOOL_DISABLED';
  readonly category = 'forbidden';
  constructor(
    readonly serverName: string,
    readonly toolName: string,
    readonly exposedName: string,
  ) {
    super(
      `Tool ${exposedName} (${toolName} on server ${serverName}) is disabled by a system admin and cannot be called. Ask an admin if you need it.`,
    );
  }
}

/**
 * The user switched this server off for themselves (`/mcp disable`): none of its tools are listed or called for them.
 */
export class ServerSwitchedOffError extends McpClientError {
  readonly code = 'ERR_MCP_SERVER_SWITCHED_OFF';
  readonly category = 'forbidden';
  constructor(
    readonly serverName: string,
    readonly toolName: string,
  ) {
    super(
      `Tool ${toolName} belongs to server ${serverName}, which you switched off for yourself. Run /mcp enable ${serverName} to use it again.`,
    );
  }
}

/** A tools/call failed at the protocol level (not a tool result with isError). */
export class ToolCallError extends McpClientError {
  readonly code = 'ERR_MCP_TOOL_CALL';
  readonly category = 'upstream';
  constructor(
    readonly serverName: string,
    readonly toolName: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Server ${serverName}: calling tool ${toolName} failed: ${reason}`, options);
  }
}

/** A server the user asked for is not configured or is disabled. */
export class ServerNotAvailableError extends McpClientError {
  readonly code = 'ERR_MCP_SERVER_NOT_AVAILABLE';
  readonly category = 'not_found';
  constructor(readonly serverName: string) {
    super(`Server ${serverName} is not configured or is disabled.`);
  }
}

/** The client was closed (idle eviction, config change, shutdown) while the request ran. */
export class ClientClosedError extends McpClientError {
  readonly code = 'ERR_MCP_CLIENT_CLOSED';
  readonly category = 'unavailable';
  constructor(readonly serverName: string) {
    super(`Server ${serverName}: the connection was closed; retry the request.`);
  }
}

/** Short, log-safe description of any error (no stack, bounded length). */
export function describeError(error: unknown): string {
  // Duck-typed: fetch's errors may come from another realm (a test sandbox), where `instanceof Error` fails.
  const own = (error as { message?: unknown } | null | undefined)?.message;
  let message = typeof own === 'string' ? own : String(error);
  // undici says only "fetch failed"; the network error under it (ECONNREFUSED, other side closed) is what helps.
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (message === 'fetch failed' && cause)
    message = `${typeof cause.code === 'string' ? cause.code : String(cause.message)}, fetch failed`;
  // A server's HTML error page (often with its stack trace and file paths) is not for the bot or the log.
  const page = message.search(/<!doctype html|<html/i);
  if (page >= 0) message = `${message.slice(0, page).trimEnd()} (an HTML error page)`;
  const status = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof status === 'number' && status >= 400 && status < 600 && !message.includes(String(status)))
    message = `HTTP ${status}: ${message}`;
  // eslint-disable-next-line no-control-regex
  message = message.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return message.length > 500 ? `${message.slice(0, 500)}…` : message;
}
