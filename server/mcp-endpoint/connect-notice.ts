import type { Logger } from 'pino';
import type { ShimChannel } from '../mattermost/shim-channel.js';
import { describeError } from '../mcp/index.js';

/**
 * Clients receive it as `custom_<plugin id>_mcp_connect_needed` and show a "Connect <server>" notice:
 * a tool call of the AI bot has no channel to post an ephemeral message in.
 */
export const CONNECT_NEEDED_EVENT = 'mcp_connect_needed';

export interface ConnectNeeded {
  readonly serverName: string;
  /** Absolute when the site URL is known. */
  readonly authURL: string;
}

export type ConnectNotifier = (userId: string, notice: ConnectNeeded) => void;

/**
 * Tells the user's open Mattermost clients that a server needs their account. Best effort: the tool result has the link
 * too.
 */
export function connectNotifier(
  shim: Pick<ShimChannel, 'publishWebSocketEvent'> | undefined,
  logger: Logger,
): ConnectNotifier {
  return (userId, notice) => {
    if (!shim) return;
    shim
      .publishWebSocketEvent(CONNECT_NEEDED_EVENT, { serverName: notice.serverName, authURL: notice.authURL }, userId)
      .catch((error: unknown) => {
        logger.warn(
          { userId, server: notice.serverName, reason: describeError(error) },
          'could not tell the user’s clients to connect a server',
        );
      });
  };
}
