/**
 * A child process that runs real SDK MCP servers (tests/support/mcp-test-server.ts) on 127.0.0.1, so the
 * process being measured holds only the client side. The parent asks for servers over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Server as HttpServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startMcpServer, type TestMcpServer } from '../tests/support/mcp-test-server.js';
import { realisticTools } from './realistic-tools.js';

export interface ServerSpec {
  /** How many servers to start. */
  readonly count: number;
  /** Delay before each HTTP request is handled (artificial network latency). */
  readonly delayMs?: number;
  /** Tools per server besides `echo`. */
  readonly tools?: number;
}

type Request =
  { id: number; type: 'start'; spec: ServerSpec } | { id: number; type: 'sessions' } | { id: number; type: 'close' };
type Reply = { id: number; urls?: string[]; sessions?: number; error?: string };

export interface ServerHost {
  start(spec: ServerSpec): Promise<string[]>;
  /** Live MCP sessions over every server of this host. */
  liveSessions(): Promise<number>;
  close(): Promise<void>;
}

/** Forks a host process; `execArgv` lets callers give it a bigger heap. */
export async function startServerHost(execArgv: string[] = []): Promise<ServerHost> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (reply: Reply) => pending.get(reply.id)?.resolve(reply));
  child.once('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`MCP server host exited (code ${code})`));
  });
  const ask = (request: Omit<Request, 'id'> & { type: Request['type'] }): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, {
        resolve: (reply) => (pending.delete(id), reply.error ? reject(new Error(reply.error)) : resolve(reply)),
        reject,
      });
      child.send({ ...request, id });
    });
  return {
    start: async (spec) => (await ask({ type: 'start', spec } as Request)).urls ?? [],
    liveSessions: async () => (await ask({ type: 'sessions' })).sessions ?? 0,
    close: () => stopHost(child, ask, exited),
  };
}

async function stopHost(
  child: ChildProcess,
  ask: (request: Request) => Promise<Reply>,
  exited: Promise<void>,
): Promise<void> {
  if (child.exitCode !== null) return;
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await ask({ id: -1, type: 'close' }).catch(() => undefined);
  await exited;
  clearTimeout(killer);
}

/**
 * Servers in front of real MCP deployments keep idle connections far longer than Node's 5 s default (nginx 75 s,
 * AWS ALB 60 s). With 5 s, a run that starves these processes of CPU closes pooled connections just as the client
 * reuses them ("other side closed"), which measures the harness, not the sidecar.
 */
function keepConnectionsLikeAProxy(): void {
  const listen = HttpServer.prototype.listen;
  HttpServer.prototype.listen = function (this: HttpServer, ...args: unknown[]) {
    this.keepAliveTimeout = 65_000;
    return (listen as (...a: unknown[]) => HttpServer).apply(this, args);
  } as typeof listen;
}

async function serve(): Promise<void> {
  keepConnectionsLikeAProxy();
  const servers: TestMcpServer[] = [];
  const handle = async (request: Request): Promise<void> => {
    const reply = (body: Omit<Reply, 'id'>) => process.send!({ id: request.id, ...body });
    try {
      if (request.type === 'start') {
        const { count, delayMs = 0, tools = 0 } = request.spec;
        const started = await Promise.all(
          Array.from({ length: count }, () => startMcpServer({ delayMs, tools: realisticTools(tools) })),
        );
        servers.push(...started);
        reply({ urls: started.map((s) => s.url) });
      } else if (request.type === 'sessions') {
        reply({ sessions: servers.reduce((sum, s) => sum + s.liveSessions, 0) });
      } else {
        await Promise.all(servers.map((s) => s.close().catch(() => undefined)));
        reply({});
        process.disconnect();
        process.exit(0);
      }
    } catch (error) {
      reply({ error: error instanceof Error ? error.message : String(error) });
    }
  };
  process.on('message', (request: Request) => void handle(request));
  // The parent died without closing us: stop too.
  process.on('disconnect', () => process.exit(0));
}

if (process.argv.includes('--serve')) void serve();
