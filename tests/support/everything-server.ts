/** Starts `@modelcontextprotocol/server-everything` (the protocol's reference server) on loopback. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

export interface EverythingServer {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startEverythingServer(
  transport: 'streamableHttp' | 'sse' = 'streamableHttp',
): Promise<EverythingServer> {
  const packageJson = require.resolve('@modelcontextprotocol/server-everything/package.json');
  const entry = join(dirname(packageJson), 'dist', 'index.js');
  const dir = mkdtempSync(join(tmpdir(), 'everything-'));
  const portFile = join(dir, 'port');
  const child: ChildProcess = spawn(process.execPath, ['-r', join(here, 'loopback-preload.cjs'), entry, transport], {
    env: { PATH: process.env.PATH ?? '', LOOPBACK_PORT_FILE: portFile, LOOPBACK_FORCE_PORT_ZERO: '1', PORT: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 20_000;
  while (!existsSync(portFile) || readFileSync(portFile, 'utf8') === '') {
    if (child.exitCode !== null) throw new Error(`server-everything exited: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`server-everything did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const port = readFileSync(portFile, 'utf8');
  return {
    url: `http://127.0.0.1:${port}/${transport === 'sse' ? 'sse' : 'mcp'}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
