/**
 * This plugin inside the real Mattermost, handled the way a system admin does it: the bundle
 * uploaded through the REST API, enabled, configured through the config API.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { MattermostApi, Session } from './mattermost-api.js';

export const PLUGIN_ID = 'mattermost-mcp';
/** Mattermost's `PluginStateRunning` and `PluginStateFailedToStart` (model/plugin_status.go). */
const PLUGIN_STATE_RUNNING = 2;
const PLUGIN_STATE_FAILED_TO_START = 3;

/**
 * The bundle to install: `MCP_BUNDLE`, else the linux-amd64 bundle `make dist` wrote to dist/, else
 * (before per-platform bundles) the single `dist/<id>-<version>.tar.gz`.
 */
export function findBundle(root: string): string {
  if (process.env.MCP_BUNDLE) return resolve(process.env.MCP_BUNDLE);
  const { version } = JSON.parse(readFileSync(join(root, 'plugin.json'), 'utf8')) as { version: string };
  const names = (() => {
    try {
      return readdirSync(join(root, 'dist'));
    } catch {
      return [];
    }
  })();
  for (const name of [`${PLUGIN_ID}-${version}-linux-amd64.tar.gz`, `${PLUGIN_ID}-${version}.tar.gz`]) {
    if (names.includes(name)) return join(root, 'dist', name);
  }
  throw new Error(
    `No plugin bundle in dist/ for version ${version}: run \`make dist\` (or \`make test-e2e\`, which builds it), or set MCP_BUNDLE.`,
  );
}

/** Whether the bundle carries its own Node runtime (`server/dist/node/bin/node`). */
export function bundleHasRuntime(bundle: string): boolean {
  const list = spawnSync('tar', ['-tzf', bundle], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return list.stdout.split('\n').includes(`${PLUGIN_ID}/server/dist/node/bin/node`);
}

/** `POST /api/v4/plugins` (multipart, `force=true` replaces an installed version). */
export async function uploadBundle(
  api: MattermostApi,
  admin: Session,
  bundle: string,
): Promise<{ id: string; version: string }> {
  const form = new FormData();
  form.append('plugin', new Blob([readFileSync(bundle)]), bundle.split('/').pop());
  form.append('force', 'true');
  return api.ok('/api/v4/plugins', { as: admin, method: 'POST', body: form });
}

export async function pluginState(
  api: MattermostApi,
  admin: Session,
): Promise<{ state: number; version: string } | undefined> {
  const statuses = (await api.ok('/api/v4/plugins/statuses', { as: admin })) as Array<{
    plugin_id: string;
    state: number;
    version: string;
  }>;
  return statuses.find((s) => s.plugin_id === PLUGIN_ID);
}

/** Enables the plugin and waits until Mattermost reports it running. */
export async function enablePlugin(api: MattermostApi, admin: Session): Promise<void> {
  await api.ok(`/api/v4/plugins/${PLUGIN_ID}/enable`, { as: admin, method: 'POST' });
  await waitUntilRunning(api, admin);
}

/** Waits until Mattermost reports the plugin running (at `version`); fails at once if it failed to start. */
export async function waitUntilRunning(api: MattermostApi, admin: Session, version?: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await pluginState(api, admin);
    if (status?.state === PLUGIN_STATE_RUNNING && (version === undefined || status.version === version)) return;
    if (status?.state === PLUGIN_STATE_FAILED_TO_START || Date.now() > deadline) {
      throw new Error(
        `plugin ${PLUGIN_ID} is not running${version ? ` at ${version}` : ''}: ${JSON.stringify(status)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function disablePlugin(api: MattermostApi, admin: Session): Promise<void> {
  await api.ok(`/api/v4/plugins/${PLUGIN_ID}/disable`, { as: admin, method: 'POST' });
}

/** The plugin's `Config` setting (MCP servers) as an admin saves it; keys reach Mattermost lower-cased. */
export async function patchPluginConfig(api: MattermostApi, admin: Session, config: unknown): Promise<void> {
  await patchPluginSettings(api, admin, { config });
}

/**
 * The plugin's settings through `PUT /api/v4/config/patch` (keys lower-cased, e.g. `externalmcpclients`).
 * The patch replaces the whole `PluginSettings.Plugins` map: settings not named here go back to their defaults.
 */
export async function patchPluginSettings(
  api: MattermostApi,
  admin: Session,
  settings: Record<string, unknown>,
): Promise<void> {
  await api.ok('/api/v4/config/patch', {
    as: admin,
    method: 'PUT',
    json: { PluginSettings: { Plugins: { [PLUGIN_ID]: settings } } },
  });
}

/** A copy of `bundle` whose plugin.json says `version`: the next release, as far as Mattermost can tell. */
export function repackWithVersion(bundle: string, version: string, outDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mme2e-bundle-'));
  try {
    const run = (args: string[]) => {
      const result = spawnSync('tar', args, { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`tar ${args.join(' ')}: ${result.stderr}`);
    };
    run(['-xzf', bundle, '-C', dir]);
    const manifestPath = join(dir, PLUGIN_ID, 'plugin.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string };
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, version }, null, 2));
    const out = join(outDir, `${PLUGIN_ID}-${version}-linux-amd64.tar.gz`);
    run(['-C', dir, '--use-compress-program=gzip -1', '-cf', out, PLUGIN_ID]); // fast: a 150 MiB tree
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
