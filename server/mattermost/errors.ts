/** Errors of the Mattermost surfaces; each has a stable `code`. Messages never contain tokens or secrets. */
export abstract class MattermostError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Mattermost's REST API could not answer who a user is (down, unreachable, or it refused the bot token). */
export class MattermostUnavailableError extends MattermostError {
  readonly code = 'ERR_MATTERMOST_UNAVAILABLE';
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
  constructor(
    readonly route: string,
    readonly status: number | undefined,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`The plugin shim did not accept ${route}${status ? ` (HTTP ${status})` : ''}: ${reason}`, options);
  }
}
