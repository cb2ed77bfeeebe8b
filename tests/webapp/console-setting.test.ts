/**
 * The System Console setting in real Chromium: the bundle's `Config` component on a stand-in admin
 * console page, whose plugin routes reach a real sidecar (its config check and tool discovery).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CONNECTION_EVENT, SECRET, startWebappFixture, type WebappFixture } from '../support/host-page-fixture.js';
import { sidecarRequest } from '../support/sidecar-client.js';
import { parseConfig } from '../../server/config/schema.js';
import { SECRET_MASK } from '../../server/config/secret-mask.js';

const SETTING_ID = 'PluginSettings.Plugins.mattermost-mcp.config';

describe('webapp in Chromium: registration and the System Console setting', () => {
  let f: WebappFixture;

  beforeAll(async () => {
    f = await startWebappFixture();
  }, 90_000);

  afterAll(async () => {
    await f?.close();
  });

  it('registers the Config setting, the MCP tools panel, its channel-header button, the Connect notices and both WebSocket events', async () => {
    const page = await f.openPage({ view: 'channel' });
    const registered = await page.evaluate(() => {
      const mm = (window as any).__mm;
      return {
        id: mm.pluginId,
        settings: Object.keys(mm.settings),
        rhs: mm.rhs.map((r: any) => r.title),
        buttons: mm.headerButtons.map((b: any) => b.tooltipText),
        roots: mm.roots.length,
        events: Object.keys(mm.wsHandlers),
      };
    });
    expect(registered).toEqual({
      id: 'mattermost-mcp',
      settings: ['Config'],
      rhs: ['MCP tools'],
      buttons: ['MCP tools'],
      roots: 1,
      events: [CONNECTION_EVENT, 'custom_mattermost-mcp_mcp_connect_needed'],
    });
    await page.close();
  });

  describe('System Console setting', () => {
    it('adds a server from name, URL and a masked header, reporting each edit through onChange and setSaveNeeded', async () => {
      const page = await f.openPage({ view: 'console', value: JSON.stringify({ enabled: true, servers: [] }) });
      await page.getByText('No MCP servers configured.').waitFor();
      await page.getByRole('button', { name: 'Add MCP server' }).click();
      const card = page.getByRole('group', { name: 'MCP server 1' });
      await expect(card.getByLabel('Name', { exact: true }).inputValue()).resolves.toBe('MCP Server 1');
      await card.getByLabel('Name', { exact: true }).fill('wiki');
      await card.getByLabel('Server URL', { exact: true }).fill(f.tools.url);
      await card.getByRole('button', { name: 'Add header' }).click();
      await card.getByLabel('Header 1 name', { exact: true }).fill('X-Api-Key');
      const headerValue = card.getByLabel('Header 1 value', { exact: true });
      await headerValue.fill('sk-not-for-screens');
      await expect(headerValue.getAttribute('type')).resolves.toBe('password');
      await card.getByRole('button', { name: 'Show Header 1 value' }).click();
      await expect(headerValue.getAttribute('type')).resolves.toBe('text');
      await card.getByRole('button', { name: 'Hide Header 1 value' }).click();

      const calls = await f.onChangeCalls(page);
      expect(calls.every((call) => call.id === SETTING_ID)).toBe(true);
      expect(await page.evaluate(() => (window as any).__mm.saveNeeded)).toBe(calls.length);
      expect(calls.at(-1)?.value).toEqual({
        enabled: true,
        servers: [
          { name: 'wiki', enabled: true, baseURL: f.tools.url, headers: { 'X-Api-Key': 'sk-not-for-screens' } },
        ],
      });
      await expect(page.getByTestId('save-state').textContent()).resolves.toBe('Unsaved changes');

      // The server accepts what the console produced.
      const check = await sidecarRequest(f.sidecar.address, '/hooks/ConfigurationWillBeSaved', {
        secret: SECRET,
        body: { settings: { config: calls.at(-1)?.value } },
      });
      expect(check.status).toBe(200);
      await page.close();
    });

    it('names the field for a bad URL and a forbidden header, as the server does', async () => {
      const page = await f.openPage({
        view: 'console',
        value: JSON.stringify({
          enabled: true,
          servers: [{ name: 'wiki', enabled: true, baseURL: f.tools.url, headers: {} }],
        }),
      });
      const card = page.getByRole('group', { name: 'MCP server 1' });
      await card.getByLabel('Server URL', { exact: true }).fill('ftp://files.example.com/mcp');
      await card.getByRole('button', { name: 'Add header' }).click();
      await card.getByLabel('Header 1 name', { exact: true }).fill('X-Mattermost-UserID');
      await card.getByLabel('Header 1 value', { exact: true }).fill('someone-else');

      await card.getByText('Server URL must be an http(s) URL, not ftp:.').waitFor();
      await card
        .getByText('Header X-Mattermost-UserID is set by the plugin to the requesting user and cannot be overridden.')
        .waitFor();
      await expect(card.getByLabel('Server URL', { exact: true }).getAttribute('aria-invalid')).resolves.toBe('true');
      await page.getByText('2 problems need fixing before this configuration can be saved.').waitFor();
      await expect(card.getByRole('button', { name: 'Discover tools' }).isDisabled()).resolves.toBe(true);

      await card.getByLabel('Server URL', { exact: true }).fill('not a url');
      await card.getByText('Server URL must be an http(s) URL, like https://mcp.example.com/mcp.').waitFor();
      await card.getByLabel('Header 1 name', { exact: true }).fill('X Api Key');
      await card.getByText(/^⚠ Header name "X Api Key" is not a valid HTTP header name/).waitFor();

      // The value still carries what was typed, so a save is refused by the server with the same fields.
      const value = await f.lastValue(page);
      expect(value.servers[0]).toMatchObject({ baseURL: 'not a url', headers: { 'X Api Key': 'someone-else' } });
      const check = await sidecarRequest(f.sidecar.address, '/hooks/ConfigurationWillBeSaved', {
        secret: SECRET,
        body: { settings: { config: value } },
      });
      expect(check.status).toBe(400);
      expect(check.body.error).toMatch(/baseURL/);
      expect(check.body.error).toMatch(/X Api Key/);
      await page.close();
    });

    it('renames, disables and removes servers, and refuses a duplicate name ignoring case', async () => {
      const page = await f.openPage({
        view: 'console',
        value: JSON.stringify({
          enabled: true,
          idleTimeoutMinutes: 45,
          servers: [
            { name: 'wiki', enabled: true, baseURL: f.tools.url, headers: {} },
            { name: 'extra', enabled: true, baseURL: f.extra.url, headers: {}, toolTimeoutSeconds: 30 },
          ],
        }),
      });
      const first = page.getByRole('group', { name: 'MCP server 1' });
      const second = page.getByRole('group', { name: 'MCP server 2' });
      await second.getByLabel('Name', { exact: true }).fill('WIKI');
      await second
        .getByText('Server name "WIKI" is used by another server (names are compared ignoring case).')
        .waitFor();
      await second.getByLabel('Name', { exact: true }).fill('docs');
      await first.getByRole('switch', { name: 'Enabled' }).uncheck();
      await page.getByLabel('Idle timeout (minutes)').fill('-5');
      await page.getByText('Idle timeout must be at least 0 minutes.').waitFor();
      await page.getByLabel('Idle timeout (minutes)').fill('10');
      expect(await f.lastValue(page)).toEqual({
        enabled: true,
        idleTimeoutMinutes: 10,
        servers: [
          { name: 'wiki', enabled: false, baseURL: f.tools.url, headers: {} },
          { name: 'docs', enabled: true, baseURL: f.extra.url, headers: {}, toolTimeoutSeconds: 30 },
        ],
      });
      await first.getByRole('button', { name: 'Remove server wiki' }).click();
      expect((await f.lastValue(page)).servers.map((s: { name: string }) => s.name)).toEqual(['docs']);
      await page.getByRole('switch', { name: 'Enable MCP tools' }).uncheck();
      expect((await f.lastValue(page)).enabled).toBe(false);
      await page.close();
    });

    it('edits per-server OAuth options and shows the callback URL to register', async () => {
      const page = await f.openPage({
        view: 'console',
        value: JSON.stringify({
          servers: [{ name: 'github', enabled: true, baseURL: f.protectedServer.url, headers: {} }],
        }),
      });
      await expect(page.getByLabel('OAuth callback URL', { exact: true }).inputValue()).resolves.toBe(
        `${f.host.url}/plugins/mattermost-mcp/oauth/callback`,
      );
      const card = page.getByRole('group', { name: 'MCP server 1' });
      await card.getByText('OAuth (optional)').click();
      await card.getByLabel('Client secret', { exact: true }).fill('shh');
      await card.getByText('Client secret needs a client ID.').waitFor();
      await expect(card.getByLabel('Client secret', { exact: true }).getAttribute('type')).resolves.toBe('password');
      await card.getByLabel('Client ID', { exact: true }).fill('Iv1.abc');
      await card.getByText('Issuer is required with a client ID').waitFor();
      await card.getByLabel('Issuer', { exact: true }).fill('https://github.com/login/oauth');
      await card.getByLabel('Scopes', { exact: true }).fill('repo read:org');
      await card.getByLabel('Audience', { exact: true }).fill('https://api.github.com');
      await card.getByLabel("Don't send a resource").check();
      await card.getByRole('switch', { name: 'Allow authorization servers that do not advertise PKCE S256' }).check();
      expect((await f.lastValue(page)).servers[0].oauth).toEqual({
        clientId: 'Iv1.abc',
        clientSecret: 'shh',
        issuer: 'https://github.com/login/oauth',
        scopes: ['repo', 'read:org'],
        omitResource: true,
        audience: 'https://api.github.com',
        allowMissingS256: true,
      });
      await card.getByLabel('This resource').check();
      await card.getByLabel('Resource', { exact: true }).fill('relative/path');
      await card.getByText('Resource must be an absolute URL.').waitFor();
      await card.getByLabel('Resource', { exact: true }).fill('https://api.github.com/');
      expect((await f.lastValue(page)).servers[0].oauth).toMatchObject({ resource: 'https://api.github.com/' });
      expect((await f.lastValue(page)).servers[0].oauth.omitResource).toBeUndefined();
      const check = await sidecarRequest(f.sidecar.address, '/hooks/ConfigurationWillBeSaved', {
        secret: SECRET,
        body: { settings: { config: await f.lastValue(page) } },
      });
      expect(check.status).toBe(200);
      await page.close();
    });

    it('discovers the tools of an unsaved server, and says when it needs OAuth or fails', async () => {
      const before = f.host.requests.length; // other specs here discover too
      const page = await f.openPage({
        view: 'console',
        value: JSON.stringify({
          servers: [{ name: 'wiki', enabled: true, baseURL: f.tools.url, headers: { 'X-Api-Key': 'k' } }],
        }),
      });
      await page.getByRole('button', { name: 'Add MCP server' }).click();
      await page.getByRole('button', { name: 'Add MCP server' }).click();
      const [wiki, github, broken] = [1, 2, 3].map((n) => page.getByRole('group', { name: `MCP server ${n}` }));
      await github!.getByLabel('Name', { exact: true }).fill('github');
      await github!.getByLabel('Server URL', { exact: true }).fill(f.protectedServer.url);
      await broken!.getByLabel('Server URL', { exact: true }).fill(f.dead.url);

      await wiki!.getByRole('button', { name: 'Discover tools' }).click();
      const list = wiki!.getByRole('list', { name: 'Tools on wiki' });
      await list.waitFor();
      await expect(list.getByRole('listitem').locator('code').allTextContents()).resolves.toEqual(['echo', 'whoami']);
      await list.getByText('Returns the X-Mattermost-UserID the server received').waitFor();

      await github!.getByRole('button', { name: 'Discover tools' }).click();
      await github!.getByText('Needs OAuth').waitFor();
      await github!.getByRole('button', { name: 'Connect account' }).click();
      expect(await page.evaluate(() => (window as any).__opened)).toEqual([
        [expect.stringContaining(f.startURLOf('github')), '_blank', 'noopener,noreferrer'],
      ]);

      await broken!.getByRole('button', { name: 'Discover tools' }).click();
      await broken!.getByText(/^Could not discover tools: ./).waitFor();

      // The POSTs carried the CSRF token, so they reached the sidecar as the signed-in admin.
      const posts = f.host.requests
        .slice(before)
        .filter((r) => r.method === 'POST' && r.path === '/admin/mcp/discover');
      expect(posts).toHaveLength(3);
      expect(posts.every((r) => r.authenticated)).toBe(true);
      expect(posts[0]!.body).toEqual({
        name: 'wiki',
        enabled: true,
        baseURL: f.tools.url,
        headers: { 'X-Api-Key': 'k' },
      });

      await f.screenshot(page, 'console-setting.png');

      // An edit makes the result stale.
      await wiki!.getByLabel('Server URL', { exact: true }).fill(`${f.tools.url}?v=2`);
      await expect(list.count()).resolves.toBe(0);
      await page.close();
    });

    it('switches tools and patterns in the discovery view into the setting, showing what each hides, what reaches the bot and patterns that match nothing', async () => {
      const page = await f.openPage({
        view: 'console',
        value: JSON.stringify({ servers: [{ name: 'wiki', enabled: true, baseURL: f.tools.url, headers: {} }] }),
      });
      const wiki = page.getByRole('group', { name: 'MCP server 1' });
      await wiki.getByRole('button', { name: 'Discover tools' }).click();
      const list = wiki.getByRole('list', { name: 'Tools on wiki' });
      await list.waitFor();
      await wiki
        .getByText(
          /^2 of 2 tools reach the AI bot, about \d+ tokens of definitions per user \(an estimate: JSON length \/ 4\)$/,
        )
        .waitFor();

      await list.getByRole('switch', { name: 'echo reaches the AI bot' }).click();
      await list.getByText('Switched off').waitFor();
      expect((await f.lastValue(page)).servers[0].tools).toEqual({ echo: { enabled: false } });
      await list.getByRole('combobox', { name: 'Policy for whoami' }).selectOption('ask');
      expect((await f.lastValue(page)).servers[0].tools).toEqual({
        echo: { enabled: false },
        whoami: { policy: 'ask' },
      });

      await wiki.getByLabel('Deny patterns', { exact: true }).fill('who*, drop_*');
      await list.getByText('Hidden by deny pattern who*').waitFor();
      await wiki.getByText(/^0 of 2 tools reach the AI bot, about 0 tokens/).waitFor();
      await wiki.getByText('Deny pattern drop_* matches none of these tools.').waitFor();
      expect(await list.getByRole('switch', { name: 'whoami reaches the AI bot' }).isDisabled()).toBe(true);
      await list.getByRole('switch', { name: 'echo reaches the AI bot' }).click();
      await wiki.getByText(/^1 of 2 tools reach the AI bot/).waitFor();
      const saved = await f.lastValue(page);
      expect(saved.servers[0]).toMatchObject({ deny: ['who*', 'drop_*'], tools: { whoami: { policy: 'ask' } } });
      expect(saved.servers[0].tools.echo).toBeUndefined(); // back on, with no policy: nothing left to save

      // What the console saves is what the sidecar accepts, and the AI bot then sees only echo.
      const check = await sidecarRequest(f.sidecar.address, '/hooks/ConfigurationWillBeSaved', {
        secret: SECRET,
        body: { settings: { config: saved } },
      });
      expect(check.status).toBe(200);
      await f.screenshot(page, 'console-tool-rules.png');
      await page.close();
    });

    it('reads the servers from the sidecar when Mattermost sends Config masked, and keeps each saved secret masked', async () => {
      const API_KEY = 'sk-saved-never-in-the-browser';
      f.sidecar.manager.reInit(
        parseConfig({ servers: [{ name: 'wiki', baseURL: f.tools.url, headers: { 'X-Api-Key': API_KEY } }] }),
      );
      try {
        const page = await f.openPage({ view: 'console', value: JSON.stringify(SECRET_MASK) });
        const card = page.getByRole('group', { name: 'MCP server 1' });
        await expect(card.getByLabel('Name', { exact: true }).inputValue()).resolves.toBe('wiki');
        await expect(card.getByLabel('Header 1 name', { exact: true }).inputValue()).resolves.toBe('X-Api-Key');
        await expect(card.getByLabel('Header 1 value', { exact: true }).inputValue()).resolves.toBe(SECRET_MASK);
        await page.getByText('Saved header values and client secrets are not shown').waitFor();
        expect(await f.onChangeCalls(page)).toEqual([]);

        // Discovery with the masked header reaches the server with the saved value.
        await card.getByRole('button', { name: 'Discover tools' }).click();
        await card.getByRole('list', { name: 'Tools on wiki' }).waitFor();
        expect(f.tools.requests.filter((r) => r.method === 'POST').at(-1)!.headers['x-api-key']).toBe(API_KEY);

        // An edit sends the mask back for the header the admin kept.
        await card.getByLabel('Server URL', { exact: true }).fill(`${f.tools.url}?v=2`);
        expect((await f.onChangeCalls(page)).at(-1)?.value).toEqual({
          enabled: true,
          idleTimeoutMinutes: 30,
          servers: [
            { name: 'wiki', enabled: true, baseURL: `${f.tools.url}?v=2`, headers: { 'X-Api-Key': SECRET_MASK } },
          ],
        });
        expect(await page.content()).not.toContain(API_KEY);
        await page.close();
      } finally {
        f.sidecar.manager.reInit(parseConfig(f.config()));
      }
    });
  });
});
