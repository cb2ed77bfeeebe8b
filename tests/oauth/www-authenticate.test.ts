import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ChallengeTooLongError } from '../../server/oauth/errors.js';
import {
  MAX_WWW_AUTHENTICATE_LENGTH,
  parseBearerChallenge,
  parseWWWAuthenticate,
  type Challenge,
} from '../../server/oauth/www-authenticate.js';

const challenge = (scheme: string, params: Record<string, string> = {}, token68?: string): Challenge => ({
  scheme,
  params,
  ...(token68 !== undefined && { token68 }),
});

describe('parsing WWW-Authenticate (RFC 9110 §11.6.1)', () => {
  it.each<[string, string, Challenge[]]>([
    ['a bare scheme', 'Bearer', [challenge('bearer')]],
    ['RFC 6750 §3 example', 'Bearer realm="example"', [challenge('bearer', { realm: 'example' })]],
    [
      'the MCP challenge',
      'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read files:write"',
      [
        challenge('bearer', {
          resource_metadata: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
          scope: 'files:read files:write',
        }),
      ],
    ],
    [
      'RFC 6750 §3 error example',
      'Bearer realm="example", error="invalid_token", error_description="The access token expired"',
      [
        challenge('bearer', {
          realm: 'example',
          error: 'invalid_token',
          error_description: 'The access token expired',
        }),
      ],
    ],
    [
      'a comma inside a quoted value',
      'Bearer error_description="a, b, c", scope="x"',
      [challenge('bearer', { error_description: 'a, b, c', scope: 'x' })],
    ],
    [
      'escaped quotes and backslashes',
      'Bearer error_description="say \\"hi\\" \\\\ bye"',
      [challenge('bearer', { error_description: 'say "hi" \\ bye' })],
    ],
    [
      'token values',
      'Bearer error=invalid_token, scope=read',
      [challenge('bearer', { error: 'invalid_token', scope: 'read' })],
    ],
    [
      'case-insensitive scheme and names',
      'BEARER Scope="a", ERROR="b"',
      [challenge('bearer', { scope: 'a', error: 'b' })],
    ],
    [
      'spaces around "=" and commas',
      'Bearer   realm =  "r"  ,scope= "s" ,  ',
      [challenge('bearer', { realm: 'r', scope: 's' })],
    ],
    ['tabs as whitespace', 'Bearer\trealm="r",\tscope="s"', [challenge('bearer', { realm: 'r', scope: 's' })]],
    ['empty list elements', ', , Bearer realm="r", , scope="s"', [challenge('bearer', { realm: 'r', scope: 's' })]],
    [
      'the first of a repeated parameter',
      'Bearer scope="first", Scope="second"',
      [challenge('bearer', { scope: 'first' })],
    ],
    ['an empty quoted value', 'Bearer scope=""', [challenge('bearer', { scope: '' })]],
    [
      'several challenges',
      'Basic realm="simple", Bearer realm="api", scope="x", Newauth realm="apps", type=1, title="Login to \\"apps\\""',
      [
        challenge('basic', { realm: 'simple' }),
        challenge('bearer', { realm: 'api', scope: 'x' }),
        challenge('newauth', { realm: 'apps', type: '1', title: 'Login to "apps"' }),
      ],
    ],
    [
      'DPoP and Bearer',
      'DPoP algs="ES256 PS256", error="invalid_token", Bearer resource_metadata="https://m.example/prm"',
      [
        challenge('dpop', { algs: 'ES256 PS256', error: 'invalid_token' }),
        challenge('bearer', { resource_metadata: 'https://m.example/prm' }),
      ],
    ],
    [
      'token68',
      'Negotiate YIIB+w==, Basic realm="x"',
      [challenge('negotiate', {}, 'YIIB+w=='), challenge('basic', { realm: 'x' })],
    ],
    [
      'a scheme with no parameters followed by another',
      'Bearer, DPoP algs="ES256"',
      [challenge('bearer'), challenge('dpop', { algs: 'ES256' })],
    ],
    [
      'an unquoted URL',
      'Bearer resource_metadata=https://m.example/prm',
      [challenge('bearer', { resource_metadata: 'https://m.example/prm' })],
    ],
    ['an unterminated quote', 'Bearer scope="a b', [challenge('bearer', { scope: 'a b' })]],
    ['junk after a value', 'Bearer scope="a" junk, error="e"', [challenge('bearer', { scope: 'a', error: 'e' })]],
    ['garbage before a challenge', '"??", Bearer scope="a"', [challenge('bearer', { scope: 'a' })]],
    ['nothing', '', []],
    ['only separators', ' ,\t, ', []],
  ])('reads %s', (_what, header, expected) => {
    expect(parseWWWAuthenticate(header)).toEqual(expected);
  });

  it('reads challenges spread over several header lines, each on its own', () => {
    expect(parseWWWAuthenticate(['Basic realm="a', 'Bearer scope="s"'])).toEqual([
      challenge('basic', { realm: 'a' }),
      challenge('bearer', { scope: 's' }),
    ]);
  });

  it('treats a missing header as no challenges', () => {
    expect(parseWWWAuthenticate(null)).toEqual([]);
    expect(parseWWWAuthenticate(undefined)).toEqual([]);
    expect(parseBearerChallenge(null)).toBeUndefined();
  });

  it('does not let a parameter named __proto__ touch the prototype', () => {
    const [parsed] = parseWWWAuthenticate('Bearer __proto__="x", constructor="y"');

    expect(parsed?.params.__proto__).toBe('x');
    expect(parsed?.params.constructor).toBe('y');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it(`refuses a header longer than ${MAX_WWW_AUTHENTICATE_LENGTH} characters with a typed error`, () => {
    const long = `Bearer scope="${'a'.repeat(MAX_WWW_AUTHENTICATE_LENGTH)}"`;

    expect(() => parseWWWAuthenticate(long)).toThrow(ChallengeTooLongError);
    expect(() => parseWWWAuthenticate(['Bearer', 'x'.repeat(MAX_WWW_AUTHENTICATE_LENGTH)])).toThrow(
      expect.objectContaining({ code: 'ERR_OAUTH_CHALLENGE_TOO_LONG', limit: MAX_WWW_AUTHENTICATE_LENGTH }),
    );
    expect(() => parseWWWAuthenticate('B'.repeat(MAX_WWW_AUTHENTICATE_LENGTH))).not.toThrow();
  });
});

describe('the Bearer challenge an MCP client acts on', () => {
  it('exposes resource_metadata, scope, error and error_description', () => {
    expect(
      parseBearerChallenge(
        'Bearer error="insufficient_scope", error_description="needs admin", scope="mcp:admin", resource_metadata="https://m/prm"',
      ),
    ).toEqual({
      scheme: 'bearer',
      error: 'insufficient_scope',
      error_description: 'needs admin',
      scope: 'mcp:admin',
      resource_metadata: 'https://m/prm',
    });
  });

  it('prefers Bearer over other schemes', () => {
    expect(parseBearerChallenge('DPoP resource_metadata="https://d/prm", Bearer scope="s"')).toEqual({
      scheme: 'bearer',
      scope: 's',
    });
  });

  it('falls back to a DPoP challenge that names the resource metadata', () => {
    expect(parseBearerChallenge('DPoP algs="ES256", resource_metadata="https://d/prm"')).toEqual({
      scheme: 'dpop',
      resource_metadata: 'https://d/prm',
    });
  });

  it('leaves out parameters that are missing and finds nothing in Basic-only or garbage headers', () => {
    expect(parseBearerChallenge('Bearer')).toEqual({ scheme: 'bearer' });
    expect(parseBearerChallenge('Basic realm="x"')).toBeUndefined();
    expect(parseBearerChallenge('=== "" ,,, \\')).toBeUndefined();
  });
});

// RFC 9110 grammar pieces for generating well-formed challenges.
const TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".split('');
const token = fc.array(fc.constantFrom(...TCHARS), { minLength: 1, maxLength: 12 }).map((cs) => cs.join(''));
const token68 = fc
  .tuple(
    fc.array(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/'.split('')), {
      minLength: 1,
      maxLength: 24,
    }),
    fc.integer({ min: 0, max: 2 }),
  )
  .map(([cs, pad]) => cs.join('') + '='.repeat(pad));
// qdtext plus what a quoted-pair can carry: any visible ASCII, space and tab.
const VISIBLE = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i));
const quotedText = fc.array(fc.constantFrom(...VISIBLE, '\t'), { maxLength: 30 }).map((cs) => cs.join(''));
const isToken = (value: string) => value.length > 0 && [...value].every((c) => TCHARS.includes(c));
const param = fc.tuple(token, fc.oneof(quotedText, token), fc.boolean());
const wellFormed = fc.array(
  fc.record({
    scheme: token,
    body: fc.oneof(
      { arbitrary: fc.uniqueArray(param, { selector: ([name]) => name.toLowerCase(), maxLength: 4 }), weight: 3 },
      { arbitrary: token68, weight: 1 },
    ),
  }),
  { minLength: 1, maxLength: 4 },
);
const quote = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;

describe('properties', () => {
  it('never throws on arbitrary input except the typed length error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.string({ maxLength: 9000 }),
        ),
        (input) => {
          try {
            const challenges = parseWWWAuthenticate(input);
            expect(Array.isArray(challenges)).toBe(true);
            parseBearerChallenge(input);
          } catch (error) {
            expect(error).toBeInstanceOf(ChallengeTooLongError);
            expect(input.length).toBeGreaterThan(MAX_WWW_AUTHENTICATE_LENGTH);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws on input built from the characters that matter to the grammar', () => {
    const tricky = fc
      .array(fc.constantFrom('Bearer', ' ', '\t', ',', '=', '"', '\\', 'a', 'scope', 'DPoP', '==', '/', 'é'), {
        maxLength: 60,
      })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(tricky, (input) => {
        expect(() => parseWWWAuthenticate(input)).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips generated well-formed challenges', () => {
    fc.assert(
      fc.property(wellFormed, (generated) => {
        const header = generated
          .map(({ scheme, body }) => {
            if (typeof body === 'string') return `${scheme} ${body}`;
            if (body.length === 0) return scheme;
            return `${scheme} ${body.map(([name, value, quoted]) => `${name}=${quoted || !isToken(value) ? quote(value) : value}`).join(', ')}`;
          })
          .join(', ');

        const expected = generated.map(({ scheme, body }) =>
          typeof body === 'string'
            ? challenge(scheme.toLowerCase(), {}, body)
            : challenge(
                scheme.toLowerCase(),
                Object.fromEntries(body.map(([name, value]) => [name.toLowerCase(), value])),
              ),
        );

        expect(parseWWWAuthenticate(header)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
