/**
 * What the slash command needs from the OAuth and storage layer to act on a user's stored
 * connection. The OAuth work implements it; without it the sidecar stores no per-user connection.
 */
export interface ConnectionActions {
  /** Forgets the user's stored credentials (tokens, registration state) for one server. */
  disconnect(userId: string, serverName: string): Promise<void>;
  /** Whether the user holds a stored connection (OAuth tokens) to the server. */
  hasTokens(userId: string, serverName: string): Promise<boolean>;
}
