import { parseConfig } from '../../server/config/schema.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import { startFakeMattermost, type FakeMattermost } from './fake-mattermost.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from './mcp-test-server.js';
import { storeTarget } from './store-fixtures.js';
import { silentLogger } from './logger.js';

/** Alice is a plain user, Admin a system admin, as the fake Mattermost answers the admin check. */
export const ALICE = 'aliceaaaaaaaaaaaaaaaaaaaaa';
export const ADMIN = 'adminaaaaaaaaaaaaaaaaaaaaa';

/**
 * A sidecar on an SQLite store with one MCP server, `tools` (echo, whoami), and a fake Mattermost for the admin check.
 */
export interface SidecarWithMattermost {
  readonly sidecar: Sidecar;
  readonly mcp: TestMcpServer;
  readonly mattermost: FakeMattermost;
  /** The server list the sidecar started with. */
  config(): { servers: Array<{ name: string; baseURL: string }> };
  close(): Promise<void>;
}

export async function startSidecarWithMattermost(secret: string, botToken: string): Promise<SidecarWithMattermost> {
  const mcp = await startMcpServer({ tools: [echoTool, whoamiTool] });
  const mattermost = await startFakeMattermost({
    token: botToken,
    users: [
      { id: ADMIN, username: 'admin', roles: 'system_user system_admin' },
      { id: ALICE, username: 'alice', roles: 'system_user' },
    ],
  });
  const target = await storeTarget('sqlite');
  const config = () => ({ servers: [{ name: 'tools', baseURL: mcp.url }] });
  const sidecar = await startSidecar({
    config: parseConfig(config()),
    secret,
    logger: silentLogger(),
    listen: '127.0.0.1:0',
    store: await target.open(),
    mattermost: { restURL: mattermost.url, restToken: botToken },
  });
  return {
    sidecar,
    mcp,
    mattermost,
    config,
    close: async () => {
      await sidecar.close();
      await target.cleanUp();
      await mattermost.close();
      await mcp.close();
    },
  };
}
