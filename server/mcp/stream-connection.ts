import { Client, type Dispatcher } from 'undici';

/** A connection of its own for one server stream, closed with it. */
export interface StreamConnection {
  readonly dispatcher: Dispatcher;
  close(): void;
}

/**
 * Opens server streams on connections of their own rather than in fetch's pool. A stream holds its
 * connection as long as it is open, and undici's pool looks through every connection to an origin for a
 * free one on each request: with the streams of 1,000 active users in the pool of their requests, every
 * POST walked a thousand busy connections first (and so did every new stream in a pool of streams).
 */
export function streamConnection(url: string | URL): StreamConnection {
  const client = new Client(new URL(url).origin, { pipelining: 0 });
  return { dispatcher: client, close: () => void client.destroy().catch(() => undefined) };
}
