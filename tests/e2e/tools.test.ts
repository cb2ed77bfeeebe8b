/**
 * Users list and call tools through a real Mattermost (REST → plugin RPC → shim → sidecar → MCP
 * server): the protocol's reference server and a server of our own that reports the user id it
 * received; request bodies sent with a length, chunked, and as large as the sidecar takes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { startEverythingServer, type EverythingServer } from '../support/everything-server.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer, type TestTool } from '../support/mcp-test-server.js';
import { callTool, listTools, useServers } from './support/people.js';
import { rawRequest } from './support/raw-request.js';
import { pluginPath, world } from './support/world.js';

/** The sidecar's JSON body limit for tool calls (`TOOL_CALL_BODY_LIMIT` in server/http/app.ts): 16 MiB. */
const SIDECAR_BODY_LIMIT = 16 * 1024 * 1024;

const failingTool: TestTool = {
  name: 'fail',
  description: 'Always reports a failure',
  run: () => ({ content: [{ type: 'text', text: 'the report service is down' }], isError: true }),
};

/** The SHA-256 and length of the message it received: a 16 MiB argument checked without a 16 MiB answer. */
const digestTool: TestTool = {
  name: 'digest',
  description: 'Returns the SHA-256 and length of its message',
  inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
  run: (args) => ({
    content: [
      {
        type: 'text',
        text: `${createHash('sha256').update(String(args.message)).digest('hex')} ${String(args.message).length}`,
      },
    ],
  }),
};

let everything: EverythingServer;
let own: TestMcpServer;

beforeAll(async () => {
  everything = await startEverythingServer();
  own = await startMcpServer({ tools: [echoTool, whoamiTool, failingTool, digestTool], bodyLimit: '20mb' }); // takes a 16 MiB call
  await useServers([
    { name: 'everything', baseURL: everything.url },
    { name: 'own', baseURL: own.url },
  ]);
});

afterAll(async () => {
  await everything?.stop();
  await own?.close();
});

/** Sends a tools/call body as alice through Mattermost: with a Content-Length, or chunked (seven pieces). */
function rawCall(body: string, framing: 'length' | 'chunked'): Promise<{ status: number; json: any }> {
  const { siteURL, alice } = world();
  return rawRequest(siteURL, {
    method: 'POST',
    path: pluginPath('/api/v1/tools/call'),
    headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
    body,
    framing,
  });
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('tools through Mattermost', () => {
  it('lists every server’s tools for a logged-in user', async () => {
    const response = await listTools(world().alice);
    expect(response.status).toBe(200);
    const names = response.json.tools.map((t: { name: string }) => t.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'everything__echo',
        'everything__get-tiny-image',
        'own__echo',
        'own__whoami',
        'own__fail',
      ]),
    );
    expect(response.json.errors).toEqual({ toolAuthErrors: [], errors: [] });
  });

  it('calls the reference server’s echo', async () => {
    const response = await callTool(world().alice, 'everything__echo', { message: 'hello from Mattermost' });
    expect(response.status).toBe(200);
    expect(response.json).toEqual(
      expect.objectContaining({ isError: false, text: expect.stringContaining('hello from Mattermost') }),
    );
  });

  it('returns an image a tool made', async () => {
    const response = await callTool(world().alice, 'everything__get-tiny-image');
    expect(response.status).toBe(200);
    expect(response.json.images).toEqual([expect.objectContaining({ mimeType: 'image/png' })]);
    expect(Buffer.from(response.json.images[0].data, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });

  it('reports a tool’s own failure as isError with its message', async () => {
    const response = await callTool(world().alice, 'own__fail');
    expect(response.status).toBe(200);
    expect(response.json).toEqual(expect.objectContaining({ isError: true, text: 'the report service is down' }));
  });

  it('gives up on a tool that runs past the call’s timeout, saying so', async () => {
    const response = await callTool(
      world().alice,
      'everything__trigger-long-running-operation',
      { duration: 30, steps: 30 },
      { timeoutMs: 500 },
    );
    expect(response.status).toBe(502);
    expect(response.json).toEqual({
      code: 'ERR_MCP_TOOL_CALL',
      error: expect.stringContaining('no answer within 0.5 s'),
    });
  });

  it('hands each user’s own Mattermost id to the MCP server', async () => {
    const { alice, bob } = world();
    const [asAlice, asBob] = await Promise.all([callTool(alice, 'own__whoami'), callTool(bob, 'own__whoami')]);
    expect(asAlice.json.text).toBe(alice.userId);
    expect(asBob.json.text).toBe(bob.userId);
  });

  it('answers 404 for a tool no server has', async () => {
    const response = await callTool(world().alice, 'own__nope');
    expect(response.status).toBe(404);
  });
});

describe('request bodies through the plugin RPC', () => {
  it('delivers a body sent with a Content-Length', async () => {
    const response = await rawCall(JSON.stringify({ name: 'own__echo', arguments: { message: 'sized' } }), 'length');
    expect(response.status).toBe(200);
    expect(response.json.text).toBe('echo: sized');
  });

  it('delivers a chunked body', async () => {
    const response = await rawCall(
      JSON.stringify({ name: 'own__echo', arguments: { message: 'in seven chunks' } }),
      'chunked',
    );
    expect(response.status).toBe(200);
    expect(response.json.text).toBe('echo: in seven chunks');
  });

  it('delivers a 16 MiB body intact to the MCP server, chunked and with a length', async () => {
    const message = Array.from({ length: SIDECAR_BODY_LIMIT - 4096 }, (_, i) =>
      String.fromCharCode(97 + ((i * 7919) % 26)),
    ).join('');
    const body = JSON.stringify({ name: 'own__digest', arguments: { message } });
    expect(body.length).toBeGreaterThan(SIDECAR_BODY_LIMIT - 8192);
    for (const framing of ['length', 'chunked'] as const) {
      const response = await rawCall(body, framing);
      expect({ framing, status: response.status, text: response.json.text }).toEqual({
        framing,
        status: 200,
        text: `${sha256(message)} ${message.length}`,
      });
    }
  });

  it('a body past the 16 MiB limit reaches the sidecar, which refuses it as too large (not a lost body)', async () => {
    const body = JSON.stringify({ name: 'own__echo', arguments: { message: 'x'.repeat(SIDECAR_BODY_LIMIT + 1024) } });
    for (const framing of ['length', 'chunked'] as const) {
      const response = await rawCall(body, framing);
      expect(response.status).toBe(413);
      expect(response.json).toEqual({ error: 'The request body is too large.', code: 'ERR_BAD_REQUEST' });
    }
  });
});
