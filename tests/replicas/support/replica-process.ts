/**
 * Sidecar replicas as real processes: the compiled `dist/server/main.js`, started with the environment an
 * operator gives each replica (one store, one set of keys, one site URL), on 127.0.0.1 port 0. The address
 * comes from the replica's own "listening" log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MAIN = join(ROOT, 'dist', 'server', 'main.js');
const START_TIMEOUT_MS = 15_000;

export interface ReplicaEnvironment {
  readonly secret: string;
  readonly storeURL: string;
  readonly namespace: string;
  readonly table: string;
  readonly encryptionKeys: string;
  readonly siteURL: string;
  readonly configFile: string;
  readonly configPollMs?: number;
}

export interface ReplicaProcess {
  readonly name: string;
  /** `http://127.0.0.1:<port>` */
  readonly address: string;
  readonly running: boolean;
  /** Everything the replica wrote (pino JSON lines), for failure messages. */
  output(): string;
  /** SIGKILL: the replica dies on the spot, as a crashed or evicted node does. */
  kill(): Promise<void>;
  /** SIGTERM, and the exit code of its clean shutdown. */
  stop(): Promise<number | null>;
}

const started = new Set<ChildProcess>();

/**
 * Fails with what to run when `dist/` is missing or older than a source file: the replicas must run the code
 * under test (`make test-node` builds first).
 */
export function assertBuilt(): void {
  if (!existsSync(MAIN))
    throw new Error(
      'dist/server/main.js is missing: run `npm run build` (make test-node does) before the replica specs.',
    );
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'shim') walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const built = join(ROOT, 'dist', relative(ROOT, path).replace(/\.ts$/, '.js'));
        if (!existsSync(built) || statSync(built).mtimeMs < statSync(path).mtimeMs) stale.push(relative(ROOT, path));
      }
    }
  };
  walk(join(ROOT, 'server'));
  if (stale.length > 0)
    throw new Error(
      `dist/ is older than ${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ` and ${stale.length - 3} more` : ''}: run \`npm run build\` (make test-node does).`,
    );
}

export async function startReplica(name: string, env: ReplicaEnvironment): Promise<ReplicaProcess> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      MCP_SIDECAR_SECRET: env.secret,
      MCP_SIDECAR_LISTEN: '127.0.0.1:0',
      MCP_STORE_URL: env.storeURL,
      MCP_STORE_NAMESPACE: env.namespace,
      MCP_STORE_TABLE: env.table,
      MCP_ENCRYPTION_KEYS: env.encryptionKeys,
      MCP_SITE_URL: env.siteURL,
      MCP_CONFIG_FILE: env.configFile,
      MCP_LOG_LEVEL: 'info',
      ...(env.configPollMs !== undefined && { MCP_CONFIG_POLL_MS: String(env.configPollMs) }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  const exited = once(child, 'exit').then(() => void started.delete(child));
  let output = '';
  let address: string | undefined;
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    address ??= listeningAddress(output);
  });
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (address === undefined) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `replica ${name} did not start (exit ${child.exitCode ?? child.signalCode}):\n${output.slice(-2000)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const listening = address;
  return {
    name,
    address: listening,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      return child.exitCode;
    },
  };
}

/** Kills every replica still running (after a failed spec). */
export async function killAllReplicas(): Promise<void> {
  await Promise.all(
    [...started].map(async (child) => {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }),
  );
}

function listeningAddress(output: string): string | undefined {
  for (const line of output.split('\n')) {
    if (!line.includes('MCP sidecar listening')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; address?: string };
      if (entry.msg === 'MCP sidecar listening' && entry.address) return entry.address;
    } catch {
      // a partial line: the rest comes with the next chunk
    }
  }
  return undefined;
}
