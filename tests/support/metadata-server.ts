/**
 * A tiny HTTP server on 127.0.0.1:0 serving hand-written answers (metadata documents, registration
 * and token endpoint replies) for the cases a real authorization server will not produce:
 * issuer mismatch, no S256, non-HTTPS endpoints, non-JSON errors. It records every request.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { closeServer } from './authorization-server.js';

export interface CannedResponse {
  readonly status?: number;
  /** An object is sent as JSON; a string as is, with `contentType` (default text/plain). */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Never answer (until the server stops), for timeouts and aborts. */
  readonly hang?: boolean;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface MetadataServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  url(path: string): string;
  /** Answers `path` (any method) with `response` from now on; other paths get 404. */
  serve(path: string, response: CannedResponse | ((request: RecordedRequest) => CannedResponse)): void;
  readonly requests: RecordedRequest[];
  /** Paths requested, in order. */
  paths(): string[];
  stop(): Promise<void>;
}

export async function startMetadataServer(): Promise<MetadataServer> {
  const routes = new Map<string, CannedResponse | ((request: RecordedRequest) => CannedResponse)>();
  const requests: RecordedRequest[] = [];
  const app = express();
  app.use(express.text({ type: () => true }));
  app.use((req, res) => {
    const recorded: RecordedRequest = {
      method: req.method,
      path: req.path,
      headers: req.headers,
      body: typeof req.body === 'string' ? req.body : '',
    };
    requests.push(recorded);
    const route = routes.get(req.path);
    const answer = typeof route === 'function' ? route(recorded) : (route ?? { status: 404, body: 'Not Found' });
    if (answer.hang) return;
    res.status(answer.status ?? 200);
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
    if (typeof answer.body === 'string') res.type(answer.contentType ?? 'text/plain').send(answer.body);
    else if (answer.body === undefined) res.end();
    else res.type(answer.contentType ?? 'application/json').send(JSON.stringify(answer.body));
  });
  const server = createServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    serve: (path, response) => void routes.set(path, response),
    requests,
    paths: () => requests.map((r) => r.path),
    stop: () => closeServer(server),
  };
}
