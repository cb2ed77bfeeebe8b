import { PluginError } from '../errors/plugin-error.js';

/** Errors of the Mattermost surfaces; each has a stable `code`. Messages never contain tokens or secrets. */
export abstract class MattermostError extends PluginError {}

/** Mattermost's REST API could not answer who a user is (down, unreachable, or it refused the bot token). */
export class MattermostUnavailableError extends MattermostError {
  readonly code = 'ERR_MATTERMOST_UNAVAILABLE';
  readonly category = 'unavailable';
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Could not check your permissions with Mattermost (${reason}). Ask an admin to check that the sidecar can reach Mattermost's REST API (MCP_MATTERMOST_URL, MCP_MATTERMOST_TOKEN).`,
      options,
    );
  }
}

/** The shim's reverse channel refused a request or could not be reached. */
export class ShimChannelError extends MattermostError {
  readonly code = 'ERR_SHIM_CHANNEL';
  // The plugin's own two halves failed to talk: nothing the caller can act on.
  readonly category = 'internal';
  constructor(
    readonly route: string,
    readonly status: number | undefined,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`The plugin shim did not accept ${route}${status ? ` (HTTP ${status})` : ''}: ${reason}`, options);
  }
}
