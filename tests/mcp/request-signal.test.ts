import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getEventListeners } from 'node:events';
import { withResponseLimits, ResponseTooLargeError } from '../../server/outbound/response-limits.js';
import { linkedSignal } from '../../server/outbound/linked-signal.js';

let server: Server;
let url: string;

beforeAll(async () => {
  // /json answers at once; /slow sends half an event stream and then nothing.
  server = createServer((req, res) => {
    if (req.url === '/slow') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n');
      return;
    }
    if (req.url === '/big')
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('x'.repeat(5_000));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('a signal per request', () => {
  it("leaves no listener on the session's signal once each response was read (undici would leave one per request)", async () => {
    const session = new AbortController();
    const bounded = withResponseLimits(fetch);
    for (let i = 0; i < 50; i++)
      expect(await (await bounded(`${url}/json`, { signal: session.signal })).json()).toEqual({ ok: true });
    expect(getEventListeners(session.signal, 'abort')).toHaveLength(0);
  });

  it("still ends a response in flight when the session's signal aborts", async () => {
    const session = new AbortController();
    const response = await withResponseLimits(fetch)(`${url}/slow`, { signal: session.signal });
    expect(getEventListeners(session.signal, 'abort')).toHaveLength(1);
    const reading = response.text();
    session.abort(new Error('session closed'));
    await expect(reading).rejects.toThrow();
  });

  it("hangs one listener on the session's signal however many requests are in flight on it: no MaxListenersExceededWarning", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const session = new AbortController();
      const responses = await Promise.all(
        Array.from({ length: 12 }, () => withResponseLimits(fetch)(`${url}/slow`, { signal: session.signal })),
      );
      expect(getEventListeners(session.signal, 'abort')).toHaveLength(1);
      const readings = responses.map((response) => response.text());
      session.abort(new Error('session closed'));
      for (const reading of readings) await expect(reading).rejects.toThrow();
      expect(getEventListeners(session.signal, 'abort')).toHaveLength(0);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it("lets go of the session's signal when a body is refused for its size", async () => {
    const session = new AbortController();
    const response = await withResponseLimits(fetch, { maxResponseBytes: 1_000 })(`${url}/big`, {
      signal: session.signal,
    });
    await expect(response.text()).rejects.toBeInstanceOf(ResponseTooLargeError);
    expect(getEventListeners(session.signal, 'abort')).toHaveLength(0);
  });

  it('starts aborted when the session already is', async () => {
    const gone = new AbortController();
    gone.abort(new Error('gone'));
    await expect(withResponseLimits(fetch)(`${url}/json`, { signal: gone.signal })).rejects.toThrow();
    expect(linkedSignal(gone.signal).signal.aborted).toBe(true);
  });
});
