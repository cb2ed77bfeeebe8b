/**
 * Writes an HTTP/1.1 request byte for byte on a plain TCP socket, for what Node's own HTTP client refuses to
 * send: control characters in header values, duplicated identity headers, oversized headers.
 */
import { connect } from 'node:net';

export interface RawAnswer {
  /** The status code of the answer, or 0 when the server closed the connection without one. */
  readonly status: number;
  readonly text: string;
}

export function rawRequest(address: string, head: string, body = ''): Promise<RawAnswer> {
  const url = new URL(address);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? finish() : reject(error)));
    socket.on('end', finish);
    socket.on('close', finish);
    let done = false;
    function finish() {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    }
    socket.write(
      `${head.replace(/\n/g, '\r\n')}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      'latin1',
    );
  });
}
