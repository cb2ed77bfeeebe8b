import { OAuthError } from './errors.js';

/**
 * The callback's `state` is not a pending authorization of this user: unknown, expired, already
 * used, or started by another Mattermost user. Nothing is exchanged; the user starts again.
 */
export class UnknownStateError extends OAuthError {
  readonly code = 'ERR_OAUTH_STATE_UNKNOWN';
  readonly category = 'invalid_input';
  constructor() {
    super(
      'This authorization link is unknown, expired, already used, or was started by another Mattermost user. Start the connection again from Mattermost.',
    );
  }
}

/**
 * RFC 9207 mix-up: the response came back on the redirect URI of another authorization server than the one this
 * flow went to (a hostile server sent the browser elsewhere with its own flow's state). Nothing was exchanged.
 */
export class MixUpError extends OAuthError {
  readonly code = 'ERR_OAUTH_MIX_UP';
  readonly category = 'invalid_input';
  constructor(readonly serverName: string) {
    super(
      `This authorization answer comes from another authorization server than the one the connection to ${serverName} went to, so nothing was exchanged. Start the connection again from Mattermost.`,
    );
  }
}

/** The server an authorization was started for was removed or changed before the callback came back. */
export class ServerChangedError extends OAuthError {
  readonly code = 'ERR_OAUTH_SERVER_CHANGED';
  readonly category = 'invalid_input';
  constructor(readonly serverName: string) {
    super(
      `The MCP server ${serverName} was removed or reconfigured while you were authorizing. Start the connection again.`,
    );
  }
}

/**
 * The authorization server refused the client. A stored registration has been dropped so the next attempt registers
 * again; a pre-registered one (`preRegistered`) is the admin's to fix.
 */
export class ClientRejectedError extends OAuthError {
  readonly code = 'ERR_OAUTH_CLIENT_REJECTED';
  readonly category = 'upstream';
  constructor(
    readonly serverName: string,
    options?: { cause?: unknown; preRegistered?: boolean },
  ) {
    super(
      options?.preRegistered
        ? `The authorization server for ${serverName} refuses the plugin's pre-registered client, so the account was not connected. Tell a system admin: the server's OAuth client ID, secret or issuer needs checking.`
        : `The authorization server for ${serverName} no longer accepts this plugin's client registration. Connect again: the plugin will register anew.`,
      options,
    );
  }
}

/** Authorization could not even begin for a server (discovery, PKCE support, registration): what the admin must fix. */
export class AuthorizationSetupError extends OAuthError {
  readonly code = 'ERR_OAUTH_SETUP';
  readonly category = 'upstream';
  constructor(
    readonly serverName: string,
    cause: unknown,
  ) {
    super(
      `Server ${serverName}: the server requires authorization, but it cannot be started: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}
