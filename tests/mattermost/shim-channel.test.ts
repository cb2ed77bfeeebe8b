import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { publishConnectionChanges } from '../../server/mattermost/connection-events.js';
import { ShimChannelError } from '../../server/mattermost/errors.js';
import { ShimChannel } from '../../server/mattermost/shim-channel.js';
import { eventually } from '../support/eventually.js';
import { captureLogger } from '../support/logger.js';
import { startFakeShim, type FakeShim } from './fake-shim.js';

const SECRET = 'shim-secret-0123456789abcdef';
const ALICE = 'aliceaaaaaaaaaaaaaaaaaaaaa';
const BOT = 'botaaaaaaaaaaaaaaaaaaaaaaa';

describe('ShimChannel (the reverse channel to the shim)', () => {
  let shim: FakeShim;
  let channel: ShimChannel;

  beforeAll(async () => {
    shim = await startFakeShim({ secret: SECRET, botUserId: BOT });
    channel = new ShimChannel({ url: shim.url, secret: SECRET });
  });

  afterAll(async () => {
    await shim.close();
  });

  it('publishes a WebSocket event to one user', async () => {
    await channel.publishWebSocketEvent('mcp_connection_updated', { status: 'connected', serverName: 'wiki' }, ALICE);
    expect(shim.calls.at(-1)).toEqual({
      route: 'POST /api/v1/websocket-event',
      body: { event: 'mcp_connection_updated', payload: { status: 'connected', serverName: 'wiki' }, userId: ALICE },
    });
  });

  it('sends an ephemeral post in a thread', async () => {
    await channel.sendEphemeralPost(ALICE, {
      channel_id: 'channelaaaaaaaaaaaaaaaaaaa',
      root_id: 'rootaaaaaaaaaaaaaaaaaaaaaa',
      message: 'Connect your account to **wiki**',
    });
    expect(shim.calls.at(-1)).toEqual({
      route: 'POST /api/v1/ephemeral-post',
      body: {
        userId: ALICE,
        post: {
          channel_id: 'channelaaaaaaaaaaaaaaaaaaa',
          root_id: 'rootaaaaaaaaaaaaaaaaaaaaaa',
          message: 'Connect your account to **wiki**',
        },
      },
    });
  });

  it('asks for the bot user id', async () => {
    expect(await channel.getBotUserId()).toBe(BOT);
  });

  it('surfaces what the shim refused, with its status and reason', async () => {
    const error = await channel
      .sendEphemeralPost(ALICE, { channel_id: '', message: 42 as unknown as string })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShimChannelError);
    expect(error).toMatchObject({
      code: 'ERR_SHIM_CHANNEL',
      status: 400,
      message:
        'The plugin shim did not accept POST /api/v1/ephemeral-post (HTTP 400): userId, post.channel_id and post.message are required',
    });
  });

  it('is refused with another secret, and never puts the secret in its error', async () => {
    const refusedBefore = shim.refused;
    const wrong = new ShimChannel({ url: shim.url, secret: 'not-the-activation-secret' });
    const error = await wrong.publishWebSocketEvent('mcp_connection_updated', {}, ALICE).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, message: expect.stringContaining('missing or wrong secret') });
    expect(String((error as Error).message)).not.toContain('not-the-activation-secret');
    expect(shim.refused).toBe(refusedBefore + 1);
  });

  it('fails with a ShimChannelError when the shim is not listening', async () => {
    const gone = new ShimChannel({ url: `unix:${shim.url.slice(5)}.missing`, secret: SECRET });
    const error = await gone.getBotUserId().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShimChannelError);
    expect(error).toMatchObject({
      status: undefined,
      message: expect.stringMatching(/^The plugin shim did not accept GET \/api\/v1\/bot: .*ENOENT/),
    });
  });

  it('tells a user’s clients that a connection changed, and only logs when the shim is gone', async () => {
    const logs = captureLogger('warn');
    publishConnectionChanges(channel, logs.logger)(ALICE, 'wiki', 'disconnected');
    await eventually(() =>
      expect(shim.calls.at(-1)).toEqual({
        route: 'POST /api/v1/websocket-event',
        body: {
          event: 'mcp_connection_updated',
          payload: { status: 'disconnected', serverName: 'wiki' },
          userId: ALICE,
        },
      }),
    );
    const gone = new ShimChannel({ url: `${shim.url}.missing`, secret: SECRET });
    publishConnectionChanges(gone, logs.logger)(ALICE, 'wiki', 'connected');
    await eventually(() =>
      expect(logs.output()).toContain('could not tell the user’s clients about the connection change'),
    );
    expect(logs.output()).not.toContain(SECRET);
  });

  it.each(['unix:', 'https://127.0.0.1:1', 'shim.sock'])('refuses MCP_SHIM_URL %j', (url) => {
    expect(() => new ShimChannel({ url, secret: SECRET })).toThrow(/^MCP_SHIM_URL: /);
  });
});
