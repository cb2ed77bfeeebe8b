/**
 * An HTTP request to Mattermost exactly as written: the path is sent unnormalized (`..`, `%2F` and
 * `//` reach the server as they are, which fetch would clean up), and a body goes with a
 * Content-Length or chunked.
 */
import { request as httpRequest } from 'node:http';

export interface RawRequest {
  readonly method: string;
  /** Sent as is in the request line. */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** How the body is framed (default: a Content-Length). */
  readonly framing?: 'length' | 'chunked';
}

export function rawRequest(
  siteURL: string,
  { method, path, headers = {}, body, framing = 'length' }: RawRequest,
): Promise<{ status: number; json: any; text: string }> {
  const { hostname, port } = new URL(siteURL);
  const sent: Record<string, string> = { ...headers };
  if (body !== undefined) {
    if (framing === 'length') sent['content-length'] = String(Buffer.byteLength(body));
    else sent['transfer-encoding'] = 'chunked';
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers: sent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json, text });
      });
    });
    req.on('error', reject);
    if (body === undefined || framing === 'length') {
      req.end(body);
      return;
    }
    const piece = Math.max(1, Math.ceil(body.length / 7));
    for (let at = 0; at < body.length; at += piece) req.write(body.slice(at, at + piece));
    req.end();
  });
}
