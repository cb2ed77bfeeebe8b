import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import {
  ClientClosedError,
  McpClientError,
  ServerNotAvailableError,
  ServerSwitchedOffError,
  ServerTimeoutError,
  ServerUnavailableError,
  ToolCallError,
  ToolDisabledError,
  ToolNotFoundError,
  describeError,
} from '../mcp/index.js';
import { AuthorizationServerUnavailableError, OAuthError, TokenUnavailableError } from '../oauth/index.js';
import { StoreError } from '../store/index.js';
import { isAuthNeeded } from '../mcp/index.js';
import { ConfigValidationError } from '../config/errors.js';

/** An error with the HTTP status and stable code the sidecar answers with. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function badRequest(message: string): HttpError {
  return new HttpError(400, 'ERR_BAD_REQUEST', message);
}

interface ErrorBody {
  readonly error: string;
  readonly code: string;
  readonly authURL?: string;
  readonly serverName?: string;
}

/** Maps domain errors to statuses; unknown errors become a 500 without internals. */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof HttpError) return { status: error.status, body: { error: error.message, code: error.code } };
  if (isAuthNeeded(error)) {
    const serverName = (error as { serverName?: string }).serverName;
    return {
      status: 403,
      body: {
        error: error.message,
        code: 'ERR_OAUTH_NEEDED',
        authURL: error.authURL,
        ...(serverName ? { serverName } : {}),
      },
    };
  }
  if (error instanceof ConfigValidationError) return { status: 400, body: { error: error.message, code: error.code } };
  if (error instanceof ToolNotFoundError || error instanceof ServerNotAvailableError)
    return { status: 404, body: { error: error.message, code: error.code } };
  // Refused by an admin's or the user's own choice: the same request will not work until that changes.
  if (error instanceof ToolDisabledError || error instanceof ServerSwitchedOffError)
    return { status: 403, body: { error: error.message, code: error.code } };
  if (error instanceof ServerTimeoutError) return { status: 504, body: { error: error.message, code: error.code } };
  // Temporary: the server, its authorization server or the store is down; the same request may work later.
  if (
    error instanceof ClientClosedError ||
    error instanceof ServerUnavailableError ||
    error instanceof TokenUnavailableError ||
    error instanceof AuthorizationServerUnavailableError
  ) {
    return { status: 503, body: { error: error.message, code: error.code } };
  }
  if (error instanceof StoreError)
    return {
      status: 503,
      body: { error: 'The MCP plugin’s storage is unavailable; try again in a minute.', code: error.code },
    };
  // Any other failure of the OAuth layer (discovery, registration, a refused grant) is upstream's, with a message for the user.
  if (error instanceof OAuthError) return { status: 502, body: { error: error.message, code: error.code } };
  if (error instanceof ToolCallError || error instanceof McpClientError)
    return { status: 502, body: { error: error.message, code: error.code } };
  const status = (error as { status?: unknown; type?: unknown }).status;
  // body-parser errors: malformed JSON, too large, bad encoding.
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const type = (error as { type?: string }).type;
    const message =
      type === 'entity.parse.failed'
        ? 'The request body is not valid JSON.'
        : type === 'entity.too.large'
          ? 'The request body is too large.'
          : describeError(error);
    return { status, body: { error: message, code: 'ERR_BAD_REQUEST' } };
  }
  return { status: 500, body: { error: 'Internal error in the MCP sidecar; see its log.', code: 'ERR_INTERNAL' } };
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const { status, body } = toErrorResponse(error);
    // Unexpected failures get a stack trace; refusals the sidecar chose to make (HttpError, domain errors) do not.
    if (status === 500) logger.error({ err: error, path: req.path }, 'request failed');
    else if (status > 500) logger.warn({ path: req.path, status, errorCode: body.code }, 'request failed');
    else logger.debug({ path: req.path, status, errorCode: body.code }, 'request refused');
    res.status(status).json(body);
  };
}
