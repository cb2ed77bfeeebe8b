/**
 * The "Connect <server>" notice in real Chromium: a tool call of the AI bot through the plugin's MCP
 * endpoint needs the user's account, the sidecar sends the link over the shim's reverse channel, and
 * the page shows it wherever the user is.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectEndpoint } from '../support/mcp-endpoint-client.js';
import { eventually } from '../support/eventually.js';
import { SECRET, USER, startWebappFixture, type WebappFixture } from '../support/host-page-fixture.js';

const CONNECT_NEEDED = 'custom_mattermost-mcp_mcp_connect_needed';

describe('webapp in Chromium: the Connect notice of the AI bot’s tool calls', () => {
  let f: WebappFixture;
  let bot: Client;

  beforeAll(async () => {
    f = await startWebappFixture();
    bot = (await connectEndpoint(f.sidecar.address, { secret: SECRET, userId: USER })).client;
  }, 90_000);

  afterAll(async () => {
    await bot?.close();
    await f?.close();
  });

  it('shows "Connect github" when a tool call needed the account, opens the Connect link and goes away', async () => {
    const page = await f.openPage({ view: 'channel' });
    await page.getByText('Welcome to Town Square.').waitFor();
    expect(await page.getByRole('status').count()).toBe(0);

    const result = await bot.callTool({ name: 'github__whoami', arguments: {} });
    expect(result.isError).toBe(true);
    await eventually(() =>
      expect(f.channel.events.filter((e) => e.event === CONNECT_NEEDED)).toEqual([
        {
          event: CONNECT_NEEDED,
          userId: USER,
          payload: { serverName: 'github', authURL: expect.stringContaining(f.startURLOf('github')) },
        },
      ]),
    );

    const notice = page.getByRole('status', { name: 'github needs your account' });
    await notice.getByText('The AI bot needs your').waitFor();
    await f.screenshot(page, 'connect-notice.png');
    await notice.getByRole('button', { name: 'Connect github', exact: true }).click();
    expect(await page.evaluate(() => (window as any).__opened)).toEqual([
      [expect.stringContaining(f.startURLOf('github')), '_blank', 'noopener,noreferrer'],
    ]);
    await notice.waitFor({ state: 'detached' });
    await page.close();
  });

  it('can be dismissed, and leaves when the account gets connected elsewhere', async () => {
    const page = await f.openPage({ view: 'channel' });
    await page.getByText('Welcome to Town Square.').waitFor();
    const show = (serverName: string) =>
      page.evaluate(
        ({ event, serverName: name }) =>
          (window as any).__mm.emitWebSocket(event, {
            serverName: name,
            authURL: `/plugins/mattermost-mcp/mcp/oauth/${name}/start`,
          }),
        { event: CONNECT_NEEDED, serverName },
      );

    await show('github');
    await show('wiki');
    await page
      .getByRole('status', { name: 'wiki needs your account' })
      .getByRole('button', { name: 'Dismiss wiki' })
      .click();
    await page.getByRole('status', { name: 'wiki needs your account' }).waitFor({ state: 'detached' });
    await page.getByRole('status', { name: 'github needs your account' }).waitFor();

    await page.evaluate(
      (event) => (window as any).__mm.emitWebSocket(event, { status: 'connected', serverName: 'github' }),
      'custom_mattermost-mcp_mcp_connection_updated',
    );
    await page.getByRole('status', { name: 'github needs your account' }).waitFor({ state: 'detached' });
    await page.close();
  });
});
