import { describe, expect, it } from '@jest/globals';
import { parseConfig, type ServerConfig } from '../../server/config/schema.js';
import { ServerBreakers } from '../../server/mcp/server-breakers.js';
import { ServerStream } from '../../server/mcp/server-stream.js';
import { OAuthNeededError } from '../../server/oauth/errors.js';
import {
  DEFAULT_FAILURE_THRESHOLD,
  ResponseTooLargeError,
  serverFetch,
  type ClientAuthHooks,
  type FetchLike,
  type ServerGuard,
} from '../../server/outbound/index.js';

const USER_HEADER = 'x-mattermost-userid';

function serverConfig(headers: Record<string, string> = {}): ServerConfig {
  return parseConfig({ servers: [{ name: 'files', baseURL: 'http://127.0.0.1:9/mcp', headers }] }).servers[0]!;
}

/** The network under the pipeline: records what reached it and answers with `answer`. */
function network(answer: (init: RequestInit | undefined) => Promise<Response> | Response = () => new Response('{}')) {
  const seen: { method: string; headers: Headers }[] = [];
  const fetch: FetchLike = async (_url, init) => {
    seen.push({ method: init?.method ?? 'GET', headers: new Headers(init?.headers) });
    return answer(init);
  };
  return { fetch, seen };
}

/** The OAuth layer's part: a bearer token on each request, a 401 turned into an error (as `authorizedFetch` does). */
const bearer: ClientAuthHooks = {
  fetchFor: (_userId, server, base) => async (url, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', 'Bearer user-token');
    const response = await base(url, { ...init, headers });
    if (response.status === 401) throw new OAuthNeededError(server.name, 'http://mm.example/connect');
    return response;
  },
};

/** Each user sends enough requests to open the breaker if they counted as failures. */
async function fromTwoUsers(send: (userId: string) => Promise<unknown>): Promise<unknown[]> {
  const outcomes: unknown[] = [];
  for (const userId of ['alice', 'bob'])
    for (let i = 0; i < DEFAULT_FAILURE_THRESHOLD; i++) outcomes.push(await send(userId).catch((error) => error));
  return outcomes;
}

const post: RequestInit = { method: 'POST', body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' };

describe('serverFetch (the layers of a request to an MCP server)', () => {
  it('stacks them top to bottom: server stream, headers, authorization, breaker, network', async () => {
    const server = serverConfig({ 'X-Api-Key': 'admin-key' });
    const order: string[] = [];
    const userIdSeenBy: Record<string, string | null> = {};
    const spy = (name: string, base: FetchLike): FetchLike => {
      return (url, init) => {
        order.push(name);
        userIdSeenBy[name] = new Headers(init?.headers).get(USER_HEADER);
        return base(url, init);
      };
    };
    const net = network();
    const fetch = serverFetch({
      userId: 'alice',
      server,
      serverStream: { wrap: (below) => spy('server stream', below) },
      responseLimits: {},
      auth: { fetchFor: (userId, s, below) => spy('authorization', bearer.fetchFor(userId, s, below)) },
      breakers: { guard: (_s, _userId, below) => spy('breaker', below) } satisfies ServerGuard,
      fetch: spy('network', net.fetch),
    });
    await fetch(server.baseURL, post);
    expect(order).toEqual(['server stream', 'authorization', 'breaker', 'network']);
    // The headers are added below the server stream and above authorization.
    expect(userIdSeenBy).toEqual({ 'server stream': null, authorization: 'alice', breaker: 'alice', network: 'alice' });
    expect(net.seen[0]?.headers.get('x-api-key')).toBe('admin-key');
  });

  it("puts the user's bearer token over an admin's Authorization header (headers above authorization)", async () => {
    const server = serverConfig({ Authorization: 'Basic admin' });
    const net = network();
    await serverFetch({ userId: 'alice', server, auth: bearer, fetch: net.fetch })(server.baseURL, post);
    expect(net.seen[0]?.headers.get('authorization')).toBe('Bearer user-token');
    expect(net.seen[0]?.headers.get(USER_HEADER)).toBe('alice');
  });

  it('answers a GET with the server stream above every other layer: nothing is sent from the transport', async () => {
    const server = serverConfig();
    const net = network();
    const stream = new ServerStream({ fetch: net.fetch, deliver: () => undefined });
    stream.close(); // a closed stream starts nothing, so the GET below is the transport's alone
    const fetch = serverFetch({ userId: 'alice', server, serverStream: stream, auth: bearer, fetch: net.fetch });
    const answer = await fetch(server.baseURL, { method: 'GET' });
    expect(answer.status).toBe(405);
    expect(net.seen).toEqual([]);
    await fetch(server.baseURL, post);
    expect(net.seen.map((r) => r.method)).toEqual(['POST']);
  });

  it('leaves the breaker closed when answers are too large: the limits sit above it', async () => {
    const server = serverConfig();
    const breakers = new ServerBreakers();
    const net = network(() => new Response('x'.repeat(2048), { headers: { 'content-length': '2048' } }));
    const outcomes = await fromTwoUsers((userId) =>
      serverFetch({ userId, server, responseLimits: { maxResponseBytes: 1024 }, breakers, fetch: net.fetch })(
        server.baseURL,
        { ...post, headers: { 'mcp-session-id': 's1' } },
      ),
    );
    expect(outcomes.every((o) => o instanceof ResponseTooLargeError)).toBe(true);
    expect(breakers.breaker(server).state).toBe('closed');
  });

  it('leaves the breaker closed when the server asks for authorization: authorization sits above it', async () => {
    const server = serverConfig();
    const breakers = new ServerBreakers();
    const net = network(() => new Response(null, { status: 401 }));
    const outcomes = await fromTwoUsers((userId) =>
      serverFetch({ userId, server, auth: bearer, breakers, fetch: net.fetch })(server.baseURL, {
        ...post,
        headers: { 'mcp-session-id': 's1' },
      }),
    );
    expect(outcomes.every((o) => o instanceof OAuthNeededError)).toBe(true);
    expect(breakers.breaker(server).state).toBe('closed');
  });

  it("ends a handshake's request at its deadline, which the breaker counts as the server's failure", async () => {
    const server = serverConfig();
    const breakers = new ServerBreakers();
    // A server that never answers: the request ends only when its signal aborts.
    const net = network(
      (init) =>
        new Promise<Response>((_resolve, reject) =>
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
        ),
    );
    await fromTwoUsers(async (userId) => {
      const deadline = new AbortController();
      const sent = serverFetch({
        userId,
        server,
        handshake: { deadline: deadline.signal, active: () => true },
        responseLimits: {},
        breakers,
        fetch: net.fetch,
      })(server.baseURL, { ...post, headers: { 'mcp-session-id': 's1' } });
      deadline.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      await expect(sent).rejects.toMatchObject({ name: 'TimeoutError' });
    });
    expect(breakers.breaker(server).state).toBe('open');
  });
});
