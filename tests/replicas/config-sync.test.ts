/**
 * The config every replica runs: the shim pushes `OnConfigurationChange` to one replica behind the load
 * balancer, which shares it through the store; the others poll it. Sidecars in this process, each with its
 * own connection to one real store.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createClient } from '@redis/client';
import type { StoredConfig } from '../../server/config/config-sync.js';
import { parseConfig, type ConfigInput } from '../../server/config/schema.js';
import { startSidecar, type Sidecar } from '../../server/sidecar.js';
import { eventually } from '../support/eventually.js';
import { silentLogger } from '../support/logger.js';
import { sidecarRequest } from '../support/sidecar-client.js';
import { BACKENDS, marker, REDIS_URL, storeTarget, type StoreTarget } from '../support/store-fixtures.js';

const SECRET = 'config-sync-secret-0123456789';
const POLL_MS = 50;
/** Nothing listens there: these specs never connect to a server, they only compare configs. */
const server = (name: string) => ({ name, baseURL: `http://127.0.0.1:9/${name}` });

describe.each(BACKENDS)('replicas on one %s store share the config', (backend) => {
  let target: StoreTarget;
  const sidecars: Sidecar[] = [];

  beforeEach(async () => {
    target = await storeTarget(backend);
  });

  afterEach(async () => {
    await Promise.all(sidecars.splice(0).map((sidecar) => sidecar.close()));
    await target.cleanUp();
  });

  const replica = async (config: ConfigInput = { servers: [server('wiki')] }) => {
    const sidecar = await startSidecar({
      config: parseConfig(config),
      secret: SECRET,
      logger: silentLogger(),
      listen: '127.0.0.1:0',
      store: await target.open(),
      configPollMs: POLL_MS,
    });
    sidecars.push(sidecar);
    return sidecar;
  };
  const push = (sidecar: Sidecar, config: unknown) =>
    sidecarRequest(sidecar.address, '/hooks/OnConfigurationChange', { secret: SECRET, body: { settings: { config } } });
  const serverNames = (sidecar: Sidecar) => sidecar.manager.currentConfig.servers.map((s) => s.name);
  const stored = async () => (await target.open()).records<StoredConfig>('config').get('current');

  it('applies on every replica a config pushed to one of them', async () => {
    const [a, b, c] = await Promise.all([replica(), replica(), replica()]);
    expect((await push(a, { servers: [server('wiki'), server('jira')] })).status).toBe(200);
    await eventually(() => {
      expect(serverNames(b)).toEqual(['wiki', 'jira']);
      expect(serverNames(c)).toEqual(['wiki', 'jira']);
    });
    expect((await push(c, { enabled: false, servers: [server('jira')] })).status).toBe(200);
    await eventually(() => {
      for (const sidecar of [a, b])
        expect(sidecar.manager.currentConfig).toEqual(
          expect.objectContaining({ enabled: false, servers: [expect.objectContaining({ name: 'jira' })] }),
        );
    });
  });

  it('applies on every replica who may call (trusted plugins, external MCP clients) as pushed to one of them', async () => {
    const [a, b] = [await replica(), await replica()];
    // GET on the MCP endpoint answers 405 to an admitted caller, 403 to a refused one: no MCP server is involved.
    const asPlugin = (sidecar: Sidecar, plugin: string) =>
      sidecarRequest(sidecar.address, '/api/v1/mcp', { secret: SECRET, userId: 'alice', pluginCaller: plugin });
    const asExternalClient = (sidecar: Sidecar) =>
      sidecarRequest(sidecar.address, '/api/v1/mcp', { secret: SECRET, userId: 'alice' });
    expect((await asPlugin(b, 'com.example.helper')).body.code).toBe('ERR_PLUGIN_NOT_TRUSTED');
    expect((await asExternalClient(b)).body.code).toBe('ERR_EXTERNAL_CLIENTS_OFF');

    const settings = {
      config: { servers: [server('wiki')] },
      trustedpluginids: 'com.example.helper',
      externalmcpclients: true,
    };
    const pushed = await sidecarRequest(a.address, '/hooks/OnConfigurationChange', {
      secret: SECRET,
      body: { settings },
    });
    expect(pushed.status).toBe(200);
    await eventually(async () => {
      expect((await asPlugin(b, 'com.example.helper')).status).toBe(405);
      expect((await asExternalClient(b)).status).toBe(405);
    });
    expect((await asPlugin(b, 'mattermost-ai')).body.code).toBe('ERR_PLUGIN_NOT_TRUSTED'); // replaced, not added
    const started = await replica();
    expect((await asPlugin(started, 'com.example.helper')).status).toBe(405); // a replica started later too
    expect((await asExternalClient(started)).status).toBe(405);
  });

  it('never shares a config it refused', async () => {
    const [a] = await Promise.all([replica(), replica()]);
    const refused = await push(a, { servers: [server('wiki'), { name: 'bad', baseURL: 'ftp://files' }] });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toContain('servers[1].baseURL');
    expect(await stored()).toBeUndefined();
    expect(serverNames(a)).toEqual(['wiki']);
  });

  it('starts a replica with the config pushed last, not its own', async () => {
    const a = await replica();
    await push(a, { idleTimeoutMinutes: 5, servers: [server('wiki'), server('jira')] });
    const late = await replica({ servers: [server('from-file')] });
    expect(late.manager.currentConfig).toEqual(a.manager.currentConfig);
    expect(serverNames(late)).toEqual(['wiki', 'jira']);
  });

  it('publishes a change once when every Mattermost node pushes it', async () => {
    const replicas = await Promise.all([replica(), replica(), replica()]);
    const settings = { servers: [server('wiki'), server('jira')] };
    for (const sidecar of replicas) expect((await push(sidecar, settings)).status).toBe(200);
    expect(await stored()).toEqual(expect.objectContaining({ version: 1 }));
    await push(replicas[0]!, { servers: [server('jira')] });
    expect(await stored()).toEqual(
      expect.objectContaining({
        version: 2,
        config: expect.objectContaining({ servers: [expect.objectContaining({ name: 'jira' })] }),
      }),
    );
  });

  it('keeps header values and client secrets out of the stored bytes', async () => {
    const apiKey = marker('api-key');
    const clientSecret = marker('client-secret');
    const a = await replica();
    await push(a, {
      servers: [
        {
          ...server('wiki'),
          headers: { 'X-Api-Key': apiKey },
          oauth: { clientId: 'mm', clientSecret, issuer: 'https://login.example.com' },
        },
      ],
    });
    expect((await stored())?.config.servers[0]?.headers).toEqual({ 'X-Api-Key': apiKey });
    const raw = (await target.rawValues()).join('\n');
    expect(raw).not.toContain(apiKey);
    expect(raw).not.toContain(clientSecret);
  });

  (backend === 'redis' ? it : it.skip)(
    'shares a config the store could not take as soon as it answers again',
    async () => {
      const [a, b] = await Promise.all([replica(), replica()]);
      const key = `${target.options.namespace}:config::current`;
      const redis = createClient({ url: REDIS_URL });
      await redis.connect();
      try {
        await redis.hSet(key, 'not', 'a config'); // every read and write of the record now fails
        expect((await push(a, { servers: [server('jira')] })).status).toBe(200); // applied here all the same
        expect(serverNames(a)).toEqual(['jira']);
        await redis.del(key);
        await eventually(() => expect(serverNames(b)).toEqual(['jira']));
      } finally {
        redis.destroy();
      }
    },
  );
});
