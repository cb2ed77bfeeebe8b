/**
 * Jest global setup of the end-to-end suite: one Mattermost for the whole run. Builds (or reuses)
 * the pinned server, starts it on a fresh database, creates the first user (a system admin), two
 * users and a team, installs and enables the plugin bundle through the REST API, and writes what
 * the specs need to the file named by `MCP_E2E_STATE`.
 */
import './ts-resolution.cjs'; // first: the imports below are TypeScript sources
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MattermostApi, type Session } from './mattermost-api.js';
import { buildMattermost, pathWithoutNode, startMattermost, type MattermostServer } from './mattermost-server.js';
import { bundleHasRuntime, enablePlugin, findBundle, uploadBundle } from './plugin.js';
import { STATE_ENV, type World } from './world.js';

export const PASSWORD = 'E2e-password-0123456789';

declare global {
  // The global teardown stops what the setup started (jest shares globalThis between the two).
  var mattermostE2E: MattermostServer | undefined;
}

export default async function globalSetup(_globalConfig: unknown, { rootDir }: { rootDir: string }): Promise<void> {
  const started = Date.now();
  const stage = (what: string) =>
    process.stderr.write(`e2e: ${what} after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  process.stderr.write('\n');
  const bundle = findBundle(rootDir);
  const buildDir = buildMattermost(rootDir);
  // The server's PATH holds no node (the bundle brings its runtime) unless MCP_E2E_SERVER_PATH says
  // otherwise, e.g. for a bundle without one; the lifecycle spec then fails, as it should.
  const path = process.env.MCP_E2E_SERVER_PATH ?? pathWithoutNode();
  if (!bundleHasRuntime(bundle))
    process.stderr.write(`e2e: ${bundle} carries no Node runtime (server/dist/node/bin/node)\n`);
  const server = await startMattermost({ buildDir, path });
  globalThis.mattermostE2E = server;
  stage(`Mattermost answering at ${server.siteURL} (log: ${server.logFile})`);
  try {
    const api = new MattermostApi(server.siteURL);
    const createUser = async (username: string): Promise<Session> => {
      await api.ok('/api/v4/users', { json: { username, email: `${username}@example.com`, password: PASSWORD } });
      return api.login(username, PASSWORD);
    };
    const admin = await createUser('sysadmin'); // the first user is a system admin
    const alice = await createUser('alice');
    const bob = await createUser('bob');
    const team = (await api.ok('/api/v4/teams', {
      as: admin,
      json: { name: 'e2e', display_name: 'End to end', type: 'O' },
    })) as { id: string };
    for (const user of [admin, alice, bob]) {
      await api.ok(`/api/v4/teams/${team.id}/members`, { as: admin, json: { team_id: team.id, user_id: user.userId } });
    }
    const channel = (await api.ok(`/api/v4/teams/${team.id}/channels/name/town-square`, { as: admin })) as {
      id: string;
    };
    stage('users and team created');

    await uploadBundle(api, admin, bundle);
    await enablePlugin(api, admin);
    stage(`plugin ${bundle} installed and running`);

    const state: World = {
      siteURL: server.siteURL,
      serverPid: server.pid,
      workDir: server.workDir,
      pluginDir: server.pluginDir,
      logFile: server.logFile,
      serverPath: server.path,
      bundle,
      admin,
      alice,
      bob,
      teamId: team.id,
      channelId: channel.id,
    };
    const file = join(server.workDir, 'e2e-state.json');
    writeFileSync(file, JSON.stringify(state, null, 2), { mode: 0o600 });
    process.env[STATE_ENV] = file;
  } catch (error) {
    const tail = readFileSync(server.logFile, 'utf8').trimEnd().split('\n').slice(-40).join('\n');
    process.stderr.write(`e2e: setup failed; the end of the server log (${server.logFile}):\n${tail}\n`);
    await server.stop();
    globalThis.mattermostE2E = undefined;
    throw error;
  }
}
