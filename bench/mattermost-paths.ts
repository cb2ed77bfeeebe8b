/**
 * The paths people and the AI bot use, on a real Mattermost (the end-to-end harness's pinned server on
 * PostgreSQL, the linux-amd64 bundle installed through the REST API), each against the design this
 * plugin replaces: a Go plugin on the same server calling the same MCP server in-process with the
 * official Go SDK (the stand-in Agents plugin's /test/bench/* routes, tests/e2e/agents-stand-in/direct.go).
 *
 * - Tool call: `POST /plugins/mattermost-mcp/api/v1/tools/call` as a user (REST → plugin RPC → shim →
 *   sidecar → MCP server) against `POST /plugins/mattermost-ai/test/bench/direct-call` (REST → plugin RPC →
 *   go-sdk session → MCP server).
 * - AI bot bridge: `tools/list` and `tools/call` from the stand-in through PluginHTTP to this plugin's MCP
 *   endpoint (→ shim → sidecar → MCP server) against the stand-in calling the MCP server itself; with a
 *   session kept per user (as the Agents plugin keeps one for 30 idle minutes) and with a fresh session per
 *   request (connect, tools/list, the operation, close: what the stand-in's /test/* routes do).
 *
 * Every request goes through Mattermost's REST API on both sides, so both carry the same HTTP and RPC hop.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MattermostApi, type Session } from '../tests/e2e/support/mattermost-api.js';
import {
  buildMattermost,
  pathWithoutNode,
  startMattermost,
  type MattermostServer,
} from '../tests/e2e/support/mattermost-server.js';
import { enablePlugin, findBundle, patchPluginConfig, uploadBundle, PLUGIN_ID } from '../tests/e2e/support/plugin.js';
import { startServerHost } from './mcp-server-host.js';
import { commandOf, cpuMsOf, descendantsOf } from './process-cpu.js';
import { interleavedSamples, summarize, type Summary } from './stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const STAND_IN = 'mattermost-ai';
const SERVER = 'bench';
const PASSWORD = 'Bench-password-0123456789';
/** Mattermost's PluginStateRunning (model/plugin_status.go). */
const RUNNING = 2;

/** Why the group was not run (no Go, no Mattermost build, no bundle): the run says so and goes on. */
export class SkippedError extends Error {
  override readonly name = 'SkippedError';
}

export interface PairSummary {
  /** Through this plugin. */
  readonly plugin: Summary;
  /** The Go plugin with the go-sdk, straight to the MCP server. */
  readonly direct: Summary;
}

export interface MattermostPathsResult {
  readonly mattermost: string;
  readonly plan: {
    readonly warmup: number;
    readonly rounds: number;
    readonly perRound: number;
    readonly freshRounds: number;
    readonly freshPerRound: number;
  };
  /** REST tools/call as a user vs the Go plugin's direct call, one session kept. */
  readonly call: PairSummary;
  /** The stand-in through PluginHTTP vs the stand-in straight to the server, one session kept per user. */
  readonly bridgeKept: { readonly list: PairSummary; readonly call: PairSummary };
  /** The same with a session per request (connect, tools/list, the operation, close). */
  readonly bridgeFresh: { readonly list: PairSummary; readonly call: PairSummary };
  /** Where a call's time goes: requests through the same hops that stop short of the MCP server. */
  readonly split: {
    /** `POST` of an unlisted path of this plugin: REST, plugin RPC, the shim's own 404. */
    readonly shim404: Summary;
    /** The same to the Go plugin: REST, plugin RPC, its own 404. */
    readonly go404: Summary;
    /** `GET /api/v1/tools` as the user, warm: REST, plugin RPC, shim, sidecar, no MCP request. */
    readonly sidecarWarmList: Summary;
  };
  /**
   * CPU milliseconds per request in each process on the path (from /proc, over `cpuRequests` requests of a path in a
   * row after the timed rounds), by path then process; absent from results written before it was measured.
   */
  readonly cpu?: {
    readonly requests: number;
    readonly byPath: Readonly<Record<CpuPath, Readonly<Record<CpuProcess, number>>>>;
  };
}

export type CpuPath = 'throughPlugin' | 'directCall' | 'bridgeCall' | 'sidecarWarmList' | 'shim404' | 'go404';
export type CpuProcess = 'client' | 'mattermost' | 'shim' | 'sidecar' | 'goPlugin' | 'mcpServer';

export async function measureMattermostPaths(
  plan = { warmup: 50, rounds: 20, perRound: 20, freshRounds: 10, freshPerRound: 10 },
): Promise<MattermostPathsResult> {
  const { buildDir, bundle, standIn } = prerequisites();
  const host = await startServerHost();
  let server: MattermostServer | undefined;
  try {
    const [url] = await host.start({ count: 1 });
    server = await startMattermost({ buildDir, path: pathWithoutNode() });
    const api = new MattermostApi(server.siteURL);
    const createUser = async (username: string): Promise<Session> => {
      await api.ok('/api/v4/users', { json: { username, email: `${username}@example.com`, password: PASSWORD } });
      return api.login(username, PASSWORD);
    };
    const admin = await createUser('benchadmin'); // the first user is a system admin
    const user = await createUser('benchuser');
    await uploadBundle(api, admin, bundle);
    await enablePlugin(api, admin);
    await uploadBundle(api, admin, standIn);
    await api.ok(`/api/v4/plugins/${STAND_IN}/enable`, { as: admin, method: 'POST' });
    await until(
      async () =>
        ((await api.ok('/api/v4/plugins/statuses', { as: admin })) as Array<{ plugin_id: string; state: number }>).some(
          (s) => s.plugin_id === STAND_IN && s.state === RUNNING,
        ),
      `${STAND_IN} running`,
    );
    await patchPluginConfig(api, admin, { servers: [{ name: SERVER, baseURL: url }] });

    const args = { message: 'bench' };
    const answers = async (path: string, as: Session, status: number, method = 'POST') => {
      const response = await api.request(path, { as, method, ...(method === 'POST' ? { json: args } : {}) });
      if (response.status !== status)
        throw new Error(`${method} ${path}: HTTP ${response.status}, not ${status}: ${response.text.slice(0, 300)}`);
    };
    const ok = async (path: string, as: Session, json: unknown, expectText: string) => {
      const response = await api.request(path, { as, json });
      if (response.status !== 200 || !response.text.includes(expectText))
        throw new Error(`POST ${path}: HTTP ${response.status} ${response.text.slice(0, 300)}`);
    };
    await until(
      async () =>
        (await api.request(`/plugins/${PLUGIN_ID}/api/v1/tools`, { as: user })).text.includes(`${SERVER}__echo`),
      `${SERVER}__echo listed`,
    );
    const echoed = 'echo: bench';
    const bench = (route: string) => `/plugins/${STAND_IN}/test/bench/${route}`;
    const bridge = { user_id: user.userId, plugin_id: PLUGIN_ID, path: '/api/v1/mcp' };
    const kept = {
      throughPlugin: () =>
        ok(`/plugins/${PLUGIN_ID}/api/v1/tools/call`, user, { name: `${SERVER}__echo`, arguments: args }, echoed),
      directCall: () => ok(bench('direct-call'), admin, { url, name: 'echo', arguments: args }, echoed),
      bridgeCall: () =>
        ok(bench('bridge-call'), admin, { ...bridge, name: `${SERVER}__echo`, arguments: args }, echoed),
      directList: () => ok(bench('direct-list'), admin, { url }, '"echo"'),
      bridgeList: () => ok(bench('bridge-list'), admin, bridge, `${SERVER}__echo`),
      shim404: () => answers(`/plugins/${PLUGIN_ID}/api/v1/no-such-route`, user, 404),
      go404: () => answers(`/plugins/${STAND_IN}/test/no-such-route`, admin, 404),
      sidecarWarmList: () => answers(`/plugins/${PLUGIN_ID}/api/v1/tools`, user, 200, 'GET'),
    };
    const fresh = {
      // The stand-in's own routes, as the end-to-end spec calls them.
      bridgeCall: () =>
        ok(
          `/plugins/${STAND_IN}/test/call-tool`,
          admin,
          { ...bridge, name: `${SERVER}__echo`, arguments: args },
          echoed,
        ),
      directCall: () => ok(bench('direct-call'), admin, { url, name: 'echo', arguments: args, fresh: true }, echoed),
      bridgeList: () =>
        ok(
          `/plugins/${STAND_IN}/test/list-tools?user_id=${user.userId}&plugin_id=${PLUGIN_ID}&path=/api/v1/mcp`,
          admin,
          {},
          `${SERVER}__echo`,
        ),
      directList: () => ok(bench('direct-list'), admin, { url, fresh: true }, '"echo"'),
    };
    for (const path of [...Object.values(kept), ...Object.values(fresh)]) {
      for (let i = 0; i < plan.warmup; i++) await path();
    }
    const k = await interleavedSamples(kept, plan.rounds, plan.perRound);
    const f = await interleavedSamples(fresh, plan.freshRounds, plan.freshPerRound);
    const cpu = await cpuPerRequest(
      server.pid,
      {
        throughPlugin: kept.throughPlugin,
        directCall: kept.directCall,
        bridgeCall: kept.bridgeCall,
        sidecarWarmList: kept.sidecarWarmList,
        shim404: kept.shim404,
        go404: kept.go404,
      },
      (plan.rounds * plan.perRound) / 2,
    );
    const pair = (plugin: number[], direct: number[]): PairSummary => ({
      plugin: summarize(plugin),
      direct: summarize(direct),
    });
    return {
      mattermost: basename(buildDir),
      plan,
      call: pair(k.throughPlugin, k.directCall),
      bridgeKept: { list: pair(k.bridgeList, k.directList), call: pair(k.bridgeCall, k.directCall) },
      bridgeFresh: { list: pair(f.bridgeList, f.directList), call: pair(f.bridgeCall, f.directCall) },
      split: {
        shim404: summarize(k.shim404),
        go404: summarize(k.go404),
        sidecarWarmList: summarize(k.sidecarWarmList),
      },
      cpu,
    };
  } finally {
    await server?.stop();
    await host.close();
    if (!process.env.MCP_BUNDLE) rmSync(dirname(bundle), { recursive: true, force: true });
  }
}

/**
 * Which process is which: the server, its plugin processes (the shim, the sidecar it runs, the stand-in), and the MCP
 * server host.
 */
function processesOnThePath(serverPid: number): Record<Exclude<CpuProcess, 'client'>, number[]> {
  const plugins = descendantsOf(serverPid);
  const shim = plugins.filter((pid) => commandOf(pid).includes(`${PLUGIN_ID}/server/dist/plugin-linux-amd64`));
  return {
    mattermost: [serverPid],
    shim,
    sidecar: shim.flatMap((pid) => descendantsOf(pid)),
    goPlugin: plugins.filter((pid) => commandOf(pid).includes(`${STAND_IN}/server/plugin-linux-amd64`)),
    mcpServer: descendantsOf(process.pid).filter((pid) => commandOf(pid).includes('mcp-server-host')),
  };
}

/** CPU ms per request of each path in each process: `requests` requests of one path in a row, then the next. */
async function cpuPerRequest(
  serverPid: number,
  paths: Record<CpuPath, () => Promise<unknown>>,
  requests: number,
): Promise<NonNullable<MattermostPathsResult['cpu']>> {
  const processes = processesOnThePath(serverPid);
  for (const [role, pids] of Object.entries(processes))
    if (pids.length === 0) throw new Error(`no ${role} process found below Mattermost (pid ${serverPid})`);
  const snapshot = (): Record<CpuProcess, number> => {
    const own = process.cpuUsage();
    const sum = (pids: number[]) => pids.reduce((total, pid) => total + cpuMsOf(pid), 0);
    return {
      client: (own.user + own.system) / 1000,
      mattermost: sum(processes.mattermost),
      shim: sum(processes.shim),
      sidecar: sum(processes.sidecar),
      goPlugin: sum(processes.goPlugin),
      mcpServer: sum(processes.mcpServer),
    };
  };
  const byPath = {} as Record<CpuPath, Record<CpuProcess, number>>;
  for (const [name, path] of Object.entries(paths) as Array<[CpuPath, () => Promise<unknown>]>) {
    const before = snapshot();
    for (let i = 0; i < requests; i++) await path();
    const after = snapshot();
    byPath[name] = Object.fromEntries(
      Object.keys(after).map((role) => [role, (after[role as CpuProcess] - before[role as CpuProcess]) / requests]),
    ) as Record<CpuProcess, number>;
  }
  return { requests, byPath };
}

/**
 * Go, the pinned Mattermost build, this plugin's linux-amd64 bundle (`MCP_BUNDLE`, else built now from this
 * tree) and the stand-in's, or a SkippedError saying which is missing.
 */
function prerequisites(): { buildDir: string; bundle: string; standIn: string } {
  if (spawnSync('go', ['version']).status !== 0)
    throw new SkippedError(
      'Go is not installed (the pinned Mattermost and the stand-in Go plugin are built from source)',
    );
  const bundle = process.env.MCP_BUNDLE ? findBundle(ROOT) : buildBundle();
  let buildDir: string;
  try {
    buildDir = buildMattermost(ROOT);
  } catch (error) {
    throw new SkippedError(`the pinned Mattermost build is unavailable: ${(error as Error).message}`);
  }
  const built = spawnSync('bash', [join(ROOT, 'tests', 'e2e', 'agents-stand-in', 'build.sh'), STAND_IN], {
    encoding: 'utf8',
  });
  if (built.status !== 0)
    throw new SkippedError(
      `tests/e2e/agents-stand-in/build.sh failed: ${built.stderr.trim().split('\n').at(-1) ?? ''}`,
    );
  return { buildDir, bundle, standIn: built.stdout.trim().split('\n').at(-1)! };
}

/** `make dist` into a directory of this run's own (dist/ may be another build's); the linux-amd64 bundle. */
function buildBundle(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmbench-dist-'));
  const made = spawnSync('make', ['--no-print-directory', '-C', ROOT, 'dist', `DIST_DIR=${dir}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (made.status !== 0)
    throw new Error(`make dist failed (exit ${made.status}): ${made.stderr.trim().split('\n').slice(-3).join(' ')}`);
  const bundle = readdirSync(dir).find((name) => name.endsWith('-linux-amd64.tar.gz'));
  if (!bundle) throw new Error(`make dist wrote no linux-amd64 bundle to ${dir}`);
  return join(dir, bundle);
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
