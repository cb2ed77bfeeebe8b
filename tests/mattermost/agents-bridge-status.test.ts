import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../server/config/schema.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import { silentLogger } from '../support/logger.js';
import { echoTool, startMcpServer, type TestMcpServer } from '../support/mcp-test-server.js';
import { sidecarRequest } from '../support/sidecar-client.js';
import { startFakeShim, type FakeShim, type FakeShimOptions } from './fake-shim.js';

const SECRET = 'test-secret-0123456789abcdef';
const ALICE = 'aliceaaaaaaaaaaaaaaaaaaaaa';

let wiki: TestMcpServer;
const open: Array<Sidecar | FakeShim> = [];

beforeAll(async () => {
  wiki = await startMcpServer({ tools: [echoTool] });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await wiki.close();
});

/** `/mcp status` from a sidecar whose shim reports `agentsBridge`; `undefined` means no shim at all. */
async function statusWith(agentsBridge: FakeShimOptions['agentsBridge'] | undefined): Promise<string[]> {
  let shimURL: string | undefined;
  if (agentsBridge !== undefined) {
    const shim = await startFakeShim({ secret: SECRET, botUserId: 'botaaaaaaaaaaaaaaaaaaaaaaa', agentsBridge });
    open.push(shim);
    shimURL = shim.url;
  }
  const sidecar = await startSidecar({
    config: parseConfig({ servers: [{ name: 'wiki', baseURL: wiki.url }] }),
    secret: SECRET,
    logger: silentLogger(),
    listen: '127.0.0.1:0',
    mattermost: { siteURL: 'https://chat.example.com', ...(shimURL ? { shimURL } : {}) },
  });
  open.push(sidecar);
  const args = {
    user_id: ALICE,
    channel_id: 'channelaaaaaaaaaaaaaaaaaaa',
    team_id: 'teamaaaaaaaaaaaaaaaaaaaaaa',
    command: '/mcp status',
  };
  const response = await sidecarRequest(sidecar.address, '/hooks/ExecuteCommand', {
    secret: SECRET,
    userId: ALICE,
    body: args,
  });
  expect(response.status).toBe(200);
  // What the user reads: the invisible joiners that stop autolinks left out.
  return (response.body.text as string).replaceAll('\u2060', '').split('\n');
}

describe('/mcp status: the AI bot bridge line', () => {
  it('says the tools are registered with the Agents plugin', async () => {
    const lines = await statusWith({ state: 'registered' });
    expect(lines.at(-1)).toBe('**AI bot bridge:** registered with the Agents plugin: the AI bot sees these tools.');
    expect(lines.some((l) => l.includes('**wiki**'))).toBe(true);
  });

  it('gives the Agents plugin’s reason for a refusal, escaped', async () => {
    const detail =
      'Remote and external MCP servers requires a Mattermost Enterprise license or higher; the current license level is Free';
    const lines = await statusWith({ state: 'refused', detail });
    expect(lines.at(-1)).toBe(`**AI bot bridge:** ⚠️ the Agents plugin refused the registration: ${detail}.`);
  });

  it('says when the Agents plugin is not installed, or not running and why', async () => {
    expect((await statusWith({ state: 'not_installed' })).at(-1)).toBe(
      '**AI bot bridge:** the Agents plugin is not installed, so the AI bot does not see these tools.',
    );
    expect((await statusWith({ state: 'not_running', detail: 'the Agents plugin is disabled' })).at(-1)).toBe(
      '**AI bot bridge:** the Agents plugin is not running (the Agents plugin is disabled), so the AI bot does not see these tools.',
    );
  });

  it('says when an admin turned the bridge off', async () => {
    expect((await statusWith({ state: 'disabled' })).at(-1)).toBe(
      '**AI bot bridge:** off: a system admin turned off “Offer the tools to the AI bot”.',
    );
  });

  it('keeps Markdown and links in a detail from rendering', async () => {
    const lines = await statusWith({
      state: 'unreachable',
      detail: 'status 502: [click](https://evil.example) **now**',
    });
    expect(lines.at(-1)).toContain('\\[click\\]');
    expect(lines.at(-1)).not.toContain('[click](');
    expect(lines.at(-1)).toContain('tried again when the Agents plugin restarts');
  });

  it('says the bridge state is unknown when the shim cannot say, and still shows the servers', async () => {
    const lines = await statusWith(500);
    expect(lines.at(-1)).toBe(
      '**AI bot bridge:** unknown (The plugin shim did not accept GET /api/v1/agents-bridge (HTTP 500): the shim failed).',
    );
    expect(lines[0]).toBe('#### MCP servers');
  });

  it('has no line without a shim (an external sidecar started by hand)', async () => {
    const lines = await statusWith(undefined);
    expect(lines.some((l) => l.includes('AI bot bridge'))).toBe(false);
  });
});
