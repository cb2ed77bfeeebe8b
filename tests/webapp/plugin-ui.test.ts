/**
 * The webapp bundle in real Chromium, on a stand-in Mattermost page whose plugin routes reach a real
 * sidecar with real MCP servers behind it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { parseConfig, type ConfigInput } from '../../server/config/schema.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { chromiumAvailable, CHROMIUM_PATH, launchBrowser, type Browser } from '../support/browser.js';
import { eventually } from '../support/eventually.js';
import { startHostPage, startReverseChannel, type HostPage, type ReverseChannel } from '../support/host-page.js';
import { silentLogger } from '../support/logger.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../support/mcp-test-server.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';
import { sidecarRequest } from '../support/sidecar-client.js';
import { storeTarget, type StoreTarget } from '../support/store-fixtures.js';

const SECRET = 'webapp-test-secret-0123456789';
const REST_TOKEN = 'bot-token-0123456789';
const USER = 'adminuseraaaaaaaaaaaaaaaaa';
const EVENT = 'custom_mattermost-mcp_mcp_connection_updated';
const SETTING_ID = 'PluginSettings.Plugins.mattermost-mcp.config';
/** Set UPDATE_SCREENSHOTS=1 to refresh the committed screenshots in docs/screenshots/. */
const SCREENSHOT_DIR = process.env.UPDATE_SCREENSHOTS ? join(process.cwd(), 'docs', 'screenshots') : mkdtempSync(join(tmpdir(), 'mcp-screenshots-'));

interface OnChangeCall {
  readonly id: string;
  readonly value: any;
}

describe('webapp in Chromium', () => {
  let workDir: string;
  let bundlePath: string;
  let tools: TestMcpServer;
  let extra: TestMcpServer;
  let dead: TestMcpServer;
  let authorizationServer: TestAuthorizationServer;
  let protectedServer: ProtectedMcpServer;
  let store: StoreTarget;
  let host: HostPage;
  let channel: ReverseChannel;
  let sidecar: Sidecar;
  let browser: Browser;
  /** Pages signed in as USER: where "Mattermost" delivers the user's WebSocket events. */
  const openPages = new Set<Page>();

  /** The sidecar's Connect URL for a server, as browsers reach it through Mattermost. */
  const startURLOf = (serverName: string) => `${host.url}/plugins/mattermost-mcp/mcp/oauth/${encodeURIComponent(serverName)}/start`;
  const config = (): ConfigInput => ({
    servers: [
      { name: 'wiki', baseURL: tools.url },
      { name: 'github', baseURL: protectedServer.url },
      { name: 'broken', baseURL: dead.url },
    ],
  });

  beforeAll(async () => {
    if (!chromiumAvailable()) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium (or run .ci/run).`);
    workDir = mkdtempSync(join(tmpdir(), 'mcp-webapp-'));
    bundlePath = join(workDir, 'main.js');
    const build = spawnSync(process.execPath, ['webapp/build.mjs', '--outfile', bundlePath], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`webapp build failed:\n${build.stderr}`);

    tools = await startMcpServer({ tools: [echoTool, whoamiTool] });
    extra = await startMcpServer({ tools: [echoTool] });
    dead = await startMcpServer();
    await dead.kill();
    authorizationServer = await startAuthorizationServer();
    protectedServer = await startProtectedMcpServer({ issuer: authorizationServer.issuer, jwksURL: authorizationServer.jwksURL });
    store = await storeTarget('sqlite');
    host = await startHostPage({ userId: USER, bundlePath, restToken: REST_TOKEN });
    channel = await startReverseChannel(join(workDir, 'shim.sock'), SECRET, (published) => {
      if (published.userId !== USER) return;
      for (const page of openPages) void page.evaluate(({ event, payload }) => (window as any).__mm.emitWebSocket(event, payload), published).catch(() => undefined);
    });
    sidecar = await startSidecar({
      config: parseConfig(config()),
      secret: SECRET,
      logger: silentLogger(),
      listen: '127.0.0.1:0',
      store: await store.open(),
      publicBaseURL: `${host.url}/plugins/mattermost-mcp`,
      mattermost: { restURL: host.url, restToken: REST_TOKEN, siteURL: host.url, shimURL: channel.url },
    });
    host.setSidecar({ address: sidecar.address, secret: SECRET });
    browser = await launchBrowser();
    browser.context.setDefaultTimeout(5_000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await sidecar?.close();
    await host?.close();
    await channel?.close();
    await store?.cleanUp();
    await Promise.all([tools?.close(), extra?.close(), protectedServer?.stop(), authorizationServer?.stop()]);
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  async function openPage(query: Record<string, string>): Promise<Page> {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // Record window.open instead of opening authorization pages.
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
    expect(errors).toEqual([]);
    openPages.add(page);
    page.on('close', () => openPages.delete(page));
    return page;
  }

  const onChangeCalls = (page: Page) => page.evaluate(() => (window as any).__mm.onChangeCalls as OnChangeCall[]);
  const lastValue = async (page: Page) => (await onChangeCalls(page)).at(-1)?.value;
  const screenshot = (page: Page, name: string) => {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    return page.screenshot({ path: join(SCREENSHOT_DIR, name), fullPage: true });
  };

  it('registers the Config setting, the MCP tools panel, its channel-header button and the connection event', async () => {
    const page = await openPage({ view: 'channel' });
    const registered = await page.evaluate(() => {
      const mm = (window as any).__mm;
      return { id: mm.pluginId, settings: Object.keys(mm.settings), rhs: mm.rhs.map((r: any) => r.title), buttons: mm.headerButtons.map((b: any) => b.tooltipText), events: Object.keys(mm.wsHandlers) };
    });
    expect(registered).toEqual({ id: 'mattermost-mcp', settings: ['Config'], rhs: ['MCP tools'], buttons: ['MCP tools'], events: [EVENT] });
    await page.close();
  });

  describe('System Console setting', () => {
    it('adds a server from name, URL and a masked header, reporting each edit through onChange and setSaveNeeded', async () => {
      const page = await openPage({ view: 'console', value: JSON.stringify({ enabled: true, servers: [] }) });
      await page.getByText('No MCP servers configured.').waitFor();
      await page.getByRole('button', { name: 'Add MCP server' }).click();
      const card = page.getByRole('group', { name: 'MCP server 1' });
      await expect(card.getByLabel('Name', { exact: true }).inputValue()).resolves.toBe('MCP Server 1');
      await card.getByLabel('Name', { exact: true }).fill('wiki');
      await card.getByLabel('Server URL', { exact: true }).fill(tools.url);
      await card.getByRole('button', { name: 'Add header' }).click();
      await card.getByLabel('Header 1 name', { exact: true }).fill('X-Api-Key');
      const headerValue = card.getByLabel('Header 1 value', { exact: true });
      await headerValue.fill('sk-not-for-screens');
      await expect(headerValue.getAttribute('type')).resolves.toBe('password');
      await card.getByRole('button', { name: 'Show Header 1 value' }).click();
      await expect(headerValue.getAttribute('type')).resolves.toBe('text');
      await card.getByRole('button', { name: 'Hide Header 1 value' }).click();

      const calls = await onChangeCalls(page);
      expect(calls.every((call) => call.id === SETTING_ID)).toBe(true);
      expect(await page.evaluate(() => (window as any).__mm.saveNeeded)).toBe(calls.length);
      expect(calls.at(-1)?.value).toEqual({ enabled: true, servers: [{ name: 'wiki', enabled: true, baseURL: tools.url, headers: { 'X-Api-Key': 'sk-not-for-screens' } }] });
      await expect(page.getByTestId('save-state').textContent()).resolves.toBe('Unsaved changes');

      // The server accepts what the console produced.
      const check = await sidecarRequest(sidecar.address, '/hooks/ConfigurationWillBeSaved', { secret: SECRET, body: { settings: { config: calls.at(-1)?.value } } });
      expect(check.status).toBe(200);
      await page.close();
    });

    it('names the field for a bad URL and a forbidden header, as the server does', async () => {
      const page = await openPage({ view: 'console', value: JSON.stringify({ enabled: true, servers: [{ name: 'wiki', enabled: true, baseURL: tools.url, headers: {} }] }) });
      const card = page.getByRole('group', { name: 'MCP server 1' });
      await card.getByLabel('Server URL', { exact: true }).fill('ftp://files.example.com/mcp');
      await card.getByRole('button', { name: 'Add header' }).click();
      await card.getByLabel('Header 1 name', { exact: true }).fill('X-Mattermost-UserID');
      await card.getByLabel('Header 1 value', { exact: true }).fill('someone-else');

      await card.getByText('Server URL must be an http(s) URL, not ftp:.').waitFor();
      await card.getByText('Header X-Mattermost-UserID is set by the plugin to the requesting user and cannot be overridden.').waitFor();
      await expect(card.getByLabel('Server URL', { exact: true }).getAttribute('aria-invalid')).resolves.toBe('true');
      await page.getByText('2 problems need fixing before this configuration can be saved.').waitFor();
      await expect(card.getByRole('button', { name: 'Discover tools' }).isDisabled()).resolves.toBe(true);

      await card.getByLabel('Server URL', { exact: true }).fill('not a url');
      await card.getByText('Server URL must be an http(s) URL, like https://mcp.example.com/mcp.').waitFor();
      await card.getByLabel('Header 1 name', { exact: true }).fill('X Api Key');
      await card.getByText(/^⚠ Header name "X Api Key" is not a valid HTTP header name/).waitFor();

      // The value still carries what was typed, so a save is refused by the server with the same fields.
      const value = await lastValue(page);
      expect(value.servers[0]).toMatchObject({ baseURL: 'not a url', headers: { 'X Api Key': 'someone-else' } });
      const check = await sidecarRequest(sidecar.address, '/hooks/ConfigurationWillBeSaved', { secret: SECRET, body: { settings: { config: value } } });
      expect(check.status).toBe(400);
      expect(check.body.error).toMatch(/baseURL/);
      expect(check.body.error).toMatch(/X Api Key/);
      await page.close();
    });

    it('renames, disables and removes servers, and refuses a duplicate name ignoring case', async () => {
      const page = await openPage({
        view: 'console',
        value: JSON.stringify({ enabled: true, idleTimeoutMinutes: 45, servers: [{ name: 'wiki', enabled: true, baseURL: tools.url, headers: {} }, { name: 'extra', enabled: true, baseURL: extra.url, headers: {}, toolTimeoutSeconds: 30 }] }),
      });
      const first = page.getByRole('group', { name: 'MCP server 1' });
      const second = page.getByRole('group', { name: 'MCP server 2' });
      await second.getByLabel('Name', { exact: true }).fill('WIKI');
      await second.getByText('Server name "WIKI" is used by another server (names are compared ignoring case).').waitFor();
      await second.getByLabel('Name', { exact: true }).fill('docs');
      await first.getByRole('switch', { name: 'Enabled' }).uncheck();
      await page.getByLabel('Idle timeout (minutes)').fill('-5');
      await page.getByText('Idle timeout must be at least 0 minutes.').waitFor();
      await page.getByLabel('Idle timeout (minutes)').fill('10');
      expect(await lastValue(page)).toEqual({
        enabled: true,
        idleTimeoutMinutes: 10,
        servers: [
          { name: 'wiki', enabled: false, baseURL: tools.url, headers: {} },
          { name: 'docs', enabled: true, baseURL: extra.url, headers: {}, toolTimeoutSeconds: 30 },
        ],
      });
      await first.getByRole('button', { name: 'Remove server wiki' }).click();
      expect((await lastValue(page)).servers.map((s: { name: string }) => s.name)).toEqual(['docs']);
      await page.getByRole('switch', { name: 'Enable MCP tools' }).uncheck();
      expect((await lastValue(page)).enabled).toBe(false);
      await page.close();
    });

    it('edits per-server OAuth options and shows the callback URL to register', async () => {
      const page = await openPage({ view: 'console', value: JSON.stringify({ servers: [{ name: 'github', enabled: true, baseURL: protectedServer.url, headers: {} }] }) });
      await expect(page.getByLabel('OAuth callback URL', { exact: true }).inputValue()).resolves.toBe(`${host.url}/plugins/mattermost-mcp/oauth/callback`);
      const card = page.getByRole('group', { name: 'MCP server 1' });
      await card.getByText('OAuth (optional)').click();
      await card.getByLabel('Client secret', { exact: true }).fill('shh');
      await card.getByText('Client secret needs a client ID.').waitFor();
      await expect(card.getByLabel('Client secret', { exact: true }).getAttribute('type')).resolves.toBe('password');
      await card.getByLabel('Client ID', { exact: true }).fill('Iv1.abc');
      await card.getByLabel('Scopes', { exact: true }).fill('repo read:org');
      await card.getByLabel('Audience', { exact: true }).fill('https://api.github.com');
      await card.getByLabel("Don't send a resource").check();
      await card.getByRole('switch', { name: 'Allow authorization servers that do not advertise PKCE S256' }).check();
      expect((await lastValue(page)).servers[0].oauth).toEqual({
        clientId: 'Iv1.abc',
        clientSecret: 'shh',
        scopes: ['repo', 'read:org'],
        omitResource: true,
        audience: 'https://api.github.com',
        allowMissingS256: true,
      });
      await card.getByLabel('This resource').check();
      await card.getByLabel('Resource', { exact: true }).fill('relative/path');
      await card.getByText('Resource must be an absolute URL.').waitFor();
      await card.getByLabel('Resource', { exact: true }).fill('https://api.github.com/');
      expect((await lastValue(page)).servers[0].oauth).toMatchObject({ resource: 'https://api.github.com/' });
      expect((await lastValue(page)).servers[0].oauth.omitResource).toBeUndefined();
      const check = await sidecarRequest(sidecar.address, '/hooks/ConfigurationWillBeSaved', { secret: SECRET, body: { settings: { config: await lastValue(page) } } });
      expect(check.status).toBe(200);
      await page.close();
    });

    it('discovers the tools of an unsaved server, and says when it needs OAuth or fails', async () => {
      const page = await openPage({ view: 'console', value: JSON.stringify({ servers: [{ name: 'wiki', enabled: true, baseURL: tools.url, headers: { 'X-Api-Key': 'k' } }] }) });
      await page.getByRole('button', { name: 'Add MCP server' }).click();
      await page.getByRole('button', { name: 'Add MCP server' }).click();
      const [wiki, github, broken] = [1, 2, 3].map((n) => page.getByRole('group', { name: `MCP server ${n}` }));
      await github!.getByLabel('Name', { exact: true }).fill('github');
      await github!.getByLabel('Server URL', { exact: true }).fill(protectedServer.url);
      await broken!.getByLabel('Server URL', { exact: true }).fill(dead.url);

      await wiki!.getByRole('button', { name: 'Discover tools' }).click();
      const list = wiki!.getByRole('list', { name: 'Tools on wiki' });
      await list.waitFor();
      await expect(list.getByRole('listitem').allTextContents()).resolves.toEqual(['echoEchoes its message', 'whoamiReturns the X-Mattermost-UserID the server received']);

      await github!.getByRole('button', { name: 'Discover tools' }).click();
      await github!.getByText('Needs OAuth').waitFor();
      await github!.getByRole('button', { name: 'Connect account' }).click();
      expect(await page.evaluate(() => (window as any).__opened)).toEqual([[expect.stringContaining(startURLOf('github')), '_blank', 'noopener,noreferrer']]);

      await broken!.getByRole('button', { name: 'Discover tools' }).click();
      await broken!.getByText(/^Could not discover tools: ./).waitFor();

      // The POSTs carried the CSRF token, so they reached the sidecar as the signed-in admin.
      const posts = host.requests.filter((r) => r.method === 'POST' && r.path === '/admin/mcp/discover');
      expect(posts).toHaveLength(3);
      expect(posts.every((r) => r.authenticated)).toBe(true);
      expect(posts[0]!.body).toEqual({ name: 'wiki', enabled: true, baseURL: tools.url, headers: { 'X-Api-Key': 'k' } });

      await screenshot(page, 'console-setting.png');

      // An edit makes the result stale.
      await wiki!.getByLabel('Server URL', { exact: true }).fill(`${tools.url}?v=2`);
      await expect(list.count()).resolves.toBe(0);
      await page.close();
    });
  });

  describe('MCP tools panel', () => {
    it('opens from the channel header and lists each server: tools when connected, Connect when it needs OAuth, the reason when it fails', async () => {
      const expected = await sidecarRequest(sidecar.address, '/mcp/tools', { secret: SECRET, userId: USER });
      const brokenRow = expected.body.servers.find((s: { name: string }) => s.name === 'broken');
      expect(brokenRow.status).toBe('error');

      const page = await openPage({ view: 'channel' });
      await page.getByRole('button', { name: 'MCP tools' }).click();
      const panel = page.getByRole('complementary', { name: 'Right-hand sidebar' });
      const list = panel.getByRole('list', { name: 'MCP servers' });
      await list.waitFor();

      const wiki = list.getByRole('listitem', { name: 'wiki' });
      await wiki.getByText('Connected').waitFor();
      await wiki.getByText('2 tools').waitFor();
      await wiki.getByText('2 tools').click();
      await wiki.getByText('whoami').waitFor();

      const broken = list.getByRole('listitem', { name: 'broken' });
      await broken.getByText('Error', { exact: true }).waitFor();
      await broken.getByText(brokenRow.error).waitFor();

      const github = list.getByRole('listitem', { name: 'github' });
      await github.getByText('Not connected').waitFor();
      await github.getByRole('button', { name: 'Connect github' }).click();
      expect(await page.evaluate(() => (window as any).__opened)).toEqual([[expect.stringContaining(startURLOf('github')), '_blank', 'noopener,noreferrer']]);

      await screenshot(page, 'user-panel.png');
      await page.close();
    });

    it('refetches when the connection event arrives and when the window regains focus', async () => {
      const page = await openPage({ view: 'channel' });
      await page.getByRole('button', { name: 'MCP tools' }).click();
      const list = page.getByRole('list', { name: 'MCP servers' });
      await list.getByRole('listitem', { name: 'wiki' }).waitFor();
      const fetches = () => host.requests.filter((r) => r.path === '/mcp/tools').length;

      sidecar.manager.reInit(parseConfig({ servers: [...config().servers!, { name: 'extra', baseURL: extra.url }] }));
      const before = fetches();
      expect(await page.evaluate((event) => (window as any).__mm.emitWebSocket(event, { status: 'connected', serverName: 'extra' }), EVENT)).toBe(true);
      await list.getByRole('listitem', { name: 'extra' }).getByText('1 tool').waitFor();
      expect(fetches()).toBe(before + 1);

      sidecar.manager.reInit(parseConfig(config()));
      await page.evaluate(() => window.dispatchEvent(new Event('focus')));
      await eventually(async () => expect(await list.getByRole('listitem').count()).toBe(3));
      expect(fetches()).toBe(before + 2);
      await page.close();
    });

    it('connects an account: Connect, the authorization server\'s login and consent, then the event brings the server\'s tools', async () => {
      const page = await openPage({ view: 'channel' });
      await page.getByRole('button', { name: 'MCP tools' }).click();
      const github = page.getByRole('listitem', { name: 'github' });
      await github.getByRole('button', { name: 'Connect github' }).click();
      const opened = await page.evaluate(() => (window as any).__opened as string[][]);
      const startURL = opened[0]?.[0] ?? '';
      expect(startURL.startsWith(startURLOf('github'))).toBe(true);

      // The tab Connect opens: through Mattermost to the sidecar's start route, then the authorization server.
      const tab = await browser.context.newPage();
      await tab.goto(startURL);
      await tab.locator('input[name="login"]').fill(USER);
      await tab.locator('input[name="password"]').fill('any password');
      await tab.locator('button[type="submit"]').click();
      await tab.locator('button[type="submit"]').click(); // consent
      await tab.waitForURL((url) => url.pathname.endsWith('/plugins/mattermost-mcp/oauth/callback'));
      await tab.getByText('Your account is connected to github').waitFor();
      expect(host.requests.filter((r) => r.path.startsWith('/oauth/callback')).map((r) => r.authenticated)).toEqual([true]);
      await tab.close();

      // The sidecar told the shim, Mattermost delivered the event, the panel fetched again.
      await eventually(() => expect(channel.events).toContainEqual({ event: EVENT, payload: { status: 'connected', serverName: 'github' }, userId: USER }));
      await github.getByText('Connected').waitFor();
      await github.getByText(/^\d+ tools?$/).waitFor();
      await page.close();
    });

    it.todo('disconnects an OAuth-connected server (once GET /mcp/tools marks it with needsOAuth and authenticated, as the Go plugin does)');

    it('fits the dark theme', async () => {
      const page = await openPage({ view: 'channel', theme: 'dark' });
      await page.getByRole('button', { name: 'MCP tools' }).click();
      await page.getByRole('listitem', { name: 'broken' }).getByText('Error', { exact: true }).waitFor();
      const colors = await page.evaluate(() => {
        const row = document.querySelector('.mcp-server-row')!;
        return { text: getComputedStyle(row).color, background: getComputedStyle(row).backgroundColor };
      });
      expect(colors).toEqual({ text: 'rgb(227, 228, 232)', background: 'rgb(25, 27, 31)' });
      await screenshot(page, 'user-panel-dark.png');
      await page.close();
    });
  });
});
