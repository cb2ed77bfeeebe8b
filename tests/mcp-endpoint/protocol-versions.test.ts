/**
 * The MCP endpoint for clients of other protocol versions (the Agents plugin's Go SDK, IDEs, desktop
 * clients): `initialize` agrees on the version the client asks for, and no session id is needed after.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { parseConfig } from '../../server/config/schema.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import { silentLogger } from '../support/logger.js';
import { echoTool, startMcpServer, type TestMcpServer } from '../support/mcp-test-server.js';
import { sidecarRequest } from '../support/sidecar-client.js';
import { connectEndpoint } from '../support/mcp-endpoint-client.js';

const SECRET = 'protocol-versions-secret-0123456789';
const USER = 'useraaaaaaaaaaaaaaaaaaaaaa';
const ACCEPT = { accept: 'application/json, text/event-stream' };

let mcp: TestMcpServer;
let sidecar: Sidecar;

beforeAll(async () => {
  mcp = await startMcpServer({ tools: [echoTool] });
  sidecar = await startSidecar({
    config: parseConfig({ servers: [{ name: 'tools', baseURL: mcp.url }] }),
    secret: SECRET,
    logger: silentLogger(),
    listen: '127.0.0.1:0',
  });
});

afterAll(async () => {
  await sidecar?.close();
  await mcp?.close();
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  sidecarRequest(sidecar.address, '/api/v1/mcp', {
    secret: SECRET,
    userId: USER,
    pluginCaller: 'mattermost-ai',
    headers: { ...ACCEPT, ...headers },
    body,
  });

describe('MCP endpoint protocol versions', () => {
  it.each(['2025-03-26', '2025-06-18', LATEST_PROTOCOL_VERSION])(
    'agrees on %s in initialize and answers tools/list sent with that version and no session id',
    async (version) => {
      const init = await post({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      });
      expect(init.status).toBe(200);
      expect(init.body.result).toEqual(
        expect.objectContaining({
          protocolVersion: version,
          serverInfo: expect.objectContaining({ name: 'mattermost-mcp' }),
        }),
      );
      expect(init.headers['mcp-session-id']).toBeUndefined();

      const list = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-protocol-version': version });
      expect(list.status).toBe(200);
      expect(list.body.result.tools.map((t: { name: string }) => t.name)).toEqual(['mcp_connections', 'tools__echo']);
    },
  );

  it('offers its latest version to a client asking for one it does not know (the client then decides)', async () => {
    const init = await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2099-01-01', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    expect(init.body.result.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
  });

  it('serves an SDK client that negotiates 2025-03-26: lists and calls tools', async () => {
    const { client, transport } = await connectEndpoint(sidecar.address, {
      secret: SECRET,
      userId: USER,
      protocolVersion: '2025-03-26',
    });
    try {
      expect(transport.protocolVersion).toBe('2025-03-26');
      expect(transport.sessionId).toBeUndefined();
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['mcp_connections', 'tools__echo']);
      expect(await client.callTool({ name: 'tools__echo', arguments: { message: 'old' } })).toEqual({
        content: [{ type: 'text', text: 'echo: old' }],
      });
    } finally {
      await client.close();
    }
  });

  it('answers a notification with 202 Accepted', async () => {
    const note = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(note.status).toBe(202);
  });
});
