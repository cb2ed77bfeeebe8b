/**
 * A real SDK MCP client on the sidecar's MCP endpoint, sending what the shim adds for the AI bot: the secret, the user
 * and the calling plugin.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export interface EndpointClientOptions {
  readonly secret: string;
  readonly userId: string;
  /**
   * X-Mattermost-Plugin-Caller (default `mattermost-ai`, a trusted plugin); null: a user's own client through
   * Mattermost.
   */
  readonly pluginCaller?: string | null;
  /** Asks for this protocol version in `initialize` instead of the SDK's latest. */
  readonly protocolVersion?: string;
}

/** Rewrites the protocol version the client asks for; the SDK client always asks for its latest. */
class VersionedTransport extends StreamableHTTPClientTransport {
  constructor(
    url: URL,
    init: ConstructorParameters<typeof StreamableHTTPClientTransport>[1],
    private readonly version: string,
  ) {
    super(url, init);
  }

  override send(
    message: JSONRPCMessage,
    options?: Parameters<StreamableHTTPClientTransport['send']>[1],
  ): Promise<void> {
    if ('method' in message && message.method === 'initialize' && message.params) {
      return super.send({ ...message, params: { ...message.params, protocolVersion: this.version } }, options);
    }
    return super.send(message, options);
  }
}

export async function connectEndpoint(
  sidecarAddress: string,
  options: EndpointClientOptions,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const url = new URL(`${sidecarAddress}/api/v1/mcp`);
  const caller = options.pluginCaller === undefined ? 'mattermost-ai' : options.pluginCaller;
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.secret}`,
    'x-mattermost-userid': options.userId,
  };
  if (caller !== null) headers['x-mattermost-plugin-caller'] = caller;
  const init = { requestInit: { headers } };
  const transport = options.protocolVersion
    ? new VersionedTransport(url, init, options.protocolVersion)
    : new StreamableHTTPClientTransport(url, init);
  const client = new Client({ name: 'endpoint-spec', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}
