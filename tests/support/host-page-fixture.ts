/**
 * Everything a webapp browser spec needs, started once per file: the plugin bundle built fresh, real
 * MCP servers (one plain, one behind a real authorization server, one dead), a real sidecar with an
 * SQLite store, the stand-in Mattermost page in front of it, and Debian's Chromium.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { parseConfig, type ConfigInput } from '../../server/config/schema.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import { startAuthorizationServer, type TestAuthorizationServer } from './authorization-server.js';
import { chromiumAvailable, CHROMIUM_PATH, launchBrowser, type Browser } from './browser.js';
import { startHostPage, startReverseChannel, type HostPage, type ReverseChannel } from './host-page.js';
import { silentLogger } from './logger.js';
import { startDeadServer, type DeadServer } from './dead-server.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from './mcp-test-server.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from './protected-mcp-server.js';
import { storeTarget, type StoreTarget } from './store-fixtures.js';

export const SECRET = 'webapp-test-secret-0123456789';
export const USER = 'adminuseraaaaaaaaaaaaaaaaa';
export const CONNECTION_EVENT = 'custom_mattermost-mcp_mcp_connection_updated';
const REST_TOKEN = 'bot-token-0123456789';
/** Set UPDATE_SCREENSHOTS=1 to refresh the committed screenshots in docs/screenshots/. */
const SCREENSHOT_DIR = process.env.UPDATE_SCREENSHOTS
  ? join(process.cwd(), 'docs', 'screenshots')
  : join(tmpdir(), 'mcp-screenshots');

export interface OnChangeCall {
  readonly id: string;
  readonly value: any;
}

export interface WebappFixture {
  /** `wiki` (echo, whoami), `extra` (echo), `dead` (drops every connection). */
  readonly tools: TestMcpServer;
  readonly extra: TestMcpServer;
  readonly dead: DeadServer;
  /** `github` in the config: an OAuth protected resource. */
  readonly protectedServer: ProtectedMcpServer;
  readonly host: HostPage;
  readonly channel: ReverseChannel;
  readonly sidecar: Sidecar;
  readonly browser: Browser;
  /** The running config: wiki, github, broken. */
  config(): ConfigInput;
  /** The sidecar's Connect URL for a server, as browsers reach it through Mattermost. */
  startURLOf(serverName: string): string;
  /** A page signed in as USER (`view=console|channel`, `theme`, `value`); `window.open` is recorded in `__opened`. */
  openPage(query: Record<string, string>): Promise<Page>;
  onChangeCalls(page: Page): Promise<OnChangeCall[]>;
  lastValue(page: Page): Promise<any>;
  screenshot(page: Page, name: string): Promise<unknown>;
  close(): Promise<void>;
}

export async function startWebappFixture(): Promise<WebappFixture> {
  if (!chromiumAvailable())
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium (or run .ci/run).`);
  const workDir = mkdtempSync(join(tmpdir(), 'mcp-webapp-'));
  const bundlePath = join(workDir, 'main.js');
  const build = spawnSync(process.execPath, ['webapp/build.mjs', '--outfile', bundlePath], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`webapp build failed:\n${build.stderr}`);

  const tools = await startMcpServer({ tools: [echoTool, whoamiTool] });
  const extra = await startMcpServer({ tools: [echoTool] });
  const dead = await startDeadServer();
  const authorizationServer: TestAuthorizationServer = await startAuthorizationServer();
  const protectedServer = await startProtectedMcpServer({
    issuer: authorizationServer.issuer,
    jwksURL: authorizationServer.jwksURL,
  });
  const store: StoreTarget = await storeTarget('sqlite');
  const host = await startHostPage({ userId: USER, bundlePath, restToken: REST_TOKEN });
  // Pages signed in as USER: where "Mattermost" delivers the user's WebSocket events.
  const openPages = new Set<Page>();
  const channel = await startReverseChannel(join(workDir, 'shim.sock'), SECRET, (published) => {
    if (published.userId !== USER) return;
    for (const page of openPages)
      void page
        .evaluate(({ event, payload }) => (window as any).__mm.emitWebSocket(event, payload), published)
        .catch(() => undefined);
  });
  const config = (): ConfigInput => ({
    servers: [
      { name: 'wiki', baseURL: tools.url },
      { name: 'github', baseURL: protectedServer.url },
      { name: 'broken', baseURL: dead.url },
    ],
  });
  const sidecar = await startSidecar({
    config: parseConfig(config()),
    secret: SECRET,
    logger: silentLogger(),
    listen: '127.0.0.1:0',
    store: await store.open(),
    publicBaseURL: `${host.url}/plugins/mattermost-mcp`,
    mattermost: { restURL: host.url, restToken: REST_TOKEN, siteURL: host.url, shimURL: channel.url },
  });
  host.setSidecar({ address: sidecar.address, secret: SECRET });
  const browser = await launchBrowser();
  browser.context.setDefaultTimeout(5_000);

  const onChangeCalls = (page: Page) => page.evaluate(() => (window as any).__mm.onChangeCalls as OnChangeCall[]);
  return {
    tools,
    extra,
    dead,
    protectedServer,
    host,
    channel,
    sidecar,
    browser,
    config,
    startURLOf: (serverName) => `${host.url}/plugins/mattermost-mcp/mcp/oauth/${encodeURIComponent(serverName)}/start`,
    async openPage(query) {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.addInitScript(() => {
        const opened: unknown[][] = [];
        (window as any).__opened = opened;
        window.open = (...args: unknown[]) => {
          opened.push(args);
          return null;
        };
      });
      await page.goto(`${host.url}/?${new URLSearchParams(query)}`);
      await page.waitForFunction(() => Boolean((window as any).__mm?.pluginId));
      if (errors.length > 0) throw new Error(`the page failed to load the plugin: ${errors.join('; ')}`);
      openPages.add(page);
      page.on('close', () => openPages.delete(page));
      return page;
    },
    onChangeCalls,
    lastValue: async (page) => (await onChangeCalls(page)).at(-1)?.value,
    screenshot(page, name) {
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      return page.screenshot({ path: join(SCREENSHOT_DIR, name), fullPage: true });
    },
    async close() {
      await browser.close();
      await sidecar.close();
      await host.close();
      await channel.close();
      await store.cleanUp();
      await Promise.all([
        tools.close(),
        extra.close(),
        dead.close(),
        protectedServer.stop(),
        authorizationServer.stop(),
      ]);
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
