/**
 * The plugin's life inside a real Mattermost: the runtime it brings (the server has no `node`), a
 * sidecar killed and brought back by the shim, the plugin disabled (nothing left running) and
 * enabled again, and a System Console save with a bad value refused while the old config serves.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../support/eventually.js';
import { isExecutable } from './support/mattermost-server.js';
import { callTool, ownServerForThisFile } from './support/people.js';
import { disablePlugin, enablePlugin, PLUGIN_ID } from './support/plugin.js';
import { listeningSocketsUnder, pluginProcesses } from './support/processes.js';
import { api, pluginPath, world } from './support/world.js';

ownServerForThisFile();

const bundleDir = () => join(world().pluginDir, PLUGIN_ID);
const processes = () => pluginProcesses(world().serverPid, bundleDir());

async function expectCallsWork(): Promise<void> {
  const { alice } = world();
  await eventually(
    async () => {
      const response = await callTool(alice, 'own__whoami');
      expect(response.status).toBe(200);
      expect(response.json.text).toBe(alice.userId);
    },
    30_000,
    200,
  );
}

describe('the runtime', () => {
  it('the Mattermost server has no node on its PATH', () => {
    const environ = readFileSync(`/proc/${world().serverPid}/environ`, 'utf8').split('\0');
    const path = environ.find((entry) => entry.startsWith('PATH='))!.slice('PATH='.length);
    expect(path).toBe(world().serverPath);
    expect(path.split(':').filter((dir) => isExecutable(join(dir, 'node')))).toEqual([]);
  });

  it('the sidecar runs on the Node runtime inside the bundle', () => {
    const { sidecars } = processes();
    expect(sidecars).toHaveLength(1);
    expect(sidecars[0]!.exe.startsWith(`${bundleDir()}/`)).toBe(true);
  });
});

describe('a sidecar killed with SIGKILL', () => {
  it('is started again by the shim, and calls work again', async () => {
    await expectCallsWork();
    const [before] = processes().sidecars;
    expect(before).toBeDefined();
    process.kill(before!.pid, 'SIGKILL');
    await eventually(
      () => {
        const { sidecars } = processes();
        expect(sidecars).toHaveLength(1);
        expect(sidecars[0]!.pid).not.toBe(before!.pid);
      },
      30_000,
      100,
    );
    await expectCallsWork();
  });
});

describe('disabling the plugin', () => {
  it('leaves no plugin process and no socket; its routes are gone', async () => {
    const { admin, alice } = world();
    expect(listeningSocketsUnder(bundleDir())).not.toEqual([]);
    await disablePlugin(api(), admin);
    await eventually(
      () => {
        expect(processes()).toEqual({ shims: [], sidecars: [] });
        expect(listeningSocketsUnder(bundleDir())).toEqual([]);
        expect(readdirSync(bundleDir()).filter((name) => name.endsWith('.sock'))).toEqual([]);
      },
      30_000,
      100,
    );
    const response = await api().request(pluginPath('/api/v1/tools'), { as: alice });
    expect(response.status).toBe(404);
  });

  it('and enabling it brings one shim and one sidecar back, serving the same config', async () => {
    await enablePlugin(api(), world().admin);
    await expectCallsWork();
    const { shims, sidecars } = processes();
    expect(shims).toHaveLength(1);
    expect(sidecars).toHaveLength(1);
  });
});

describe('the System Console setting', () => {
  it('refuses a save with a bad server URL with a message naming the field, and the running config keeps serving', async () => {
    const { admin } = world();
    const config = await api().ok('/api/v4/config', { as: admin });
    const saved = config.PluginSettings.Plugins[PLUGIN_ID].config;
    config.PluginSettings.Plugins[PLUGIN_ID].config = { servers: [{ name: 'broken', baseURL: 'ftp://x' }] };
    const response = await api().request('/api/v4/config', { as: admin, method: 'PUT', json: config });
    expect(response.status).toBe(400);
    expect(response.json.message).toContain('servers[0].baseURL');
    const after = await api().ok('/api/v4/config', { as: admin });
    expect(after.PluginSettings.Plugins[PLUGIN_ID].config).toEqual(saved);
    await expectCallsWork();
  });
});
