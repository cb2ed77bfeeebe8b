/**
 * Store servers a test may take down without disturbing anyone else: a redis-server of its own (append-only
 * file in a temporary directory, so a restart keeps the data, as a production Redis with AOF would), and a
 * PostgreSQL database of its own on the shared server, made unreachable by refusing connections to that
 * database and ending its sessions (the shared server itself is never restarted).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { newPgPool, type PgPool } from '../../../server/store/backends/pg-driver.js';
import { freePort } from '../../support/free-port.js';

export interface StoreServer {
  readonly backend: 'redis' | 'postgres';
  readonly url: string;
  /** Makes the store unreachable (Redis: the process stops; PostgreSQL: the database refuses connections). */
  stop(): Promise<void>;
  /** Brings it back with everything it held. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function privateRedis(): Promise<StoreServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'mmcp-redis-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    const started = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    started.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 10_000;
    while (!output.includes('Ready to accept connections')) {
      if (Date.now() > deadline || started.exitCode !== null)
        throw new Error(`redis-server did not start: ${output.slice(-500)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child = started;
  };
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM'); // a clean shutdown: the append-only file is complete
    await exited;
  };
  await start();
  return {
    backend: 'redis',
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const POSTGRES_ROLES = ['postgres', 'root'];

export async function privatePostgres(): Promise<StoreServer> {
  const { admin, role } = await adminPool();
  const database = `mmcp_faults_${randomBytes(5).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${database}`);
  const endSessions = () =>
    admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
  return {
    backend: 'postgres',
    url: `postgres://${role}@127.0.0.1:5432/${database}`,
    async stop() {
      await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
      await endSessions();
    },
    async start() {
      await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
    },
    async close() {
      await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
      await endSessions();
      await admin.query(`DROP DATABASE IF EXISTS ${database}`);
      await admin.end();
    },
  };
}

/** The machine's PostgreSQL trusts `postgres`, or else the OS user `root` (as `tests/support/store-fixtures.ts`). */
async function adminPool(): Promise<{ admin: PgPool; role: string }> {
  let lastError: unknown;
  for (const role of POSTGRES_ROLES) {
    const admin = newPgPool({ connectionString: `postgres://${role}@127.0.0.1:5432/test`, max: 1 });
    admin.on('error', () => undefined);
    try {
      await admin.query('SELECT 1');
      return { admin, role };
    } catch (error) {
      lastError = error;
      await admin.end();
    }
  }
  throw lastError;
}
