import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { PluginError, type ErrorCategory } from '../errors/plugin-error.js';
import { describeError, isAuthNeeded } from '../mcp/index.js';
import { StoreError } from '../store/index.js';

/** The one place a sort of failure becomes an HTTP status. */
export const STATUS_BY_CATEGORY = {
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  internal: 500,
  upstream: 502,
  unavailable: 503,
  timeout: 504,
} as const satisfies Record<ErrorCategory, number>;

export function statusOf(category: ErrorCategory): number {
  return STATUS_BY_CATEGORY[category];
}

/** A refusal of the HTTP layer itself (no user, a bad body, no such route), with its stable code. */
export class HttpError extends PluginError {
  constructor(
    readonly category: ErrorCategory,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function badRequest(message: string): HttpError {
  return new HttpError('invalid_input', 'ERR_BAD_REQUEST', message);
}

interface ErrorBody {
  readonly error: string;
  readonly code: string;
  readonly authURL?: string;
  readonly serverName?: string;
}

function internal(): { status: number; body: ErrorBody } {
  return {
    status: statusOf('internal'),
    body: { error: 'Internal error in the MCP sidecar; see its log.', code: 'ERR_INTERNAL' },
  };
}

/** Answers the plugin's errors by their category; anything else becomes a 500 without internals. */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof PluginError) {
    if (error.category === 'internal') return internal();
    const status = statusOf(error.category);
    if (isAuthNeeded(error)) {
      const { serverName } = error;
      return {
        status,
        body: { error: error.message, code: error.code, authURL: error.authURL, ...(serverName ? { serverName } : {}) },
      };
    }
    // The store's own message names hosts and files: the user learns only that it is down.
    if (error instanceof StoreError)
      return {
        status,
        body: { error: 'The MCP plugin’s storage is unavailable; try again in a minute.', code: error.code },
      };
    return { status, body: { error: error.message, code: error.code } };
  }
  const refused = bodyParserRefusal(error);
  if (refused) {
    const { status, type } = refused;
    const message =
      type === 'entity.parse.failed'
        ? 'The request body is not valid JSON.'
        : type === 'entity.too.large'
          ? 'The request body is too large.'
          : describeError(error);
    return { status, body: { error: message, code: 'ERR_BAD_REQUEST' } };
  }
  return internal();
}

/**
 * What express.json's body-parser refused (its errors carry a 4xx `status` and a `type` such as
 * `entity.parse.failed` or `entity.too.large`), or undefined for any other error.
 */
export function bodyParserRefusal(error: unknown): { status: number; type: string | undefined } | undefined {
  const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown };
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  return { status, type: typeof type === 'string' ? type : undefined };
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
