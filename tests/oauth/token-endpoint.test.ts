import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { OAuthTokenError, UnexpectedResponseError } from '../../server/oauth/errors.js';
import {
  exchangeAuthorizationCode,
  refreshAccessToken,
  revokeToken,
  selectClientAuthMethod,
  type ClientAuthentication,
} from '../../server/oauth/token-endpoint.js';
import { startMetadataServer, type MetadataServer } from '../support/metadata-server.js';

// Answers a real authorization server gives only in some deployments; the happy paths run
// against oidc-provider in code-flow.test.ts.

const basicClient: ClientAuthentication = {
  clientId: 'mm client',
  clientSecret: 's3cret:+/',
  authMethod: 'client_secret_basic',
};
const NOW = 1_700_000_000_000;

let meta: MetadataServer;
let tokenEndpoint: string;

beforeEach(async () => {
  meta = await startMetadataServer();
  tokenEndpoint = meta.url('/token');
});

afterEach(async () => {
  await meta.stop();
});

const form = (index = 0) => new URLSearchParams(meta.requests[index]!.body);

describe('token requests', () => {
  it('sends the code, verifier, redirect URI and resource, with client_secret_basic form-encoded (RFC 6749 §2.3.1)', async () => {
    meta.serve('/token', { body: { access_token: 'at', token_type: 'bearer', expires_in: 60, scope: 'mcp:tools' } });

    const tokens = await exchangeAuthorizationCode(
      tokenEndpoint,
      basicClient,
      {
        code: 'the-code',
        codeVerifier: 'the-verifier',
        redirectURI: 'https://mm.example.com/cb',
        resource: 'https://mcp.example.com/mcp',
      },
      { now: () => NOW },
    );

    expect(tokens).toEqual({ accessToken: 'at', tokenType: 'Bearer', expiresAt: NOW + 60_000, scope: 'mcp:tools' });
    expect(Object.fromEntries(form())).toEqual({
      grant_type: 'authorization_code',
      code: 'the-code',
      code_verifier: 'the-verifier',
      redirect_uri: 'https://mm.example.com/cb',
      resource: 'https://mcp.example.com/mcp',
    });
    const authorization = String(meta.requests[0]!.headers.authorization);
    expect(Buffer.from(authorization.replace(/^Basic /, ''), 'base64').toString()).toBe('mm+client:s3cret%3A%2B%2F');
  });

  it('puts the credentials in the body for client_secret_post and only the client_id for none', async () => {
    meta.serve('/token', { body: { access_token: 'at', token_type: 'Bearer' } });

    await refreshAccessToken(
      tokenEndpoint,
      { clientId: 'c', clientSecret: 's', authMethod: 'client_secret_post' },
      { refreshToken: 'rt' },
    );
    await refreshAccessToken(tokenEndpoint, { clientId: 'p', authMethod: 'none' }, { refreshToken: 'rt' });

    expect(Object.fromEntries(form(0))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'rt',
      client_id: 'c',
      client_secret: 's',
    });
    expect(Object.fromEntries(form(1))).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt', client_id: 'p' });
    expect(meta.requests.map((r) => r.headers.authorization)).toEqual([undefined, undefined]);
  });

  it('keeps the old refresh token when the refresh response omits one, and sends the resource', async () => {
    meta.serve('/token', { body: { access_token: 'new-at', token_type: 'Bearer', expires_in: 3600 } });

    const tokens = await refreshAccessToken(tokenEndpoint, basicClient, {
      refreshToken: 'old-rt',
      resource: 'https://mcp.example.com/mcp',
    });

    expect(tokens.refreshToken).toBe('old-rt');
    expect(form().get('resource')).toBe('https://mcp.example.com/mcp');
  });

  it('takes the new refresh token when the server rotates it', async () => {
    meta.serve('/token', { body: { access_token: 'new-at', token_type: 'Bearer', refresh_token: 'new-rt' } });

    await expect(refreshAccessToken(tokenEndpoint, basicClient, { refreshToken: 'old-rt' })).resolves.toMatchObject({
      refreshToken: 'new-rt',
    });
  });

  it('leaves expiresAt undefined when the server does not say', async () => {
    meta.serve('/token', { body: { access_token: 'at', token_type: 'Bearer' } });

    const tokens = await refreshAccessToken(tokenEndpoint, basicClient, { refreshToken: 'rt' });

    expect(tokens.expiresAt).toBeUndefined();
  });
});

describe('token errors', () => {
  it('carries the RFC 6749 §5.2 error code, description and status', async () => {
    meta.serve('/token', {
      status: 400,
      body: { error: 'invalid_grant', error_description: 'grant request is invalid' },
    });

    const error = await refreshAccessToken(tokenEndpoint, basicClient, {
      refreshToken: 'refresh-token-value-1234',
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OAuthTokenError);
    expect(error).toMatchObject({
      code: 'ERR_OAUTH_TOKEN_REFUSED',
      oauthError: { error: 'invalid_grant', errorDescription: 'grant request is invalid' },
      status: 400,
    });
    expect((error as Error).message).not.toContain('refresh-token-value-1234');
    expect((error as Error).message).not.toContain(basicClient.clientSecret);
  });

  it('treats a 200 carrying an error (GitHub style) as an error', async () => {
    meta.serve('/token', {
      status: 200,
      body: { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' },
    });

    await expect(
      exchangeAuthorizationCode(tokenEndpoint, basicClient, {
        code: 'c',
        codeVerifier: 'v',
        redirectURI: 'https://mm.example.com/cb',
      }),
    ).rejects.toMatchObject({ oauthError: { error: 'bad_verification_code' }, status: 200 });
  });

  it('reports a non-JSON error page as unknown_error with its status', async () => {
    meta.serve('/token', { status: 502, contentType: 'text/html', body: '<h1>Bad Gateway</h1>' });

    await expect(refreshAccessToken(tokenEndpoint, basicClient, { refreshToken: 'rt' })).rejects.toMatchObject({
      oauthError: { error: 'unknown_error', errorDescription: '<h1>Bad Gateway</h1>' },
      status: 502,
    });
  });

  it('refuses a success without an access token, or with a token type other than Bearer', async () => {
    meta.serve('/token', { body: { token_type: 'Bearer' } });
    await expect(refreshAccessToken(tokenEndpoint, basicClient, { refreshToken: 'rt' })).rejects.toBeInstanceOf(
      UnexpectedResponseError,
    );

    meta.serve('/token', { body: { access_token: 'at', token_type: 'DPoP' } });
    await expect(refreshAccessToken(tokenEndpoint, basicClient, { refreshToken: 'rt' })).rejects.toBeInstanceOf(
      UnexpectedResponseError,
    );
  });

  it('does not follow a redirect with the client credentials', async () => {
    meta.serve('/token', { status: 307, headers: { location: meta.url('/elsewhere') } });

    await expect(refreshAccessToken(tokenEndpoint, basicClient, { refreshToken: 'rt' })).rejects.toMatchObject({
      code: 'ERR_OAUTH_UNEXPECTED_RESPONSE',
      status: 307,
    });
    expect(meta.paths()).toEqual(['/token']);
  });
});

describe('revocation (RFC 7009)', () => {
  it('posts the token with its type hint and the client authentication', async () => {
    meta.serve('/revoke', { status: 200 });

    await revokeToken(meta.url('/revoke'), basicClient, { token: 'rt', tokenTypeHint: 'refresh_token' });

    expect(meta.requests[0]!.method).toBe('POST');
    expect(Object.fromEntries(form())).toEqual({ token: 'rt', token_type_hint: 'refresh_token' });
    expect(meta.requests[0]!.headers.authorization).toMatch(/^Basic /);
  });

  it('reports a refusal with its RFC 7009 code', async () => {
    meta.serve('/revoke', { status: 400, body: { error: 'unsupported_token_type' } });

    await expect(revokeToken(meta.url('/revoke'), basicClient, { token: 't' })).rejects.toMatchObject({
      oauthError: { error: 'unsupported_token_type' },
    });
  });
});

describe('choosing the client authentication method', () => {
  it.each([
    [{}, true, undefined, 'client_secret_basic'],
    [{ token_endpoint_auth_methods_supported: ['client_secret_post'] }, true, undefined, 'client_secret_post'],
    [
      { token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'] },
      true,
      'client_secret_post',
      'client_secret_post',
    ],
    [
      { token_endpoint_auth_methods_supported: ['client_secret_basic'] },
      true,
      'client_secret_post',
      'client_secret_basic',
    ],
    [{ token_endpoint_auth_methods_supported: ['client_secret_basic'] }, false, undefined, 'none'],
  ] as const)('for %j, secret %s, registered %s: %s', (metadata, hasSecret, registered, expected) => {
    expect(selectClientAuthMethod(metadata, hasSecret, registered)).toBe(expected);
  });
});
