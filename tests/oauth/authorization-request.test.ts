import { describe, expect, it } from '@jest/globals';
import {
  buildAuthorizationURL,
  canonicalResourceURL,
  generateState,
  requiresIssuerParameter,
  scopeCovers,
  selectResource,
  selectScope,
  unionScopes,
  validateAuthorizationResponse,
} from '../../server/oauth/authorization-request.js';
import { AuthorizationResponseError, IssuerMismatchError, StateMismatchError } from '../../server/oauth/errors.js';
import { assertS256Supported, codeChallengeS256, generateCodeVerifier, generatePKCE } from '../../server/oauth/pkce.js';

describe('PKCE (RFC 7636)', () => {
  it('makes verifiers of 43 to 128 unreserved characters from 32 to 96 random bytes', () => {
    expect(generateCodeVerifier()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateCodeVerifier(96)).toMatch(/^[A-Za-z0-9_-]{128}$/);
    expect(generateCodeVerifier()).not.toBe(generateCodeVerifier());
    expect(() => generateCodeVerifier(16)).toThrow(RangeError);
  });

  it('derives the S256 challenge of RFC 7636 Appendix B', () => {
    expect(codeChallengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
    const pair = generatePKCE();
    expect(pair.codeChallenge).toBe(codeChallengeS256(pair.codeVerifier));
    expect(pair.codeChallengeMethod).toBe('S256');
  });

  it.each([
    [['S256'], {}, true],
    [['plain', 'S256'], {}, true],
    [['plain'], {}, false],
    [['plain'], { allowMissingS256: true }, false],
    [undefined, {}, false],
    [undefined, { allowMissingS256: true }, true],
  ])('with code_challenge_methods_supported %j and %j the server is accepted: %s', (methods, policy, accepted) => {
    const check = () =>
      assertS256Supported({ issuer: 'https://as.example.com', code_challenge_methods_supported: methods }, policy);
    if (accepted) expect(check).not.toThrow();
    else
      expect(check).toThrow(
        expect.objectContaining({ code: 'ERR_OAUTH_PKCE_S256_UNSUPPORTED', issuer: 'https://as.example.com' }),
      );
  });
});

describe('the authorization URL', () => {
  const base = {
    authorizationEndpoint: 'https://as.example.com/authorize?tenant=t1',
    clientId: 'client-1',
    redirectURI: 'https://mm.example.com/plugins/mattermost-mcp/oauth/callback',
    state: 'state-1',
    codeChallenge: 'challenge-1',
  };

  it('carries the code-flow, PKCE, scope, resource and audience parameters and keeps the endpoint query', () => {
    const url = buildAuthorizationURL({
      ...base,
      scope: 'mcp:tools offline_access',
      resource: 'https://mcp.example.com/mcp',
      audience: 'api',
    });

    expect(url.origin + url.pathname).toBe('https://as.example.com/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      tenant: 't1',
      response_type: 'code',
      client_id: 'client-1',
      redirect_uri: base.redirectURI,
      scope: 'mcp:tools offline_access',
      state: 'state-1',
      code_challenge: 'challenge-1',
      code_challenge_method: 'S256',
      resource: 'https://mcp.example.com/mcp',
      audience: 'api',
    });
  });

  it('omits scope, resource and audience when there are none', () => {
    const url = buildAuthorizationURL({ ...base, scope: '' });

    expect([...url.searchParams.keys()]).toEqual([
      'tenant',
      'response_type',
      'client_id',
      'redirect_uri',
      'state',
      'code_challenge',
      'code_challenge_method',
    ]);
  });

  it('lets extra parameters add to the request but not replace the protocol ones', () => {
    const url = buildAuthorizationURL({
      ...base,
      extraParams: { prompt: 'consent', code_challenge_method: 'plain', state: 'forged' },
    });

    expect(url.searchParams.get('prompt')).toBe('consent');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toBe('state-1');
  });

  it('uses a fresh unguessable state each time', () => {
    expect(generateState()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateState()).not.toBe(generateState());
  });
});

describe('scope selection (MCP SEP-835)', () => {
  it.each([
    [{ challengeScope: 'a b', scopesSupported: ['c'], configuredScopes: ['d'] }, 'a b'],
    [{ scopesSupported: ['c', 'e'], configuredScopes: ['d'] }, 'c e'],
    [{ challengeScope: '', scopesSupported: [], configuredScopes: ['d'] }, 'd'],
    [{ configuredScopes: 'd  f' }, 'd f'],
    [{}, undefined],
  ])('chooses from %j: %s', (sources, expected) => {
    expect(selectScope(sources)).toBe(expected);
  });

  it('keeps the scopes already granted when stepping up', () => {
    expect(
      selectScope(
        { challengeScope: 'files:write', scopesSupported: ['files:read'] },
        { union: 'files:read offline_access' },
      ),
    ).toBe('files:read offline_access files:write');
    expect(unionScopes('a b', ['b', 'c'], undefined)).toBe('a b c');
    expect(unionScopes()).toBeUndefined();
    expect(scopeCovers('a b c', 'c a')).toBe(true);
    expect(scopeCovers('a b', 'a d')).toBe(false);
    expect(scopeCovers(undefined, undefined)).toBe(true);
  });
});

describe('the resource indicator (RFC 8707)', () => {
  const prm = { resource: 'https://mcp.example.com/' };

  it('is the protected resource metadata resource, else the canonical server URL', () => {
    expect(selectResource('https://mcp.example.com/mcp', prm)).toBe('https://mcp.example.com/');
    expect(selectResource('https://MCP.example.com:443/mcp#frag', undefined)).toBe('https://mcp.example.com/mcp');
    expect(selectResource('https://mcp.example.com/', undefined)).toBe('https://mcp.example.com');
  });

  it('can be replaced or left out per server', () => {
    expect(selectResource('https://mcp.example.com/mcp', prm, { resource: 'api://mcp' })).toBe('api://mcp');
    expect(selectResource('https://mcp.example.com/mcp', prm, { omitResource: true })).toBeUndefined();
  });

  it('canonicalises without dropping path or query', () => {
    expect(canonicalResourceURL('HTTPS://Mcp.Example.com/v1/mcp/?x=1#top')).toBe('https://mcp.example.com/v1/mcp/?x=1');
  });
});

describe('the authorization response', () => {
  const issuer = 'https://as.example.com';
  const callback = (query: string) => new URL(`https://mm.example.com/callback?${query}`);

  it('returns the code when state and issuer match', () => {
    expect(
      validateAuthorizationResponse(callback('code=c1&state=s1&iss=https%3A%2F%2Fas.example.com'), {
        state: 's1',
        issuer,
        requireIssuer: true,
      }),
    ).toEqual({ code: 'c1' });
  });

  it('checks state before believing an error', () => {
    expect(() => validateAuthorizationResponse(callback('error=access_denied&state=other'), { state: 's1' })).toThrow(
      StateMismatchError,
    );
    expect(() => validateAuthorizationResponse(callback('code=c1'), { state: 's1' })).toThrow(StateMismatchError);
  });

  it('refuses a response from another issuer (RFC 9207), and a missing iss when the server advertises it', () => {
    expect(() =>
      validateAuthorizationResponse(callback('code=c1&state=s1&iss=https%3A%2F%2Fevil.example.com'), {
        state: 's1',
        issuer,
      }),
    ).toThrow(IssuerMismatchError);
    expect(() =>
      validateAuthorizationResponse(callback('code=c1&state=s1'), { state: 's1', issuer, requireIssuer: true }),
    ).toThrow(IssuerMismatchError);
    expect(validateAuthorizationResponse(callback('code=c1&state=s1'), { state: 's1', issuer })).toEqual({
      code: 'c1',
    });
    expect(requiresIssuerParameter({ authorization_response_iss_parameter_supported: true })).toBe(true);
    expect(requiresIssuerParameter({})).toBe(false);
  });

  it('turns an error redirect into an error with the RFC 6749 code', () => {
    expect(() =>
      validateAuthorizationResponse(callback('error=invalid_scope&error_description=nope&state=s1'), { state: 's1' }),
    ).toThrow(expect.objectContaining({ oauthError: { error: 'invalid_scope', errorDescription: 'nope' } }));
    expect(() => validateAuthorizationResponse(new URLSearchParams('state=s1'), { state: 's1' })).toThrow(
      AuthorizationResponseError,
    );
  });
});
