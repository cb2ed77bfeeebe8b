import type { Logger } from 'pino';
import { describeError } from '../mcp/index.js';
import type { ShimChannel } from './shim-channel.js';

/** Clients receive it as `custom_<plugin id>_mcp_connection_updated` and refetch `GET /mcp/tools`. */
export const CONNECTION_UPDATED_EVENT = 'mcp_connection_updated';

export type ConnectionChange = 'connected' | 'disconnected';

/**
 * A listener for connection changes (the shape of the OAuth layer's `onConnectionChange`) that tells
 * the user's open Mattermost clients through the shim. Best effort: a lost event only delays a refresh.
 */
export function publishConnectionChanges(
  shim: Pick<ShimChannel, 'publishWebSocketEvent'>,
  logger: Logger,
): (userId: string, serverName: string, status: ConnectionChange) => void {
  return (userId, serverName, status) => {
    shim.publishWebSocketEvent(CONNECTION_UPDATED_EVENT, { status, serverName }, userId).catch((error: unknown) => {
      logger.warn(
        { userId, server: serverName, reason: describeError(error) },
        'could not tell the user’s clients about the connection change',
      );
    });
  };
}
