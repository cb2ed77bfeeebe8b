/**
 * Puts a real handler (oidc-provider's, a test MCP server's) behind faults switched on demand, per path:
 * `drop` closes the connection without an answer (a crashed process behind a balancer), `hang` never
 * answers (a stuck server), `hold` keeps requests until the fault is lifted and then serves them (a slow
 * answer whose timing the test controls), `unavailable` answers 503, `up` serves normally. The caller's own
 * server listens with `listener` as its request handler, so the port is never given up and taken again.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

export type HostFault = 'up' | 'drop' | 'hang' | 'hold' | 'unavailable';

export interface FaultyHost {
  /** The request handler to serve: `handler` behind the faults. */
  readonly listener: RequestListener;
  /** `METHOD /path` of every request received, in order, whatever the fault. */
  readonly requests: readonly string[];
  /** Requests held by `hold` right now. */
  readonly held: number;
  /** Applies `fault` to requests for one of `paths` (every path when none is given). */
  set(fault: HostFault, ...paths: string[]): void;
}

export function faultyHost(handler: RequestListener): FaultyHost {
  let rules: Array<{ fault: HostFault; paths: string[] }> = [];
  const requests: string[] = [];
  const hung = new Set<ServerResponse>();
  const held: Array<[IncomingMessage, ServerResponse]> = [];
  const listener: RequestListener = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://host').pathname;
    requests.push(`${req.method} ${path}`);
    const rule = rules.find((r) => r.paths.length === 0 || r.paths.includes(path));
    switch (rule?.fault ?? 'up') {
      case 'drop':
        req.socket.destroy();
        return;
      case 'hang':
        hung.add(res);
        return;
      case 'hold':
        held.push([req, res]);
        return;
      case 'unavailable':
        res.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable');
        return;
      case 'up':
        handler(req, res);
    }
  };
  return {
    listener,
    requests,
    get held() {
      return held.length;
    },
    set(fault, ...paths) {
      // The newest rule for a path wins; `up` without paths clears every fault.
      rules =
        fault === 'up' && paths.length === 0
          ? []
          : [{ fault, paths }, ...rules.filter((r) => r.paths.join() !== paths.join())];
      if (fault === 'up') {
        for (const res of hung) res.destroy();
        hung.clear();
        for (const [req, res] of held.splice(0)) handler(req, res);
      }
    },
  };
}

/** How many `METHOD /path` requests the host received, whatever their fate. */
export function countRequests(host: FaultyHost, line: string): number {
  return host.requests.filter((r) => r === line).length;
}
