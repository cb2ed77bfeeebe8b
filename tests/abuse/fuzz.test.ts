import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { validateAuthorizationServerMetadata } from '../../server/oauth/authorization-server-metadata.js';
import {
  validateProtectedResourceMetadata,
  resourceMatchesServer,
} from '../../server/oauth/protected-resource-metadata.js';
import { discoverAuthorization } from '../../server/oauth/discovery.js';
import { OAuthError } from '../../server/oauth/errors.js';
import { isLoopbackHost } from '../../server/oauth/http.js';
import { ClientManager } from '../../server/mcp/client-manager.js';
import { McpClientError } from '../../server/mcp/errors.js';
import { parseConfig } from '../../server/config/schema.js';
import { startMetadataServer, type MetadataServer } from '../support/metadata-server.js';
import { startRawServer } from '../support/raw-http-server.js';
import { silentLogger } from '../support/logger.js';

const SERVER = 'https://mcp.example.com/tools/mcp';
const ISSUER = 'https://auth.example.com';
const SOURCE = 'https://mcp.example.com/.well-known/oauth-protected-resource/tools/mcp';

/** URLs of every kind a hostile document might hold: other schemes, hosts, loopback, the right ones, garbage. */
const url = fc.oneof(
  fc.constantFrom(
    SERVER,
    ISSUER,
    'https://mcp.example.com',
    'https://mcp.example.com/tools',
    'http://127.0.0.1:9/x',
    'http://localhost/x',
    'http://evil.example/x',
    'https://evil.example/x',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'data:,x',
    '//evil.example',
    '',
    ' ',
  ),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.string(),
);
const value = fc.oneof(url, fc.array(url, { maxLength: 4 }), fc.anything({ maxDepth: 2 }));
const KEYS = [
  'resource',
  'authorization_servers',
  'scopes_supported',
  'bearer_methods_supported',
  'issuer',
  'authorization_endpoint',
  'token_endpoint',
  'registration_endpoint',
  'revocation_endpoint',
  'code_challenge_methods_supported',
  'token_endpoint_auth_methods_supported',
  'client_id_metadata_document_supported',
  '__proto__',
  'constructor',
];
const VALID_PRM = {
  resource: SERVER,
  authorization_servers: [ISSUER],
  scopes_supported: ['mcp:tools'],
  bearer_methods_supported: ['header'],
};
const VALID_AS = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/authorize`,
  token_endpoint: `${ISSUER}/token`,
  registration_endpoint: `${ISSUER}/register`,
  code_challenge_methods_supported: ['S256'],
};
/** A valid document with a few members replaced by hostile values or removed. */
const mutated = (valid: Record<string, unknown>) =>
  fc
    .tuple(
      fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 2 }),
      fc.subarray(Object.keys(valid), { maxLength: 2 }),
    )
    .map(([replaced, removed]) =>
      Object.fromEntries(Object.entries({ ...valid, ...replaced }).filter(([key]) => !removed.includes(key))),
    );
/** Documents near a valid one, shaped like metadata with hostile values, and anything at all. */
const document = fc.oneof(
  mutated(VALID_PRM),
  mutated(VALID_AS),
  fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: KEYS.length }),
  fc.anything(),
  fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown),
);

/** Runs `validate`; anything thrown must be the OAuth layer's own typed error. */
function outcome<T>(validate: () => T): { ok: true; value: T } | { ok: false; error: OAuthError } {
  try {
    return { ok: true, value: validate() };
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).code).toMatch(/^ERR_OAUTH_/);
    return { ok: false, error: error as OAuthError };
  }
}

const secure = (value: unknown) => {
  const parsed = new URL(String(value));
  return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname));
};

describe('metadata validators under fuzzing (fast-check)', () => {
  it('protected resource metadata: only typed errors, and what passes names this server and http(s) issuers', () => {
    const seen = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(document, (doc) => {
        const result = outcome(() => validateProtectedResourceMetadata(doc, SERVER, SOURCE));
        seen[result.ok ? 'accepted' : 'refused']++;
        if (result.ok) {
          expect(resourceMatchesServer(result.value.resource, SERVER)).toBe(true);
          for (const issuer of result.value.authorization_servers)
            expect(new URL(issuer).protocol).toMatch(/^https?:$/);
        }
      }),
      { numRuns: 3000 },
    );
    expect(seen.accepted).toBeGreaterThan(0); // both ways through the validator were taken
    expect(seen.refused).toBeGreaterThan(0);
  });

  it('authorization server metadata: only typed errors, and what passes is this issuer with HTTPS-or-loopback endpoints', () => {
    const seen = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(
        document,
        fc.constantFrom(ISSUER, ISSUER, 'http://127.0.0.1:9', 'https://auth.example.com/tenant'),
        (doc, issuer) => {
          const result = outcome(() =>
            validateAuthorizationServerMetadata(doc, issuer, `${issuer}/.well-known/oauth-authorization-server`),
          );
          seen[result.ok ? 'accepted' : 'refused']++;
          if (result.ok) {
            expect(new URL(result.value.issuer).href).toBe(new URL(issuer).href);
            for (const field of [
              'authorization_endpoint',
              'token_endpoint',
              'registration_endpoint',
              'revocation_endpoint',
            ] as const) {
              if (result.value[field] !== undefined) expect(secure(result.value[field])).toBe(true);
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
    expect(seen.accepted).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });

  it('never lets a member named __proto__ reach the prototype', () => {
    const doc = JSON.parse(
      `{"resource": "${SERVER}", "authorization_servers": ["${ISSUER}"], "__proto__": {"polluted": true}}`,
    ) as unknown;
    validateProtectedResourceMetadata(doc, SERVER, SOURCE);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

/**
 * Fuzzed documents name hosts anywhere: requests leave this machine only for 127.0.0.1 (the rest fail as unreachable).
 */
const loopbackOnly: typeof fetch = (input, init) => {
  const target = new URL(input instanceof Request ? input.url : String(input));
  return target.hostname === '127.0.0.1'
    ? fetch(input, init)
    : Promise.reject(new TypeError(`not reachable from this test: ${target.host}`));
};

describe('discovery over HTTP against documents and answers under fuzzing', () => {
  let meta: MetadataServer;
  beforeAll(async () => {
    meta = await startMetadataServer();
  });
  afterAll(async () => {
    await meta.stop();
  });

  const body = fc.oneof(
    document.map((d) => JSON.stringify(d) ?? 'null'),
    fc.string(),
    fc.constantFrom('', '{', '[]', 'null', '<html>', '{"resource": 1}'),
  );
  const answer = fc.record({
    status: fc.constantFrom(200, 200, 200, 301, 400, 401, 404, 500, 502, 503),
    body,
    contentType: fc.constantFrom('application/json', 'text/html', 'text/plain'),
  });

  it('ends in a discovery or a typed error, whatever the server and its authorization server answer', async () => {
    await fc.assert(
      fc.asyncProperty(answer, answer, answer, async (prm, root, as) => {
        meta.serve('/.well-known/oauth-protected-resource/mcp', prm);
        meta.serve('/.well-known/oauth-protected-resource', root);
        meta.serve('/.well-known/oauth-authorization-server', as);
        meta.serve('/.well-known/openid-configuration', as);
        try {
          const found = await discoverAuthorization(meta.url('/mcp'), { timeoutMs: 2_000, fetch: loopbackOnly });
          expect(found.issuer).toMatch(/^http/);
        } catch (error) {
          expect(error).toBeInstanceOf(OAuthError);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('tool results under fuzzing, from a server that answers tools/call with anything', () => {
  let result: unknown = {};
  let server: { url: string; close(): Promise<void> };
  let manager: ClientManager;

  beforeAll(async () => {
    // Streamable HTTP by hand: a proper handshake and tool list, then whatever `result` holds for each call.
    server = await startRawServer((req, res, text) => {
      if (req.method !== 'POST') return void res.writeHead(405).end();
      const message = JSON.parse(text) as { id?: number; method: string };
      if (message.id === undefined) return void res.writeHead(202).end();
      const answer =
        message.method === 'initialize'
          ? { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'fuzz', version: '1' } }
          : message.method === 'tools/list'
            ? { tools: [{ name: 'any', inputSchema: { type: 'object' } }] }
            : result;
      res
        .writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'fuzz' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result: answer }));
    });
    manager = new ClientManager(parseConfig({ servers: [{ name: 'fuzz', baseURL: server.url }] }), {
      logger: silentLogger(),
    });
  });
  afterAll(async () => {
    await manager.close();
    await server.close();
  });

  const block = fc.oneof(
    fc.record({ type: fc.constant('text'), text: fc.oneof(fc.string(), fc.anything({ maxDepth: 1 })) }),
    fc.record({ type: fc.constant('image'), data: fc.string(), mimeType: fc.oneof(fc.string(), fc.constant(7)) }),
    fc.record({ type: fc.constant('resource'), resource: fc.anything({ maxDepth: 2 }) }),
    fc.record({ type: fc.constant('resource_link'), name: fc.string(), uri: fc.oneof(fc.webUrl(), fc.string()) }),
    fc.record({ type: fc.string(), extra: fc.anything({ maxDepth: 1 }) }),
    fc.anything({ maxDepth: 2 }),
  );
  const results = fc.oneof(
    fc.record(
      {
        content: fc.oneof(fc.array(block, { maxLength: 5 }), fc.anything({ maxDepth: 1 })),
        isError: fc.oneof(fc.boolean(), fc.anything({ maxDepth: 0 })),
        structuredContent: fc.anything({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    ),
    fc.anything({ maxDepth: 2 }),
  );

  it('gives the caller a result or a typed error naming the server, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(results, async (next) => {
        result = next;
        try {
          const answer = await manager.callTool('fuzzer', 'fuzz__any', {});
          expect(typeof answer.text).toBe('string');
          expect(typeof answer.isError).toBe('boolean');
          expect(Array.isArray(answer.images)).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(McpClientError);
          expect((error as Error).message).toMatch(/^Server fuzz: /);
        }
      }),
      { numRuns: 300 },
    );
  });
});
