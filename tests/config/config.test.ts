import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ConfigValidationError } from '../../server/config/errors.js';
import { DEFAULT_IDLE_TIMEOUT_MINUTES, parseConfig } from '../../server/config/schema.js';

function rejection(input: unknown): ConfigValidationError {
  try {
    parseConfig(input);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error;
    throw error;
  }
  throw new Error('config was accepted');
}

const server = { name: 'wiki', baseURL: 'https://wiki.example.com/mcp' };

describe('parseConfig', () => {
  it('fills defaults: enabled, no servers, a 30 minute idle timeout, enabled servers without headers', () => {
    expect(parseConfig({})).toEqual({ enabled: true, servers: [], idleTimeoutMinutes: DEFAULT_IDLE_TIMEOUT_MINUTES });
    expect(parseConfig({ servers: [server] }).servers[0]).toEqual({ ...server, enabled: true, headers: {} });
  });

  it('treats an idle timeout of 0 as the default, like the Go plugin', () => {
    expect(parseConfig({ idleTimeoutMinutes: 0 }).idleTimeoutMinutes).toBe(30);
  });

  it.each([
    [{ idleTimeoutMinutes: -1 }, 'idleTimeoutMinutes: must not be negative'],
    [
      { servers: [server, { ...server, name: 'WIKI' }] },
      'servers[1].name: duplicate server name "WIKI" (also servers[0])',
    ],
    [
      { servers: [{ ...server, baseURL: 'ftp://wiki.example.com' }] },
      'servers[0].baseURL: must be an http(s) URL, got scheme "ftp"',
    ],
    [{ servers: [{ ...server, baseURL: 'not a url' }] }, 'servers[0].baseURL: must be an http(s) URL'],
    [
      { servers: [{ ...server, baseURL: 'https://user:pw@wiki.example.com' }] },
      'servers[0].baseURL: must not contain credentials',
    ],
    [{ servers: [{ ...server, name: '' }] }, 'servers[0].name: is required'],
    [
      { servers: [{ ...server, headers: { 'Bad Header': 'x' } }] },
      'servers[0].headers.Bad Header: "Bad Header" is not a valid header name',
    ],
    [
      { servers: [{ ...server, headers: { 'x-mattermost-userid': 'admin' } }] },
      'servers[0].headers.x-mattermost-userid: header x-mattermost-userid is set by the plugin to the requesting user and cannot be overridden',
    ],
    [
      { servers: [{ ...server, headers: { 'X-Key': 'a\r\nInjected: 1' } }] },
      'servers[0].headers.X-Key: value must not contain control characters',
    ],
    [{ servers: [{ ...server, enabled: 'yes' }] }, 'servers[0].enabled'],
  ])('refuses %j with a message naming the field', (input, message) => {
    expect(rejection(input).message).toContain(message);
  });

  it('names every bad field in one message', () => {
    const error = rejection({ idleTimeoutMinutes: -5, servers: [{ name: 'a', baseURL: 'gopher://x' }] });
    expect(error.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['idleTimeoutMinutes', 'servers[0].baseURL']),
    );
  });

  it('never throws anything but ConfigValidationError, whatever it is given (property)', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        try {
          parseConfig(input);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigValidationError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('per-server OAuth options', () => {
  it('accepts a pre-registered client, scopes and resource options', () => {
    const oauth = {
      clientId: 'abc',
      clientSecret: 's3cret',
      issuer: 'https://login.example.com',
      scopes: ['read', 'offline_access'],
      audience: 'https://api.example.com',
      allowMissingS256: true,
    };
    expect(parseConfig({ servers: [{ ...server, oauth }] }).servers[0]?.oauth).toEqual(oauth);
  });

  it.each([
    [{ clientSecret: 'x' }, 'servers[0].oauth.clientSecret: needs clientId'],
    [{ clientId: 'abc' }, 'servers[0].oauth.issuer: is required with clientId'],
    [{ clientId: 'abc', issuer: 'not a url' }, 'servers[0].oauth.issuer: must be an http(s) URL'],
    [
      { resource: 'https://r.example.com', omitResource: true },
      'servers[0].oauth.omitResource: cannot be combined with resource',
    ],
    [{ scopes: ['has space'] }, 'servers[0].oauth.scopes[0]: must be a scope token'],
    [{ resource: 'not-a-url' }, 'servers[0].oauth.resource: must be an absolute URL'],
    [{ clientID: 'typo' }, 'servers[0].oauth'],
  ])('refuses %j naming the field', (oauth, message) => {
    expect(rejection({ servers: [{ ...server, oauth }] }).message).toContain(message);
  });

  it('refuses unknown server fields instead of silently ignoring a typo', () => {
    expect(rejection({ servers: [{ ...server, baseUrl: 'https://x' }] }).message).toContain('servers[0]');
  });
});
