/**
 * The plugin bundle `make dist` builds, checked from the tarball alone: layout, manifest paths, the Go
 * shim's binaries, the webapp, and a sidecar that starts and serves from the extracted folder.
 * `make test-dist` builds the bundle and runs this with MCP_BUNDLE set; without it the suite is skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../support/eventually.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../support/mcp-test-server.js';
import { sidecarRequest } from '../support/sidecar-client.js';

const BUNDLE = process.env.MCP_BUNDLE;
const PLUGIN_ID = 'mattermost-mcp';
const UPLOAD_CAP_BYTES = 100 * 1024 * 1024; // FileSettings.MaxFileSize default
const HAS_GO = spawnSync('go', ['version']).status === 0;
/** ELF e_machine values (System V ABI). */
const ELF_MACHINE: Record<string, number> = { 'linux-amd64': 0x3e, 'linux-arm64': 0xb7 };

if (!BUNDLE) console.warn('tests/dist skipped: run `make test-dist`, which builds the bundle and sets MCP_BUNDLE.');

function readHeader(path: string, bytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    readSync(fd, buffer, 0, bytes, 0);
    return buffer;
  } finally {
    closeSync(fd);
  }
}

const PT_INTERP = 3;

/** p_type of each ELF64 little-endian program header (the table sits in the first page for Go binaries). */
function programHeaderTypes(elf: Buffer): number[] {
  const offset = Number(elf.readBigUInt64LE(0x20));
  const size = elf.readUInt16LE(0x36);
  const count = elf.readUInt16LE(0x38);
  return Array.from({ length: count }, (_, i) => elf.readUInt32LE(offset + i * size));
}

(BUNDLE ? describe : describe.skip)('plugin bundle', () => {
  let dir: string;
  let root: string;
  let entries: string[];
  let manifest: any;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-bundle-'));
    const list = spawnSync('tar', ['-tzf', BUNDLE!], { encoding: 'utf8' });
    expect(list.status).toBe(0);
    entries = list.stdout.split('\n').filter(Boolean);
    expect(spawnSync('tar', ['-xzf', BUNDLE!, '-C', dir]).status).toBe(0);
    root = join(dir, PLUGIN_ID);
    manifest = JSON.parse(readFileSync(join(root, 'plugin.json'), 'utf8'));
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is named <id>-<version>.tar.gz and holds one top-level folder named after the plugin id', () => {
    expect(BUNDLE!.endsWith(`/${manifest.id}-${manifest.version}.tar.gz`)).toBe(true);
    expect(new Set(entries.map((entry) => entry.split('/')[0]))).toEqual(new Set([PLUGIN_ID]));
    expect(manifest.id).toBe(PLUGIN_ID);
  });

  it('fits under Mattermost\'s default upload cap', () => {
    const size = statSync(BUNDLE!).size;
    console.info(`bundle: ${(size / 1024 / 1024).toFixed(1)} MiB (${entries.length} entries)`);
    expect(size).toBeLessThan(UPLOAD_CAP_BYTES);
  });

  it('has plugin.json, the webapp, the sidecar entry and assets where the manifest and the shim expect them', () => {
    for (const path of ['plugin.json', manifest.webapp.bundle_path, 'server/dist/sidecar/server/main.js', 'server/dist/sidecar/package.json', 'assets']) {
      expect(existsSync(join(root, path))).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(root, 'server/dist/sidecar/package.json'), 'utf8')).type).toBe('module');
  });

  (HAS_GO ? it : it.skip)('has a static Go shim for linux-amd64 and linux-arm64 at every path the manifest lists', () => {
    const executables: Record<string, string> = manifest.server?.executables ?? {};
    expect(Object.keys(executables)).toEqual(expect.arrayContaining(['linux-amd64', 'linux-arm64']));
    for (const [platform, path] of Object.entries(executables)) {
      const file = join(root, path);
      accessSync(file, constants.X_OK);
      const elf = readHeader(file, 4096);
      expect(elf.subarray(0, 5).toString('latin1')).toBe('\x7fELF\x02'); // 64-bit
      expect(elf.readUInt16LE(18)).toBe(ELF_MACHINE[platform]);
      expect(programHeaderTypes(elf)).not.toContain(PT_INTERP); // CGO_ENABLED=0: no dynamic loader needed
    }
  });

  it('registers the webapp under the plugin id and takes React from the page', () => {
    const bundle = readFileSync(join(root, manifest.webapp.bundle_path), 'utf8');
    expect(bundle).toContain(`"${PLUGIN_ID}"`);
    expect(bundle).toContain('window.React');
    expect(bundle).not.toMatch(/\brequire\(["']react/);
  });

  describe('the sidecar, run from the extracted bundle alone', () => {
    let mcp: TestMcpServer;
    let child: ChildProcess | undefined;
    let output = '';
    const secret = 'bundle-test-secret-0123456789';

    beforeAll(async () => {
      mcp = await startMcpServer({ tools: [echoTool, whoamiTool] });
    });

    afterAll(async () => {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      await mcp.close();
    });

    it('starts on a unix socket with the shim\'s environment, opens its SQLite store, answers /healthz and lists a user\'s tools', async () => {
      const config = join(dir, 'config.json');
      writeFileSync(config, JSON.stringify({ servers: [{ name: 'wiki', baseURL: mcp.url }] }));
      const socket = join(dir, 'sidecar.sock');
      // The shim's environment (docs/sidecar-protocol.md), run from outside the repository so nothing
      // resolves from its node_modules.
      child = spawn(process.execPath, [join(root, 'server/dist/sidecar/server/main.js')], {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '',
          MCP_SIDECAR_SECRET: secret,
          MCP_SIDECAR_LISTEN: `unix:${socket}`,
          MCP_PLUGIN_ID: PLUGIN_ID,
          MCP_SITE_URL: 'http://127.0.0.1:8065',
          MCP_STORE_URL: `sqlite://${join(dir, 'mcp.sqlite')}`,
          MCP_CONFIG_FILE: config,
          MCP_LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await eventually(async () => {
        expect(child!.exitCode).toBeNull();
        expect((await sidecarRequest(`unix:${socket}`, '/healthz', { secret })).status).toBe(200);
      }, 15_000, 100).catch((error: unknown) => {
        throw new Error(`the bundled sidecar did not come up: ${String(error)}\n${output}`);
      });
      expect(existsSync(join(dir, 'mcp.sqlite'))).toBe(true); // the embedded store, through the shipped sqlite3 addon
      const tools = await sidecarRequest(`unix:${socket}`, '/mcp/tools', { secret, userId: 'bundleuser' });
      expect(tools.body.servers).toEqual([expect.objectContaining({ name: 'wiki', status: 'connected', tools: expect.arrayContaining([expect.objectContaining({ name: 'echo' })]) })]);
      child.kill('SIGTERM');
      await eventually(() => expect(child!.exitCode).toBe(0), 10_000, 50);
    }, 30_000);

    it('ships the SQLite addon built for this machine, and says which manifest platforms it cannot serve', () => {
      const addon = join(root, 'server/dist/sidecar/node_modules/sqlite3/build/Release/node_sqlite3.node');
      const machine = readHeader(addon, 20).readUInt16LE(18);
      const here = `linux-${process.arch === 'x64' ? 'amd64' : process.arch}`;
      expect(machine).toBe(ELF_MACHINE[here]);
      const others = Object.keys(manifest.server?.executables ?? {}).filter((platform) => ELF_MACHINE[platform] !== machine);
      if (others.length > 0) {
        console.warn(`sqlite3's addon is built for ${here} only: on ${others.join(', ')} the sidecar cannot load it (it imports the SQLite backend at start-up).`);
      }
    });

    it('loads the SQLite native addon and the PostgreSQL driver it ships', () => {
      const script = `
        import { createRequire } from 'node:module';
        const require = createRequire(${JSON.stringify(join(root, 'server/dist/sidecar/server/main.js'))});
        const sqlite3 = require('sqlite3');
        const db = new sqlite3.Database(':memory:');
        db.get('select sqlite_version() as version', (error, row) => {
          if (error) throw error;
          const pg = createRequire(require.resolve('@keyv/postgres'))('pg');
          console.log(JSON.stringify({ sqlite: row.version, pg: typeof pg.Pool }));
        });`;
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toEqual({ sqlite: expect.stringMatching(/^3\./), pg: 'function' });
    });
  });
});
