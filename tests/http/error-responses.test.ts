import { describe, expect, it } from '@jest/globals';
import { ConfigValidationError } from '../../server/config/errors.js';
import { ERROR_CATEGORIES, type PluginError } from '../../server/errors/plugin-error.js';
import { HttpError, STATUS_BY_CATEGORY, badRequest, toErrorResponse } from '../../server/http/errors.js';
import { MattermostUnavailableError, ShimChannelError } from '../../server/mattermost/errors.js';
import {
  ClientClosedError,
  ServerConnectError,
  ServerNotAvailableError,
  ServerSwitchedOffError,
  ServerTimeoutError,
  ServerUnauthorizedError,
  ServerUnavailableError,
  ToolCallError,
  ToolDisabledError,
  ToolNotFoundError,
} from '../../server/mcp/errors.js';
import { ResponseTooLargeError } from '../../server/outbound/response-limits.js';
import { ToolListTooLargeError } from '../../server/mcp/tool-list-limits.js';
import { isAuthNeeded, isServerAttributed, type AuthNeeded } from '../../server/mcp/types.js';
import {
  AuthorizationSetupError,
  ClientRejectedError,
  MixUpError,
  ServerChangedError,
  UnknownStateError,
} from '../../server/oauth/callback-errors.js';
import {
  AddressNotAllowedError,
  AuthorizationResponseError,
  AuthorizationServerUnavailableError,
  ChallengeTooLongError,
  InsecureURLError,
  InvalidMetadataError,
  IssuerMismatchError,
  MetadataNotFoundError,
  OAuthNeededError,
  OAuthNetworkError,
  OAuthTokenError,
  PKCENotSupportedError,
  PinnedIssuerError,
  RefreshInProgressError,
  RegistrationError,
  RegistrationNotSupportedError,
  ResourceMismatchError,
  ShuttingDownError,
  StateMismatchError,
  TokenUnavailableError,
  UnexpectedResponseError,
} from '../../server/oauth/errors.js';
import {
  KeyringError,
  RecordDecryptionError,
  StoreClosedError,
  StoreOptionError,
  StoreUnavailableError,
  StoreUrlError,
} from '../../server/store/errors.js';

const STORE_DOWN = 'The MCP plugin’s storage is unavailable; try again in a minute.';
const INTERNAL = { error: 'Internal error in the MCP sidecar; see its log.', code: 'ERR_INTERNAL' };

describe('the status of each sort of failure', () => {
  it('maps each category to exactly one status, and no two categories to the same one', () => {
    expect(Object.keys(STATUS_BY_CATEGORY).sort()).toEqual([...ERROR_CATEGORIES].sort());
    const statuses = Object.values(STATUS_BY_CATEGORY);
    for (const status of statuses) expect(Number.isInteger(status) && status >= 400 && status < 600).toBe(true);
    expect(new Set(statuses).size).toBe(statuses.length);
  });

  it('answers an HttpError of each category with its status and code', () => {
    for (const category of ERROR_CATEGORIES.filter((c) => c !== 'internal')) {
      expect(toErrorResponse(new HttpError(category, 'ERR_EXAMPLE', 'what to do'))).toEqual({
        status: STATUS_BY_CATEGORY[category],
        body: { error: 'what to do', code: 'ERR_EXAMPLE' },
      });
    }
    expect(toErrorResponse(badRequest('field x'))).toEqual({
      status: 400,
      body: { error: 'field x', code: 'ERR_BAD_REQUEST' },
    });
  });
});

describe('what each error is answered with', () => {
  // The statuses routes answered before the errors had one root. Three rows differ from the old function's answer
  // where no route met it: ResponseTooLargeError (500 before) reaches callers wrapped in a ToolCallError or
  // ServerConnectError; MattermostUnavailableError (500) was turned into a 503 by the admin route itself; and the
  // redirect's errors at the end (502) only meet the OAuth callback, which answers them 400 itself.
  const answers: ReadonlyArray<readonly [PluginError, number]> = [
    [new ConfigValidationError([{ path: 'servers[0].baseURL', message: 'must be an http(s) URL' }]), 400],
    [new ToolNotFoundError('t'), 404],
    [new ServerNotAvailableError('s'), 404],
    [new ToolDisabledError('s', 't', 's__t'), 403],
    [new ServerSwitchedOffError('s', 't'), 403],
    [new ServerTimeoutError('s', 10_000), 504],
    [new ClientClosedError('s'), 503],
    [new ServerUnavailableError('s', 'ECONNREFUSED', 0, 0), 503],
    [new TokenUnavailableError('s', new Error('no answer')), 503],
    [new AuthorizationServerUnavailableError('https://as.example', 'timeout', 0, 0), 503],
    [new MattermostUnavailableError('HTTP 502'), 503],
    [new ServerConnectError('s', 'ECONNREFUSED'), 502],
    [new ServerUnauthorizedError('s'), 502],
    [new ToolCallError('s', 't', 'broken'), 502],
    [new ToolListTooLargeError('s', 'too many tools'), 502],
    [new ResponseTooLargeError(1024, 'a body'), 502],
    [new ChallengeTooLongError(9000, 8192), 502],
    [new InsecureURLError('token_endpoint', 'http://as.example/token'), 502],
    [new MetadataNotFoundError('protected-resource', []), 502],
    [new InvalidMetadataError('authorization-server', 'https://as.example', 'no issuer'), 502],
    [new ResourceMismatchError('https://a.example', 'https://b.example'), 502],
    [new IssuerMismatchError('https://a.example', 'https://b.example'), 502],
    [new PKCENotSupportedError('https://as.example', ['plain']), 502],
    [new RegistrationNotSupportedError('https://as.example'), 502],
    [new RegistrationError('invalid_client_metadata', undefined, 400), 502],
    [new OAuthTokenError('invalid_grant', undefined, 400), 502],
    [new UnexpectedResponseError('https://as.example/token', 500, 'not JSON'), 502],
    [new OAuthNetworkError('https://as.example/token', true), 502],
    [new RefreshInProgressError('s'), 502],
    [new ShuttingDownError('s'), 502],
    [new PinnedIssuerError('s', 'https://a.example', ['https://b.example']), 502],
    [new AddressNotAllowedError('https://as.example', '10.0.0.1', 'private'), 502],
    [new ClientRejectedError('s'), 502],
    [new AuthorizationSetupError('s', new Error('no metadata')), 502],
    // Only the OAuth callback meets these: the redirect it was sent is the request at fault.
    [new AuthorizationResponseError('access_denied', undefined), 400],
    [new StateMismatchError(), 400],
    [new UnknownStateError(), 400],
    [new MixUpError('s'), 400],
    [new ServerChangedError('s'), 400],
  ];

  it.each(answers.map(([error, status]) => [error.name, error, status] as const))(
    '%s: its status, its own code and message',
    (_name, error, status) => {
      expect(toErrorResponse(error)).toEqual({ status, body: { error: error.message, code: error.code } });
    },
  );

  it('answers every store error 503 with its code, without the backend’s words', () => {
    for (const error of [
      new StoreUrlError('scheme', 'ftp is not supported'),
      new StoreOptionError('keyring', 'missing'),
      new KeyringError('entry 1 has no kid'),
      new StoreUnavailableError('redis', 'redis.internal:6379', 'get', { cause: new Error('ECONNREFUSED') }),
      new StoreClosedError('get'),
      new RecordDecryptionError('tokens', 'alice:s', 'failed', 'k1'),
    ])
      expect(toErrorResponse(error)).toEqual({ status: 503, body: { error: STORE_DOWN, code: error.code } });
  });

  it('asks the user to connect with the Connect URL', () => {
    const error: AuthNeeded = new OAuthNeededError(
      'secure',
      'https://mm.example/plugins/mattermost-mcp/mcp/oauth/secure/start',
    );
    expect(isAuthNeeded(error)).toBe(true);
    expect(toErrorResponse(error)).toEqual({
      status: 403,
      body: {
        error: 'Connect your account to secure',
        code: 'ERR_OAUTH_NEEDED',
        authURL: error.authURL,
        serverName: 'secure',
      },
    });
  });

  it('tells nothing of internal failures, the plugin’s own or unknown ones', () => {
    expect(toErrorResponse(new ShimChannelError('GET /api/v1/bot', 500, 'refused'))).toEqual({
      status: 500,
      body: INTERNAL,
    });
    expect(toErrorResponse(new Error('secret detail'))).toEqual({ status: 500, body: INTERNAL });
    expect(toErrorResponse('a string')).toEqual({ status: 500, body: INTERNAL });
  });

  it('answers body-parser refusals with their own 4xx status', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), { status: 413, type: 'entity.too.large' });
    expect(toErrorResponse(tooLarge)).toEqual({
      status: 413,
      body: { error: 'The request body is too large.', code: 'ERR_BAD_REQUEST' },
    });
  });
});

describe('checks on the root instead of on shapes', () => {
  it('passes on an error of the plugin already attributed to the server, and nothing else', () => {
    expect(isServerAttributed(new TokenUnavailableError('s', new Error('x')), 's')).toBe(true);
    expect(isServerAttributed(new TokenUnavailableError('s', new Error('x')), 'other')).toBe(false);
    expect(isServerAttributed(Object.assign(new Error('look-alike'), { serverName: 's', code: 'ERR_X' }), 's')).toBe(
      false,
    );
  });

  it('tells a stalled store, a refresh under way and anything else apart in TokenUnavailableError', () => {
    const store = new StoreUnavailableError('redis', 'redis.internal:6379', 'get');
    expect(new TokenUnavailableError('s', store).message).toBe(
      "Server s: your connection could not be read because the plugin's storage is unavailable. Nothing was lost; try again in a minute.",
    );
    expect(new TokenUnavailableError('s', new RefreshInProgressError('s')).message).toBe(
      'Server s: your connection is being renewed right now; try again in a moment.',
    );
    expect(new TokenUnavailableError('s', new Error('ETIMEDOUT')).message).toBe(
      'Server s: your connection could not be renewed because the authorization server did not answer (ETIMEDOUT). You stay connected; try again in a minute.',
    );
    // Not by look: an error that only carries a store's code is not the store.
    const lookAlike = Object.assign(new Error('ETIMEDOUT'), { code: 'ERR_STORE_UNAVAILABLE' });
    expect(new TokenUnavailableError('s', lookAlike).message).toMatch(/authorization server did not answer/);
  });

  it('keeps the RFC error response apart from the code', () => {
    const error = new OAuthTokenError('invalid_grant', 'grant revoked', 400, 'https://as.example/errors');
    expect(error.code).toBe('ERR_OAUTH_TOKEN_REFUSED');
    expect(error.oauthError).toEqual({
      error: 'invalid_grant',
      errorDescription: 'grant revoked',
      errorURI: 'https://as.example/errors',
    });
    expect(error.message).toBe(
      'The authorization server refused the token request: invalid_grant (grant revoked) [HTTP 400].',
    );
    expect(new AuthorizationResponseError('access_denied', undefined).oauthError).toEqual({ error: 'access_denied' });
    expect(new RegistrationError('invalid_redirect_uri', undefined, undefined)).toMatchObject({
      code: 'ERR_OAUTH_REGISTRATION_REFUSED',
      oauthError: { error: 'invalid_redirect_uri' },
      message: 'Client registration failed: invalid_redirect_uri.',
    });
  });
});
