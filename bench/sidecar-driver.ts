/**
 * Drives a running sidecar as the shim does: keep-alive HTTP (over its unix socket or TCP), the secret and
 * X-Mattermost-UserID on every request.
 */
import { Agent, request } from 'node:http';

export interface SidecarDriver {
  get(path: string, userId: string): Promise<unknown>;
  post(path: string, userId: string, body: unknown): Promise<unknown>;
  close(): void;
}

/** `address` is the sidecar's: `unix:<path>` (as the shim reaches a bundled sidecar) or `http://host:port`. */
export function sidecarDriver(address: string, secret: string): SidecarDriver {
  const target = address.startsWith('unix:')
    ? { socketPath: address.slice('unix:'.length) }
    : { host: new URL(address).hostname, port: Number(new URL(address).port) };
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const send = (method: string, path: string, userId: string, payload?: string) =>
    new Promise<unknown>((resolve, reject) => {
      const headers: Record<string, string> = { authorization: `Bearer ${secret}`, 'x-mattermost-userid': userId };
      if (payload !== undefined) headers['content-type'] = 'application/json';
      const req = request({ ...target, path, method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200)
            reject(new Error(`${method} ${path}: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
          else resolve(JSON.parse(text));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  return {
    get: (path, userId) => send('GET', path, userId),
    post: (path, userId, body) => send('POST', path, userId, JSON.stringify(body)),
    close: () => agent.destroy(),
  };
}
