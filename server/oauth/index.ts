/**
 * The OAuth layer's face: code outside `server/oauth/` imports from here (ESLint's
 * `no-restricted-imports` holds it to that). See README.md in this folder for the flow from a 401 to a token.
 */
export { OAuthManager, type OAuthManagerOptions, type ConnectionStatus } from './oauth-manager.js';
export { discoverAuthorization } from './discovery.js';
export {
  OAuthError,
  AuthorizationResponseError,
  AuthorizationServerUnavailableError,
  IssuerMismatchError,
  OAuthNetworkError,
  OAuthTokenError,
  PinnedIssuerError,
  StateMismatchError,
} from './errors.js';
export { ClientRejectedError, MixUpError, ServerChangedError, UnknownStateError } from './callback-errors.js';
