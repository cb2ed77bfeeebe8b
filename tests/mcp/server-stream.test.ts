import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { EventParser, ServerStream, type StreamState } from '../../server/mcp/server-stream.js';
import { ResponseTooLargeError } from '../../server/outbound/response-limits.js';
import { eventually } from '../support/eventually.js';

const quick = { initialDelayMs: 20, maxDelayMs: 100, growFactor: 2, maxRetries: 3 };
const servers: Server[] = [];
const streams: ServerStream[] = [];

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await Promise.all(
    servers.splice(0).map((s) => new Promise((resolve) => (s.closeAllConnections(), s.close(resolve)))),
  );
});

/** An SSE endpoint on 127.0.0.1 whose answer to each GET the test scripts. */
async function sseServer(
  answer: (req: IncomingMessage, res: ServerResponse, n: number) => void,
): Promise<{ url: string; gets: IncomingMessage[] }> {
  const gets: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    gets.push(req);
    answer(req, res, gets.length);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, gets };
}

/** An SSE endpoint that keeps every stream open, counting those open now. */
async function openStreamsServer(): Promise<{ url: string; gets: IncomingMessage[]; readonly open: number }> {
  let open = 0;
  const server = await sseServer((req, res) => {
    open++;
    req.on('close', () => open--);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(': hello\n\n');
  });
  return {
    ...server,
    get open() {
      return open;
    },
  };
}

const notification = (method: string) => `data: ${JSON.stringify({ jsonrpc: '2.0', method })}\n\n`;

function stream(overrides: Partial<ConstructorParameters<typeof ServerStream>[0]> = {}) {
  const delivered: JSONRPCMessage[] = [];
  const errors: unknown[] = [];
  const waits: number[] = [];
  let reconnects = 0;
  // Waits are recorded (what the stream asked for), and kept short so the specs do not sleep.
  const wait = (ms: number) => (waits.push(ms), new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, 20))));
  const s = new ServerStream({
    fetch,
    deliver: (m) => delivered.push(m),
    onError: (e) => errors.push(e),
    onReconnect: () => reconnects++,
    reconnection: quick,
    wait,
    ...overrides,
  });
  streams.push(s);
  return { stream: s, delivered, errors, waits, reconnects: () => reconnects };
}

/** Timers that end only when a spec ends them (or their signal aborts): what was asked for, with no wall time. */
function manualTimers() {
  const pending: Array<{ readonly ms: number; readonly end: () => void }> = [];
  const asked: number[] = [];
  const wait = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      asked.push(ms);
      pending.push({ ms, end: resolve });
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  return { wait, asked, endAll: () => pending.splice(0).forEach((timer) => timer.end()) };
}

describe('ServerStream', () => {
  it("answers the SDK's GET with 405 at once and opens the stream itself, with the SDK's headers, delivering each message", async () => {
    const server = await sseServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(notification('notifications/tools/list_changed'));
    });
    const { stream: s, delivered } = stream();
    const answer = await s.wrap(fetch)(server.url, {
      method: 'GET',
      headers: { 'mcp-session-id': 'abc', accept: 'text/event-stream' },
    });
    expect(answer.status).toBe(405);
    await eventually(() => expect(delivered).toEqual([{ jsonrpc: '2.0', method: 'notifications/tools/list_changed' }]));
    expect(server.gets).toHaveLength(1);
    expect(server.gets[0]!.headers['mcp-session-id']).toBe('abc');
    expect(s.isRunning).toBe(true);
  });

  it('tells when the server has answered the stream, so a caller listing tools misses nothing pushed after', async () => {
    let answer: (() => void) | undefined;
    const server = await sseServer((_req, res) => {
      answer = () => res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': open\n\n');
    });
    const timers = manualTimers();
    const { stream: s } = stream({ wait: timers.wait });
    // No stream asked for: it answers before anything else can run.
    expect(
      await Promise.race([
        s.listening(60_000).then(() => 'at once'),
        new Promise((resolve) => setImmediate(() => resolve('waited'))),
      ]),
    ).toBe('at once');
    expect(timers.asked).toEqual([]);
    await s.wrap(fetch)(server.url, { method: 'GET' });
    let listening = false;
    const waiting = s.listening(10_000).then(() => (listening = true));
    await eventually(() => expect(answer).toBeDefined());
    // Its bound is asked for and not over (this timer ends only when the spec says): only the answer can end the wait.
    expect(timers.asked).toEqual([10_000]);
    expect(listening).toBe(false);
    answer!();
    await waiting;
    expect(listening).toBe(true);
  });

  it('waits no longer than it was told for a server that never answers the stream', async () => {
    const server = await sseServer(() => undefined);
    const timers = manualTimers();
    const { stream: s } = stream({ wait: timers.wait });
    await s.wrap(fetch)(server.url, { method: 'GET' });
    let listening = false;
    const waiting = s.listening(200).then(() => (listening = true));
    await eventually(() => expect(server.gets).toHaveLength(1));
    expect(timers.asked).toEqual([200]);
    expect(listening).toBe(false);
    timers.endAll(); // the 200 ms are over
    await waiting;
    expect(listening).toBe(true);
    expect(server.gets).toHaveLength(1);
  });

  it("passes POST and DELETE through to the transport's fetch", async () => {
    const server = await sseServer((req, res) => res.end(req.method));
    const { stream: s } = stream();
    expect(await (await s.wrap(fetch)(server.url, { method: 'POST', body: '{}' })).text()).toBe('POST');
    expect(await (await s.wrap(fetch)(server.url, { method: 'DELETE' })).text()).toBe('DELETE');
  });

  it('comes back after the server drops it, resuming from the last event id, and says so', async () => {
    const server = await sseServer((_req, res, n) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`id: event-${n}\n${notification(`notifications/n${n}`)}`);
      if (n < 3) res.end();
    });
    const { stream: s, delivered, reconnects } = stream();
    await s.wrap(fetch)(server.url, { method: 'GET' });
    await eventually(() =>
      expect(delivered.map((m) => (m as { method: string }).method)).toEqual([
        'notifications/n1',
        'notifications/n2',
        'notifications/n3',
      ]),
    );
    expect(server.gets.map((g) => g.headers['last-event-id'])).toEqual([undefined, 'event-1', 'event-2']);
    expect(reconnects()).toBe(2);
  });

  it("waits as long as the server's retry field says before coming back", async () => {
    const server = await sseServer((_req, res, n) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(n === 1 ? 'retry: 400\n\n' : '');
    });
    const { stream: s, waits } = stream();
    await s.wrap(fetch)(server.url, { method: 'GET' });
    await eventually(() => expect(server.gets.length).toBeGreaterThanOrEqual(2));
    expect(waits[0]).toBe(400);
  });

  it('asks again when the server still holds the previous stream (409), then lists what may have been missed', async () => {
    const server = await sseServer((_req, res, n) => {
      if (n <= 2) return void res.writeHead(409).end();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n');
    });
    const { stream: s, waits, reconnects } = stream({ reconnection: { ...quick, initialDelayMs: 60_000 } });
    await s.wrap(fetch)(server.url, { method: 'GET' });
    await eventually(() => expect(server.gets).toHaveLength(3));
    await eventually(() => expect(reconnects()).toBe(1));
    expect(waits).toEqual([100, 200]); // soon, not the 60 s a failure waits
  });

  it('waits longer after each failure, from its initial delay up to its bound', async () => {
    const server = await sseServer((_req, res) => res.writeHead(503).end());
    const { stream: s, waits } = stream({
      reconnection: { initialDelayMs: 1_000, growFactor: 2, maxDelayMs: 3_000, maxRetries: 4 },
    });
    await s.wrap(fetch)(server.url, { method: 'GET' });
    await eventually(() => expect(s.isRunning).toBe(false));
    expect(waits).toEqual([1_000, 2_000, 3_000, 3_000]);
  });

  it.each([[404], [405], [401], [403]])(
    'stops when the server answers %i (no stream, session gone, or not authorized)',
    async (status) => {
      const server = await sseServer((_req, res) => res.writeHead(status).end());
      const { stream: s, waits } = stream();
      await s.wrap(fetch)(server.url, { method: 'GET' });
      await eventually(() => expect(s.isRunning).toBe(false));
      // It stopped without asking to wait for another attempt, and nothing runs that could ask again.
      expect(waits).toEqual([]);
      expect(server.gets).toHaveLength(1);
    },
  );

  it('gives up after its retries when the server keeps failing', async () => {
    const server = await sseServer((_req, res) => res.writeHead(503).end());
    const { stream: s, errors } = stream();
    await s.wrap(fetch)(server.url, { method: 'GET' });
    await eventually(() => expect(s.isRunning).toBe(false), 3_000);
    expect(server.gets).toHaveLength(quick.maxRetries + 1);
    expect(String(errors[0])).toContain('HTTP 503');
  });

  it('reports a message that is not JSON-RPC and goes on reading', async () => {
    const server = await sseServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: not json\n\n');
      res.write('data: {"hello":"world"}\n\n');
      res.write(notification('notifications/after'));
    });
    const { stream: s, delivered, errors } = stream();
    await s.wrap(fetch)(server.url, { method: 'GET' });
    await eventually(() => expect(delivered).toHaveLength(1));
    expect(errors).toHaveLength(2);
  });

  it('refuses an event larger than its bound and drops the stream for good', async () => {
    const server = await sseServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${'x'.repeat(5_000)}`);
    });
    const { stream: s, errors } = stream({ maxEventBytes: 1_000 });
    await s.wrap(fetch)(server.url, { method: 'GET' });
    await eventually(() => expect(errors[0]).toBeInstanceOf(ResponseTooLargeError));
    await eventually(() => expect(s.isRunning).toBe(false));
    expect(server.gets).toHaveLength(1);
  });

  it('stops reading a stream that is not an event stream', async () => {
    const server = await sseServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    const { stream: s, errors } = stream();
    await s.wrap(fetch)(server.url, { method: 'GET' });
    await eventually(() => expect(String(errors[0])).toContain('not an event stream'));
    expect(server.gets).toHaveLength(1);
  });

  it('closes the open stream while the user is idle, refuses GETs without dialling, and opens again when asked', async () => {
    const server = await openStreamsServer();
    const open = () => server.open;
    const { stream: s } = stream();
    await s.wrap(fetch)(server.url, { method: 'GET' });
    await eventually(() => expect(open()).toBe(1));
    expect(s.close()).toBe(true);
    expect(s.close()).toBe(false);
    await eventually(() => expect(open()).toBe(0));
    expect((await s.wrap(fetch)(server.url, { method: 'GET' })).status).toBe(405);
    expect(server.gets).toHaveLength(1);
    expect(s.open()).toBe(true);
    expect(s.open()).toBe(false);
    await s.wrap(fetch)(server.url, { method: 'GET' });
    await eventually(() => expect(open()).toBe(1));
  });

  it("ends the stream when the transport's own signal aborts (the session closed)", async () => {
    const server = await openStreamsServer();
    const open = () => server.open;
    const { stream: s } = stream();
    const session = new AbortController();
    await s.wrap(fetch)(server.url, { method: 'GET', signal: session.signal });
    await eventually(() => expect(open()).toBe(1));
    session.abort();
    await eventually(() => expect(open()).toBe(0));
    await eventually(() => expect(s.isRunning).toBe(false));
    expect(server.gets).toHaveLength(1);
  });
});

describe('EventParser', () => {
  const parse = (chunks: readonly string[], maxEventBytes = 1_000_000) => {
    const events: Array<[string, string]> = [];
    const state: StreamState = { lastEventId: undefined, retryMs: undefined };
    const parser = new EventParser(maxEventBytes, state, (type, data) => events.push([type, data]));
    const encoder = new TextEncoder();
    for (const chunk of chunks) parser.push(encoder.encode(chunk));
    return { events, state };
  };
  const text =
    '\uFEFF: comment\r\nid: 7\r\nevent: message\r\ndata: {"a":\r\ndata:1}\r\n\r\nretry: 250\nevent: ping\ndata: x\n\ndata: é€😀\r\rdata\n\n';
  const expected: Array<[string, string]> = [
    ['message', '{"a":\n1}'],
    ['ping', 'x'],
    ['', 'é€😀'],
    ['', ''],
  ];

  it('reads events, fields, comments and every kind of line end, keeping the last id and the retry delay', () => {
    const { events, state } = parse([text]);
    expect(events).toEqual(expected);
    expect(state).toEqual({ lastEventId: '7', retryMs: 250 });
  });

  it('gives the same events however the bytes are split into chunks', () => {
    const bytes = new TextEncoder().encode(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const events: Array<[string, string]> = [];
      const parser = new EventParser(1_000_000, { lastEventId: undefined, retryMs: undefined }, (type, data) =>
        events.push([type, data]),
      );
      parser.push(bytes.slice(0, cut));
      parser.push(bytes.slice(cut));
      expect(events).toEqual(expected);
    }
  });

  it('refuses an event that outgrows its bound, whether in one line or many', () => {
    expect(() => parse([`data: ${'x'.repeat(200)}`], 100)).toThrow(ResponseTooLargeError);
    expect(() => parse([Array.from({ length: 20 }, () => 'data: xxxxxxxxx\n').join('')], 100)).toThrow(
      ResponseTooLargeError,
    );
    expect(parse([`data: ${'x'.repeat(90)}\n\n`.repeat(5)], 100).events).toHaveLength(5);
  });
});
