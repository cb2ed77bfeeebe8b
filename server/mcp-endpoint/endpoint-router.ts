import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { userIdOf } from '../http/authentication.js';
import { bodyParserRefusal } from '../http/errors.js';
import { describeError } from '../mcp/index.js';
import { SharedSchemaValidator } from '../mcp/index.js';
import { userToolServer, type UserToolServerDeps } from './user-tool-server.js';

/**
 * Reached through Mattermost at `<SiteURL>/plugins/mattermost-mcp/api/v1/mcp`, from plugins at
 * `/mattermost-mcp/api/v1/mcp`.
 */
export const MCP_ENDPOINT_PATH = '/api/v1/mcp';

/** JSON-RPC 2.0 error object without an id (the request could not be read or is not allowed). */
function jsonRpcError(code: number, message: string): Record<string, unknown> {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}

/**
 * The plugin's own MCP server endpoint (Streamable HTTP, stateless, JSON responses): every message a
 * POST, answered by a fresh SDK server and transport for the calling user. `caller` decides who may
 * call it and sets `res.locals.userId`.
 */
export function mcpEndpointRouter(deps: UserToolServerDeps, caller: RequestHandler): Router {
  const router = Router();
  const schemaValidator = new SharedSchemaValidator();

  router.post(MCP_ENDPOINT_PATH, caller, async (req, res) => {
    const server = userToolServer(userIdOf(res.locals), deps, schemaValidator);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    // Closing aborts handlers still running (the caller went away) and frees the per-request server.
    res.on('close', () => {
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (error) {
      deps.logger.error({ reason: describeError(error) }, 'MCP endpoint: request failed');
      if (!res.headersSent) res.status(500).json(jsonRpcError(-32603, 'Internal error.'));
    }
  });

  // Stateless: no standalone SSE stream to GET and no session to DELETE (as the SDK's stateless example answers).
  router.all(MCP_ENDPOINT_PATH, caller, (_req, res) => {
    res
      .status(405)
      .set('Allow', 'POST')
      .json(jsonRpcError(-32000, 'Method not allowed: this MCP endpoint is stateless; send every message as a POST.'));
  });

  return router;
}

/**
 * A body the app's JSON parser could not take is answered as JSON-RPC, as an MCP client expects (JSON-RPC
 * 2.0 §5.1: -32700 parse error, -32600 invalid request), not in the REST routes' shape. The app mounts it
 * on MCP_ENDPOINT_PATH right after its parsers (a router's own error handlers never see their errors).
 */
export const unreadableJsonRpcBody: ErrorRequestHandler = (error: unknown, _req, res, next) => {
  const type = bodyParserRefusal(error)?.type;
  if (type === 'entity.parse.failed')
    res.status(400).json(jsonRpcError(-32700, 'Parse error: the request body is not valid JSON.'));
  else if (type === 'entity.too.large')
    res.status(413).json(jsonRpcError(-32600, 'Invalid request: the request body is too large for this endpoint.'));
  else next(error);
};
