/**
 * An MCP server (SDK `McpServer` over stateless Streamable HTTP, on express, 127.0.0.1:0) that
 * is an OAuth protected resource: RFC 9728 metadata at the path-aware well-known URL, RFC 6750
 * challenges with `resource_metadata` and `scope`, JWT access tokens verified with jose against
 * the authorization server's JWKS (signature, issuer, audience = this resource), and a 403
 * `insufficient_scope` step-up challenge for a tool that needs an extra scope.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { closeServer } from './authorization-server.js';

export interface ProtectedMcpServerOptions {
  /** The authorization server's issuer, listed in the metadata and required in tokens. */
  readonly issuer: string;
  readonly jwksURL: string;
  /** `scopes_supported` of the metadata (default `mcp:tools mcp:admin`). */
  readonly scopesSupported?: readonly string[];
  /** `scope` of the 401 challenge (default `mcp:tools`); null leaves it out. */
  readonly challengeScope?: string | null;
  /** Put `resource_metadata` in the 401 challenge (default true). */
  readonly advertiseResourceMetadata?: boolean;
}

export interface ProtectedMcpServer {
  /** The MCP endpoint, `http://127.0.0.1:<port>/mcp`; also the resource identifier. */
  readonly url: string;
  readonly resource: string;
  readonly resourceMetadataURL: string;
  /** The scope `admin-report` needs, answered with 403 `insufficient_scope` when missing. */
  readonly adminScope: string;
  /** Why requests were refused, in order (`missing`, `invalid`, `insufficient_scope`). */
  readonly refusals: string[];
  /** Holds every tools/call that arrives from now on until `release()`: concurrent calls overlap for sure. */
  holdToolCalls(): { held(): number; release(): void };
  stop(): Promise<void>;
}

const ADMIN_SCOPE = 'mcp:admin';
const ADMIN_TOOL = 'admin-report';

export async function startProtectedMcpServer(options: ProtectedMcpServerOptions): Promise<ProtectedMcpServer> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const resource = `${origin}/mcp`;
  const resourceMetadataURL = `${origin}/.well-known/oauth-protected-resource/mcp`;
  const jwks = createRemoteJWKSet(new URL(options.jwksURL));
  const challengeScope = options.challengeScope === undefined ? 'mcp:tools' : options.challengeScope;
  const refusals: string[] = [];
  let hold: { waiting: number; released: Promise<void> } | undefined;

  const challenge = (params: Record<string, string | null | undefined>) =>
    'Bearer ' +
    Object.entries({
      ...params,
      resource_metadata: options.advertiseResourceMetadata === false ? undefined : resourceMetadataURL,
    })
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
      .map(([name, value]) => `${name}="${value.replace(/["\\]/g, '\\$&')}"`)
      .join(', ');

  const app = express();
  app.get('/.well-known/oauth-protected-resource/mcp', (_req, res) => {
    res.json({
      resource,
      authorization_servers: [options.issuer],
      scopes_supported: options.scopesSupported ?? ['mcp:tools', ADMIN_SCOPE],
      bearer_methods_supported: ['header'],
      resource_name: 'Protected test MCP server',
    });
  });

  app.use('/mcp', express.json(), async (req: Request, res: Response) => {
    const token = /^Bearer ([^\s]+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) {
      refusals.push('missing');
      res
        .status(401)
        .set('WWW-Authenticate', challenge({ scope: challengeScope }))
        .json({ error: 'unauthorized' });
      return;
    }
    let auth: AuthInfo;
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer: options.issuer, audience: resource, typ: 'at+jwt' });
      auth = {
        token,
        clientId: String(payload.client_id ?? ''),
        scopes: typeof payload.scope === 'string' ? payload.scope.split(' ') : [],
        ...(payload.exp !== undefined && { expiresAt: payload.exp }),
        extra: { sub: payload.sub },
      };
    } catch (error) {
      refusals.push('invalid');
      const description = error instanceof Error ? error.message : 'invalid token';
      res
        .status(401)
        .set(
          'WWW-Authenticate',
          challenge({ error: 'invalid_token', error_description: description, scope: challengeScope }),
        )
        .json({ error: 'invalid_token' });
      return;
    }
    if (callsTool(req.body, ADMIN_TOOL) && !auth.scopes.includes(ADMIN_SCOPE)) {
      refusals.push('insufficient_scope');
      res
        .status(403)
        .set('WWW-Authenticate', challenge({ error: 'insufficient_scope', scope: ADMIN_SCOPE }))
        .json({ error: 'insufficient_scope' });
      return;
    }
    if (hold && callsTool(req.body, undefined)) {
      const current = hold;
      current.waiting++;
      await current.released;
    }
    if (req.method !== 'POST') {
      res.status(405).set('Allow', 'POST').end(); // stateless: no standalone SSE stream, no session to delete
      return;
    }
    const mcp = buildMcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(Object.assign(req as IncomingMessage, { auth }), res, req.body);
  });

  server.on('request', app);
  const holdToolCalls = () => {
    let release!: () => void;
    const current = { waiting: 0, released: new Promise<void>((resolve) => (release = resolve)) };
    hold = current;
    return {
      held: () => current.waiting,
      release() {
        if (hold === current) hold = undefined;
        release();
      },
    };
  };
  return {
    url: resource,
    resource,
    resourceMetadataURL,
    adminScope: ADMIN_SCOPE,
    refusals,
    holdToolCalls,
    stop: () => closeServer(server),
  };
}

function buildMcpServer(): McpServer {
  const mcp = new McpServer({ name: 'protected-test-server', version: '1.0.0' });
  mcp.registerTool('whoami', { description: 'The subject of the access token.' }, (extra) => ({
    content: [{ type: 'text', text: String(extra.authInfo?.extra?.sub ?? '') }],
  }));
  mcp.registerTool(ADMIN_TOOL, { description: `Needs the ${ADMIN_SCOPE} scope.` }, (extra) => ({
    content: [{ type: 'text', text: `report for ${String(extra.authInfo?.extra?.sub ?? '')}` }],
  }));
  return mcp;
}

/** Whether the JSON-RPC body calls the tool `name` (any tool when undefined). */
function callsTool(body: unknown, name: string | undefined): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some(
    (m) =>
      typeof m === 'object' &&
      m !== null &&
      (m as { method?: unknown }).method === 'tools/call' &&
      (name === undefined || (m as { params?: { name?: unknown } }).params?.name === name),
  );
}
