/** docs/benchmarks.md from one run's results, leading with ratios against the run's own baselines. */
import { existsSync, readFileSync } from 'node:fs';
import { goals, met } from './goals.js';
import { format } from './plot.js';
import type { BenchResults, Part } from './results.js';
import type { Summary } from './stats.js';

const ms = (value: number) => (value < 1 ? value.toFixed(3) : value < 100 ? value.toFixed(2) : value.toFixed(0));
const x = (value: number) => `${value.toFixed(2)}×`;
const mib = (value: number) => `${Math.round(value)}`;
const int = (value: number) => Math.round(value).toLocaleString('en-US');

export function renderReport(results: BenchResults, notesPath: string): string {
  const m = results.machine;
  const lines: string[] = [
    '# Benchmarks',
    '',
    '`make bench` builds the sidecar and `bench/`, starts its own MCP servers on 127.0.0.1 (real SDK servers from',
    '`tests/support/mcp-test-server.ts`, in child processes), and writes this page and `benchmarks.svg`. Every figure is',
    'led by its ratio to a baseline measured in the same run, because the machine is shared and absolute times move',
    'with its load; paths compared with each other run interleaved in rounds. Warm-up first, fixed iteration counts.',
    '',
    `Run of ${results.startedAt}, ${Math.round(results.seconds)} s in all (${partTimes(results)}).`,
    '',
    '| machine | |',
    '|---|---|',
    `| CPU | ${m.cpu}, ${m.cores} cores |`,
    `| memory | ${m.memoryGiB} GiB |`,
    `| OS | ${m.os} |`,
    `| Node | ${m.node} |`,
    `| open files limit | ${m.openFilesLimit} |`,
    `| load average (1, 5, 15 min) | ${m.loadAverageAtStart.join(', ')} at the start, ${(m.loadAverageAtEnd ?? []).join(', ')} at the end |`,
    '',
    '## Goals',
    '',
    '| goal | figure | measured | limit | met |',
    '|---|---|---|---|---|',
    ...goals(results).map(
      (g) =>
        `| ${g.name} | ${g.figure} | ${g.measured === undefined ? `— (${g.missing ?? ''})` : format(g.measured, g.unit)} | ${g.unit === 'errors' ? 'none' : `≤ ${format(g.limit, g.unit)}`} | ${verdict(met(g))} |`,
    ),
    '',
    '![Goals, tool-call latency and store throughput](benchmarks.svg)',
    '',
    ...measuredIn(results.toolCall, toolCallSection(results.toolCall)),
    ...measuredIn(results.toolListing, toolListingSection(results.toolListing)),
    ...measuredIn(results.scale, scaleSection(results.scale)),
    ...measuredIn(results.store, storeSection(results.store)),
    ...(results.mattermost
      ? measuredIn(results.mattermost, mattermostSection(results.mattermost))
      : mattermostSection(undefined)),
  ];
  if (existsSync(notesPath)) lines.push(readFileSync(notesPath, 'utf8').trim(), '');
  return `${lines.join('\n')}\n`;
}

function toolCallSection(part: BenchResults['toolCall']): string[] {
  const head = ['## 1. Tool-call overhead', ''];
  if (!part.ok) return [...head, failed(part), ''];
  const { local, remote, plan } = part.value;
  const row = (name: string, s: Summary, base: Summary) =>
    `| ${name} | **${x(s.p50 / base.p50)}** | ${x(s.p99 / base.p99)} | ${ms(s.p50)} | ${ms(s.p99)} |`;
  return [
    ...head,
    `The \`echo\` tool of one server, called ${int(plan.rounds * plan.callsPerRound)} times per path after ${plan.warmupCalls} warm-up calls, one call at a`,
    'time, in interleaved rounds of ' +
      plan.callsPerRound +
      '. The raw SDK client and the sidecar (with its `ClientManager`) live in one process, the',
    'server in another: two processes either way. The sidecar listens on a unix socket, as it does for the shim in the bundle.',
    'The second row is the same `ClientManager` called in-process, which splits the overhead into the MCP client layer and',
    'the HTTP hop (express, JSON, the socket). The last row puts a bare `node:http` forwarder (read the body, call the raw',
    'SDK client, answer JSON: no auth, routing or validation) on the same socket in front of the raw client: the least any',
    'HTTP hop between the shim and a sidecar costs on this machine, and the floor of this design.',
    '',
    '| path | p50 ratio | p99 ratio | p50 ms | p99 ms |',
    '|---|---|---|---|---|',
    row('raw SDK `Client.callTool` (baseline)', local.raw, local.raw),
    row('`ClientManager.callTool`, in-process', local.manager, local.raw),
    row('`POST /api/v1/tools/call`', local.sidecar, local.raw),
    ...(local.forwarder
      ? [
          row('bare `node:http` forwarder + raw SDK (the floor)', local.forwarder, local.raw),
          '',
          `The sidecar against that floor: **${x(local.sidecar.p50 / local.forwarder.p50)}** at p50, ${x(local.sidecar.p99 / local.forwarder.p99)} at p99.`,
        ]
      : []),
    '',
    `The same against a server that answers each request after 20 ms, as a remote one would (${plan.remoteCalls} calls per path):`,
    '',
    '| path | p50 ratio | p99 ratio | p50 ms | p99 ms |',
    '|---|---|---|---|---|',
    row('raw SDK `Client.callTool` (baseline)', remote.raw, remote.raw),
    row('`POST /api/v1/tools/call`', remote.sidecar, remote.raw),
    '',
  ];
}

function toolListingSection(part: BenchResults['toolListing']): string[] {
  const head = ['## 2. Tool listing', ''];
  if (!part.ok) return [...head, failed(part), ''];
  const { warm, cold, plan } = part.value;
  const one = cold.fanOut['1']!;
  const maxFanOut = Math.max(...Object.keys(cold.fanOut).map(Number));
  return [
    ...head,
    `Warm: \`getToolsForUser\` in-process for a user connected to ${warm.servers} servers (${warm.tools} tools, ~1 KB of schema each),`,
    `${int(plan.warmCalls)} calls; baseline: a raw SDK \`listTools\` round trip to one of those servers (${plan.rawCalls} calls).`,
    '',
    '| | p50 ms | p99 ms | p50 ratio to baseline |',
    '|---|---|---|---|',
    `| raw SDK \`listTools\`, 1 server (baseline) | ${ms(warm.rawListTools.p50)} | ${ms(warm.rawListTools.p99)} | 1.00× |`,
    `| warm \`getToolsForUser\`, ${warm.servers} servers | **${ms(warm.manager.p50)}** | ${ms(warm.manager.p99)} | ${x(warm.manager.p50 / warm.rawListTools.p50)} |`,
    '',
    `Cold: a new user's first \`getToolsForUser\` (initialize, initialized, tools/list per server, in parallel) with servers`,
    `that answer every request after ${cold.delayMs} ms, each server in a process of its own; ${plan.coldIterations} users per row after 3 warm-up ones, rows interleaved.`,
    'Baselines: the same with 1 server, and raw SDK clients connecting + `listTools` to as many servers in parallel (what the',
    'machine itself charges for the fan-out, with clients and servers sharing its cores).',
    '',
    '| servers | p50 ms | p99 ms | p50 ratio to 1 server | p50 ratio to raw SDK, same fan-out |',
    '|---|---|---|---|---|',
    `| raw SDK, 1 | ${ms(cold.raw.p50)} | ${ms(cold.raw.p99)} | 1.00× | 1.00× |`,
    `| raw SDK, ${maxFanOut} in parallel | ${ms(cold.rawFanOut.p50)} | ${ms(cold.rawFanOut.p99)} | ${x(cold.rawFanOut.p50 / cold.raw.p50)} | 1.00× |`,
    ...Object.entries(cold.fanOut).map(
      ([n, s]) =>
        `| ${n} | ${ms(s.p50)} | ${ms(s.p99)} | ${n === '1' ? '1.00×' : `**${x(s.p50 / one.p50)}**`} | ${n === '1' ? x(s.p50 / cold.raw.p50) : n === String(maxFanOut) ? x(s.p50 / cold.rawFanOut.p50) : '—'} |`,
    ),
    '',
  ];
}

function scaleSection(part: BenchResults['scale']): string[] {
  const head = ['## 3. Scale', ''];
  if (!part.ok) return [...head, failed(part), ''];
  const { ramp, burst: b, ...s } = part.value;
  const base = ramp.baseline.rssMiB;
  const row = (
    label: string,
    sample: { rssMiB: number; heapUsedMiB: number; heapTotalMiB?: number; sockets: number; users: number },
  ) =>
    `| ${label} | ${mib(sample.rssMiB)} | ${x(sample.rssMiB / base)} | ${mib(sample.heapUsedMiB)} | ${sample.heapTotalMiB === undefined ? '—' : mib(sample.heapTotalMiB)} | ${int(sample.sockets)} | ${sample.users > 0 ? int(((sample.rssMiB - base) * 1024) / sample.users) : '—'} |`;
  const errors = (top: ReadonlyArray<readonly [string, number]>) =>
    top.length === 0 ? '' : ` (${top.map(([message, count]) => `${count} × “${message}”`).join('; ')})`;
  const simulatedMinutes = Math.round(((ramp.users / ramp.batch) * ramp.arrivalStepMs) / 60_000);
  return [
    ...head,
    `A \`ClientManager\` in a child process (\`--max-old-space-size=${s.maxOldSpaceMiB} --expose-gc --max-semi-space-size=16\`, collected before each sample) and ${s.servers} servers`,
    `with ${s.toolsPerServer} tools each, one per host process. A user connects by their first \`getToolsForUser\`. They arrive in batches of`,
    `${ramp.batch} while the manager's clock moves ${ramp.arrivalStepMs / 1000} s per batch and its sweep runs (${int(ramp.users)} users over ${simulatedMinutes} simulated minutes,`,
    'within the 30-minute idle timeout), so users idle for 2 minutes have their server streams closed as in production. Eviction moves',
    `the clock past the idle timeout; the sample after it waits for the heap release the sweep asks for. The ramp took ${Math.round(s.rampSeconds)} s, the burst ${Math.round(s.burstSeconds)} s (each with its own servers).`,
    '',
    '| | RSS MiB | RSS ratio to baseline | heap used MiB | heap committed MiB | TCP sockets | KiB RSS per user |',
    '|---|---|---|---|---|---|---|',
    row('before the first user (baseline)', ramp.baseline),
    ...ramp.afterUsers.map((sample) => row(`${int(sample.users)} users connected`, sample)),
    row(`after evicting everyone (${(ramp.afterEviction.drainMs / 1000).toFixed(1)} s to drain)`, ramp.afterEviction),
    '',
    `Connecting ${int(ramp.users)} users took ${ramp.seconds.toFixed(1)} s with ${ramp.errors} failed${errors(ramp.topErrors)}` +
      `${ramp.users < ramp.target ? `; the ramp stopped at ${int(ramp.users)} of ${int(ramp.target)} (${ramp.stoppedBecause ?? 'stopped'})` : ''}. Sessions left on the servers after eviction: ${ramp.orphanedSessions}.`,
    '',
    `${int(b.burst.users)} users connecting at once (a fresh process): ${b.burst.seconds.toFixed(1)} s in all, ${b.burst.errors} failed${errors(b.burst.topErrors)}.`,
    '',
    '| first listing, 3 servers | p50 ms | p99 ms | p99 / p50 | p50 ratio to one user alone |',
    '|---|---|---|---|---|',
    `| one user alone (baseline, ${b.single.n} users one after another) | ${ms(b.single.p50)} | ${ms(b.single.p99)} | ${x(b.single.p99 / b.single.p50)} | 1.00× |`,
    `| ${int(b.burst.users)} users at once | ${ms(b.burst.p50)} | ${ms(b.burst.p99)} | **${x(b.burst.p99 / b.burst.p50)}** | ${x(b.burst.p50 / b.single.p50)} |`,
    '',
  ];
}

function storeSection(part: BenchResults['store']): string[] {
  const head = ['## 4. Store', ''];
  if (!part.ok) return [...head, failed(part), ''];
  const { backends, plan } = part.value;
  const rows: string[] = [];
  for (const b of backends) {
    if (!b.write || !b.read) {
      rows.push(`| ${b.backend} | — | not measured: ${b.error ?? ''} | | | | | |`);
      continue;
    }
    for (const [op, f] of [
      ['write', b.write],
      ['read', b.read],
    ] as const) {
      rows.push(
        `| ${b.backend} | ${op} | ${int(f.sealed.sequential.perSecond)} | ${int(f.plain.sequential.perSecond)} | **${x(f.sealed.sequential.perSecond / f.plain.sequential.perSecond)}** | ${ms(f.sealed.sequential.p50)} / ${ms(f.sealed.sequential.p99)} | ${int(f.sealed.concurrentPerSecond)} | ${int(f.plain.concurrentPerSecond)} |`,
      );
    }
  }
  return [
    ...head,
    `OAuth tokens (${plan.valueBytes} bytes of JSON, as the token vault stores them) through \`records('tokens')\`, sealed with JWE, against`,
    `the same values in an unsealed kind on the same backend (the baseline). ${plan.sequentialOps} operations of each kind one at a time (interleaved),`,
    `then ${int(plan.concurrentOps)} with ${plan.inFlight} in flight. SQLite in a temporary directory, Redis at 127.0.0.1:6379, PostgreSQL at 127.0.0.1:5432,`,
    'each in its own namespace or table, removed afterwards.',
    '',
    '| backend | operation | sealed tokens/s | unsealed/s (baseline) | ratio | sealed p50 / p99 ms | sealed/s, ' +
      plan.inFlight +
      ' in flight | unsealed/s, ' +
      plan.inFlight +
      ' in flight |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ];
}

function mattermostSection(part: BenchResults['mattermost']): string[] {
  const head = ['## 5. Through a real Mattermost', ''];
  if (!part) return [...head, 'Not measured: no run has measured it yet (`BENCH_ONLY=mattermost make bench`).', ''];
  if (!part.ok) return [...head, failed(part), ''];
  const { call, bridgeKept, bridgeFresh, plan, mattermost, split, cpu } = part.value;
  const pair = (name: string, p: { plugin: Summary; direct: Summary }) =>
    `| ${name} | **${x(p.plugin.p50 / p.direct.p50)}** | ${x(p.plugin.p99 / p.direct.p99)} | ${ms(p.plugin.p50)} / ${ms(p.plugin.p99)} | ${ms(p.direct.p50)} / ${ms(p.direct.p99)} |`;
  return [
    ...head,
    `The end-to-end suite's Mattermost (${mattermost.replace(/-[0-9a-f]{12}$/, '')}, team edition on the local PostgreSQL) with this plugin's`,
    'linux-amd64 bundle (built from this tree) and the stand-in Agents plugin (Go, `github.com/modelcontextprotocol/go-sdk` v1.7.0,',
    '`tests/e2e/agents-stand-in`), both installed through the REST API; one SDK MCP server with `echo` on 127.0.0.1 in a process',
    'of its own. The baseline is the design this plugin replaces: the Go plugin calling that server in-process with the go-sdk',
    "(`/test/bench/direct-*` in `direct.go`). Both sides are reached through Mattermost's REST API with a session token, so both",
    `pay the same HTTP and plugin RPC hop. ${int(plan.rounds * plan.perRound)} requests per path after ${plan.warmup} warm-up ones, one at a time, in`,
    `interleaved rounds of ${plan.perRound}.`,
    '',
    '| path vs the Go plugin with the go-sdk | p50 ratio | p99 ratio | this plugin p50 / p99 ms | Go plugin p50 / p99 ms |',
    '|---|---|---|---|---|',
    pair(
      'tool call: `POST /plugins/mattermost-mcp/api/v1/tools/call` as the user (REST → plugin RPC → shim → sidecar → server)',
      call,
    ),
    pair('AI bot bridge, `tools/list`: stand-in → PluginHTTP → shim → sidecar → server, session kept', bridgeKept.list),
    pair('AI bot bridge, `tools/call`, session kept', bridgeKept.call),
    pair('AI bot bridge, `tools/list`, a session per request (connect, list, close)', bridgeFresh.list),
    pair('AI bot bridge, `tools/call`, a session per request (connect, list, call, close)', bridgeFresh.call),
    '',
    `Sessions kept: one go-sdk session per user and target, as the Agents plugin keeps a user's for 30 idle minutes. A session per`,
    `request is what the stand-in's \`/test/list-tools\` and \`/test/call-tool\` do (${int(plan.freshRounds * plan.freshPerRound)} requests per path); through the bridge its`,
    "initialize, tools/list and call are each a PluginHTTP round trip to this plugin's stateless MCP endpoint.",
    '',
    ...(split
      ? [
          "Where a tool call's time goes: requests interleaved with the kept-session rows above that stop short of the MCP server.",
          '',
          "| request | p50 ms | p99 ms | p50 ratio to the Go plugin's 404 |",
          '|---|---|---|---|',
          ...(
            [
              ['REST → plugin RPC → the Go plugin answers 404 itself (baseline)', split.go404],
              ['REST → plugin RPC → the shim answers 404 itself', split.shim404],
              [
                '`GET /api/v1/tools` as the user, warm: REST → plugin RPC → shim → sidecar, no MCP request',
                split.sidecarWarmList,
              ],
              ['Go plugin `tools/call` (go-sdk → MCP server)', call.direct],
              ['this plugin `tools/call` (shim → sidecar → MCP server)', call.plugin],
            ] as const
          ).map(([name, s]) => `| ${name} | ${ms(s.p50)} | ${ms(s.p99)} | ${x(s.p50 / split.go404.p50)} |`),
          '',
        ]
      : []),
    ...(cpu
      ? [
          `CPU per request in each process (user + system from \`/proc\`, ${int(cpu.requests)} requests of a path in a row after the timed rounds;`,
          "the client is this benchmark's own process; PostgreSQL is left out):",
          '',
          '| request | client | Mattermost | shim | sidecar | Go plugin | MCP server | all, ms |',
          '|---|---|---|---|---|---|---|---|',
          ...(
            [
              ["the Go plugin's 404", cpu.byPath.go404],
              ["the shim's 404", cpu.byPath.shim404],
              ['Go plugin `tools/call`', cpu.byPath.directCall],
              ['this plugin `tools/call`', cpu.byPath.throughPlugin],
              ['`GET /api/v1/tools`, warm', cpu.byPath.sidecarWarmList],
              ['AI bot bridge `tools/call`, session kept', cpu.byPath.bridgeCall],
            ] as const
          )
            .filter(([, c]) => c !== undefined)
            .map(
              ([name, c]) =>
                `| ${name} | ${[c.client, c.mattermost, c.shim, c.sidecar, c.goPlugin, c.mcpServer].map((v) => v.toFixed(2)).join(' | ')} | **${(c.client + c.mattermost + c.shim + c.sidecar + c.goPlugin + c.mcpServer).toFixed(2)}** |`,
            ),
          '',
        ]
      : []),
  ];
}

/** A section's lines, saying under its heading which earlier run measured it when this run left it out. */
function measuredIn(part: Part<unknown>, section: string[]): string[] {
  if (!part.from) return section;
  const [heading = '', blank = ''] = section;
  return [heading, blank, `Figures of the run of ${part.from} (this run did not measure it).`, '', ...section.slice(2)];
}

function partTimes(results: BenchResults): string {
  const parts: Array<[string, Part<unknown> | undefined]> = [
    ['tool calls', results.toolCall],
    ['listing', results.toolListing],
    ['scale', results.scale],
    ['store', results.store],
    ['Mattermost', results.mattermost],
  ];
  return parts
    .filter((entry): entry is [string, Part<unknown>] => entry[1] !== undefined)
    .map(([name, part]) =>
      part.from ? `${name} from the run of ${part.from}` : `${name} ${Math.round(part.seconds)} s`,
    )
    .join(', ');
}

function failed(part: { readonly error: string }): string {
  return `Not measured: \`${part.error.split('\n')[0]}\`.`;
}

function verdict(value: boolean | undefined): string {
  return value === undefined ? '—' : value ? 'yes' : '**no**';
}
