/**
 * The users' MCP tools panel in real Chromium: opened from the channel header of a stand-in
 * Mattermost page whose plugin routes reach a real sidecar, real MCP servers and a real
 * authorization server.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../server/config/schema.js';
import { eventually } from '../support/eventually.js';
import {
  CONNECTION_EVENT,
  SECRET,
  USER,
  startWebappFixture,
  type WebappFixture,
} from '../support/host-page-fixture.js';
import { sidecarRequest } from '../support/sidecar-client.js';

describe('webapp in Chromium: the MCP tools panel', () => {
  let f: WebappFixture;

  beforeAll(async () => {
    f = await startWebappFixture();
  }, 90_000);

  afterAll(async () => {
    await f?.close();
  });

  describe('MCP tools panel', () => {
    it('opens from the channel header and lists each server: tools when connected, Connect when it needs OAuth, the reason when it fails', async () => {
      const expected = await sidecarRequest(f.sidecar.address, '/mcp/tools', { secret: SECRET, userId: USER });
      const brokenRow = expected.body.servers.find((s: { name: string }) => s.name === 'broken');
      expect(brokenRow.status).toBe('error');

      const page = await f.openPage({ view: 'channel' });
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
      await github.getByRole('button', { name: 'Connect github', exact: true }).click();
      expect(await page.evaluate(() => (window as any).__opened)).toEqual([
        [expect.stringContaining(f.startURLOf('github')), '_blank', 'noopener,noreferrer'],
      ]);

      await f.screenshot(page, 'user-panel.png');
      await page.close();
    });

    it('refetches when the connection event arrives and when the window regains focus', async () => {
      const page = await f.openPage({ view: 'channel' });
      await page.getByRole('button', { name: 'MCP tools' }).click();
      const list = page.getByRole('list', { name: 'MCP servers' });
      await list.getByRole('listitem', { name: 'wiki' }).waitFor();
      const fetches = () => f.host.requests.filter((r) => r.path === '/mcp/tools').length;

      f.sidecar.manager.reInit(
        parseConfig({ servers: [...f.config().servers!, { name: 'extra', baseURL: f.extra.url }] }),
      );
      const before = fetches();
      expect(
        await page.evaluate(
          (event) => (window as any).__mm.emitWebSocket(event, { status: 'connected', serverName: 'extra' }),
          CONNECTION_EVENT,
        ),
      ).toBe(true);
      await list.getByRole('listitem', { name: 'extra' }).getByText('1 tool').waitFor();
      expect(fetches()).toBe(before + 1);

      f.sidecar.manager.reInit(parseConfig(f.config()));
      await page.evaluate(() => window.dispatchEvent(new Event('focus')));
      await eventually(async () => expect(await list.getByRole('listitem').count()).toBe(3));
      expect(fetches()).toBe(before + 2);
      await page.close();
    });

    it("connects an account: Connect, the authorization server's login and consent, then the event brings the server's tools", async () => {
      const page = await f.openPage({ view: 'channel' });
      await page.getByRole('button', { name: 'MCP tools' }).click();
      const github = page.getByRole('listitem', { name: 'github' });
      await github.getByRole('button', { name: 'Connect github', exact: true }).click();
      const opened = await page.evaluate(() => (window as any).__opened as string[][]);
      const startURL = opened[0]?.[0] ?? '';
      expect(startURL.startsWith(f.startURLOf('github'))).toBe(true);

      // The tab Connect opens: through Mattermost to the sidecar's start route, then the authorization server.
      const tab = await f.browser.context.newPage();
      await tab.goto(startURL);
      await tab.locator('input[name="login"]').fill(USER);
      await tab.locator('input[name="password"]').fill('any password');
      await tab.locator('button[type="submit"]').click();
      await tab.locator('button[type="submit"]').click(); // consent
      await tab.waitForURL((url) => url.pathname.endsWith('/plugins/mattermost-mcp/oauth/callback'));
      await tab.getByText('Your account is connected to github').waitFor();
      expect(f.host.requests.filter((r) => r.path.startsWith('/oauth/callback')).map((r) => r.authenticated)).toEqual([
        true,
      ]);
      await tab.close();

      // The sidecar told the shim, Mattermost delivered the event, the panel fetched again.
      await eventually(() =>
        expect(f.channel.events).toContainEqual({
          event: CONNECTION_EVENT,
          payload: { status: 'connected', serverName: 'github' },
          userId: USER,
        }),
      );
      await github.getByText('Connected').waitFor();
      await github.getByText(/^\d+ tools?$/).waitFor();
      await page.close();
    });

    it('disconnects an OAuth-connected server: the row goes back to Connect and the sidecar forgets the tokens', async () => {
      // Runs after the connect scenario above: github is connected through OAuth.
      const row = (
        await sidecarRequest(f.sidecar.address, '/mcp/tools', { secret: SECRET, userId: USER })
      ).body.servers.find((s: { name: string }) => s.name === 'github');
      expect(row).toEqual(expect.objectContaining({ status: 'connected', authenticated: true, needsOAuth: true }));
      const wikiRow = (
        await sidecarRequest(f.sidecar.address, '/mcp/tools', { secret: SECRET, userId: USER })
      ).body.servers.find((s: { name: string }) => s.name === 'wiki');
      expect(wikiRow.needsOAuth).toBe(false); // header-only servers offer no Disconnect

      const page = await f.openPage({ view: 'channel' });
      await page.getByRole('button', { name: 'MCP tools' }).click();
      const github = page.getByRole('listitem', { name: 'github' });
      await github.getByRole('button', { name: 'Disconnect github' }).click();
      // exact: Playwright matches names as case-insensitive substrings, and "Disconnect github" contains "connect
      // github".
      await github.getByRole('button', { name: 'Connect github', exact: true }).waitFor();
      expect(await f.sidecar.oauth!.hasTokens(USER, 'github')).toBe(false);
      await page.close();
    });

    it('switches a server off for the user: the row says so, the AI bot gets none of its tools, the server sees no request from the user; and back on', async () => {
      const page = await f.openPage({ view: 'channel' });
      await page.getByRole('button', { name: 'MCP tools' }).click();
      const wiki = page.getByRole('listitem', { name: 'wiki' });
      await wiki.getByText('Connected').waitFor();
      const toggle = wiki.getByRole('switch', { name: 'Use wiki' });
      expect(await toggle.isChecked()).toBe(true);
      await toggle.click();
      await wiki.getByText('Switched off', { exact: true }).waitFor();
      expect(await toggle.isChecked()).toBe(false);
      expect(
        f.host.requests.filter((r) => r.path === '/mcp/servers/wiki/enabled').map((r) => [r.method, r.body]),
      ).toEqual([['PUT', { enabled: false }]]);

      const fromUser = () => f.tools.requests.filter((r) => r.headers['x-mattermost-userid'] === USER).length;
      const before = fromUser();
      const listed = await sidecarRequest(f.sidecar.address, '/api/v1/tools', { secret: SECRET, userId: USER });
      expect(listed.body.tools.some((t: { serverName: string }) => t.serverName === 'wiki')).toBe(false);
      expect(fromUser()).toBe(before);

      await toggle.click();
      await wiki.getByText('Connected').waitFor();
      expect(await toggle.isChecked()).toBe(true);
      await page.close();
    });

    it('fits the dark theme', async () => {
      const page = await f.openPage({ view: 'channel', theme: 'dark' });
      await page.getByRole('button', { name: 'MCP tools' }).click();
      await page.getByRole('listitem', { name: 'broken' }).getByText('Error', { exact: true }).waitFor();
      const colors = await page.evaluate(() => {
        const row = document.querySelector('.mcp-server-row')!;
        return { text: getComputedStyle(row).color, background: getComputedStyle(row).backgroundColor };
      });
      expect(colors).toEqual({ text: 'rgb(227, 228, 232)', background: 'rgb(25, 27, 31)' });
      await f.screenshot(page, 'user-panel-dark.png');
      await page.close();
    });
  });
});
