import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  RegistrationError,
  RegistrationNotSupportedError,
  UnexpectedResponseError,
} from '../../server/oauth/errors.js';
import {
  clientAuthenticationFromRegistration,
  defaultRegistrationRequest,
  discoverAndRegisterClient,
  getRegistrationEndpoint,
  registerClient,
  registrationExpired,
} from '../../server/oauth/registration.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../support/authorization-server.js';
import { startMetadataServer, type MetadataServer } from '../support/metadata-server.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../support/protected-mcp-server.js';

const REDIRECT_URI = 'http://127.0.0.1:9/plugins/mattermost-mcp/oauth/callback';

describe('the default registration request', () => {
  it('asks for the code flow with refresh tokens', () => {
    expect(defaultRegistrationRequest(REDIRECT_URI, 'Mattermost MCP')).toEqual({
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      client_name: 'Mattermost MCP',
    });
  });

  it.each([
    [undefined, 'client_secret_basic'],
    [['client_secret_post', 'client_secret_basic', 'none'], 'client_secret_basic'],
    [['private_key_jwt', 'client_secret_post', 'none'], 'client_secret_post'],
    [['none'], 'none'],
  ])('with token_endpoint_auth_methods_supported %j chooses %s', (supported, expected) => {
    const request = defaultRegistrationRequest(REDIRECT_URI, 'x', { token_endpoint_auth_methods_supported: supported });

    expect(request.token_endpoint_auth_method).toBe(expected);
  });

  it('names the registration endpoint, or says the server has none', () => {
    expect(
      getRegistrationEndpoint({
        issuer: 'https://as.example.com',
        registration_endpoint: 'https://as.example.com/reg',
      }),
    ).toBe('https://as.example.com/reg');
    expect(() => getRegistrationEndpoint({ issuer: 'https://as.example.com' })).toThrow(RegistrationNotSupportedError);
  });
});

describe('dynamic client registration at oidc-provider', () => {
  let as: TestAuthorizationServer;
  let mcp: ProtectedMcpServer;
  let guarded: TestAuthorizationServer;

  beforeAll(async () => {
    as = await startAuthorizationServer();
    mcp = await startProtectedMcpServer({ issuer: as.issuer, jwksURL: as.jwksURL });
    guarded = await startAuthorizationServer({ initialAccessToken: 'initial-access-token-for-tests' });
  });

  afterAll(async () => {
    await mcp?.stop();
    await Promise.all([as?.stop(), guarded?.stop()]);
  });

  it('registers a confidential client and says how to authenticate it', async () => {
    const request = defaultRegistrationRequest(REDIRECT_URI, 'Mattermost MCP');

    const registration = await registerClient(as.registrationEndpoint, request);

    expect(registration).toMatchObject({
      client_id: expect.any(String),
      client_secret: expect.any(String),
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      client_name: 'Mattermost MCP',
    });
    expect(clientAuthenticationFromRegistration(registration, request)).toEqual({
      clientId: registration.client_id,
      clientSecret: registration.client_secret,
      authMethod: 'client_secret_basic',
    });
  });

  it('registers a public client when asked for auth method none', async () => {
    const request = { ...defaultRegistrationRequest(REDIRECT_URI, 'public'), token_endpoint_auth_method: 'none' };

    const registration = await registerClient(as.registrationEndpoint, request);

    expect(registration.client_secret).toBeUndefined();
    expect(clientAuthenticationFromRegistration(registration, request)).toEqual({
      clientId: registration.client_id,
      authMethod: 'none',
    });
  });

  it('discovers the registration endpoint from the MCP server and registers there', async () => {
    const result = await discoverAndRegisterClient(mcp.url, {
      redirectURI: REDIRECT_URI,
      clientName: 'Mattermost MCP',
    });

    expect(result.discovery.issuer).toBe(as.issuer);
    expect(result.request.token_endpoint_auth_method).toBe('client_secret_basic');
    expect(result.client).toMatchObject({ clientId: result.registration.client_id, authMethod: 'client_secret_basic' });
  });

  it('turns an RFC 7591 error answer into a RegistrationError with its code and description', async () => {
    const attempt = registerClient(as.registrationEndpoint, {
      ...defaultRegistrationRequest(REDIRECT_URI, 'bad'),
      token_endpoint_auth_method: 'not_a_method',
    });

    await expect(attempt).rejects.toBeInstanceOf(RegistrationError);
    await expect(attempt).rejects.toMatchObject({
      code: 'ERR_OAUTH_REGISTRATION_REFUSED',
      oauthError: { error: 'invalid_client_metadata', errorDescription: expect.any(String) },
      status: 400,
    });
  });

  it('reports a redirect URI the server refuses as invalid_redirect_uri', async () => {
    const attempt = registerClient(
      as.registrationEndpoint,
      defaultRegistrationRequest(`${REDIRECT_URI}#fragment`, 'bad'),
    );

    await expect(attempt).rejects.toMatchObject({ oauthError: { error: 'invalid_redirect_uri' }, status: 400 });
  });

  it('sends the initial access token where the server requires one (RFC 7591 §3)', async () => {
    const request = defaultRegistrationRequest(REDIRECT_URI, 'Mattermost MCP');

    await expect(registerClient(guarded.registrationEndpoint, request)).rejects.toMatchObject({ status: 401 });
    await expect(
      registerClient(guarded.registrationEndpoint, request, { initialAccessToken: 'initial-access-token-for-tests' }),
    ).resolves.toMatchObject({ client_id: expect.any(String) });
  });
});

describe('registration answers a real server would rarely give', () => {
  let meta: MetadataServer;

  beforeEach(async () => {
    meta = await startMetadataServer();
  });

  afterEach(async () => {
    await meta.stop();
  });

  it('reports a non-JSON error body as unknown_error with a bounded snippet', async () => {
    meta.serve('/register', {
      status: 500,
      contentType: 'text/html',
      body: `<html><body>${'Internal Server Error '.repeat(100)}</body></html>`,
    });

    const error = await registerClient(meta.url('/register'), defaultRegistrationRequest(REDIRECT_URI, 'x')).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(RegistrationError);
    expect(error).toMatchObject({ oauthError: { error: 'unknown_error' }, status: 500 });
    expect((error as RegistrationError).oauthError.errorDescription!.length).toBeLessThanOrEqual(201);
    expect((error as RegistrationError).oauthError.errorDescription).toMatch(/^<html><body>Internal Server Error/);
  });

  it('accepts any 2xx with a client_id, not only 201', async () => {
    meta.serve('/register', {
      status: 200,
      body: { client_id: 'abc', client_secret: 's3cret', client_secret_expires_at: 0 },
    });

    const registration = await registerClient(meta.url('/register'), defaultRegistrationRequest(REDIRECT_URI, 'x'));

    expect(registration.client_id).toBe('abc');
    expect(registrationExpired(registration)).toBe(false);
    expect(JSON.parse(meta.requests[0]!.body)).toEqual(defaultRegistrationRequest(REDIRECT_URI, 'x'));
    expect(meta.requests[0]!.headers['content-type']).toBe('application/json');
  });

  it('refuses a success without a client_id', async () => {
    meta.serve('/register', { status: 201, body: { client_secret: 'orphan' } });

    await expect(
      registerClient(meta.url('/register'), defaultRegistrationRequest(REDIRECT_URI, 'x')),
    ).rejects.toBeInstanceOf(UnexpectedResponseError);
  });

  it('does not follow a redirect with the registration request', async () => {
    meta.serve('/register', { status: 307, headers: { location: meta.url('/elsewhere') } });

    await expect(
      registerClient(meta.url('/register'), defaultRegistrationRequest(REDIRECT_URI, 'x')),
    ).rejects.toMatchObject({
      oauthError: { error: 'unknown_error' },
      status: 307,
    });
    expect(meta.paths()).toEqual(['/register']);
  });

  it('refuses to send a request without a usable redirect URI', async () => {
    await expect(registerClient(meta.url('/register'), { redirect_uris: [] })).rejects.toMatchObject({
      oauthError: { error: 'invalid_redirect_uri' },
      status: undefined,
    });
    await expect(registerClient(meta.url('/register'), { redirect_uris: ['/relative'] })).rejects.toBeInstanceOf(
      RegistrationError,
    );
    expect(meta.requests).toHaveLength(0);
  });

  it('knows when an issued client secret has expired', () => {
    const now = Date.UTC(2026, 0, 1);

    expect(registrationExpired({ client_id: 'a', client_secret_expires_at: now / 1000 - 1 }, now)).toBe(true);
    expect(registrationExpired({ client_id: 'a', client_secret_expires_at: now / 1000 + 60 }, now)).toBe(false);
    expect(registrationExpired({ client_id: 'a' }, now)).toBe(false);
  });
});
