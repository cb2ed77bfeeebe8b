/**
 * What the global setup built, as the specs see it: one Mattermost server for the whole run with
 * this plugin installed, an admin and two users on one team. The setup writes it to the file named
 * by `MCP_E2E_STATE`; specs read it with `world()`.
 */
import { readFileSync } from 'node:fs';
import { MattermostApi, type Session } from './mattermost-api.js';

export interface World {
  readonly siteURL: string;
  /** The Mattermost server process. */
  readonly serverPid: number;
  readonly workDir: string;
  /** `PluginSettings.Directory`: the bundle is unpacked at `<pluginDir>/mattermost-mcp`. */
  readonly pluginDir: string;
  readonly logFile: string;
  /** The PATH the server runs with. */
  readonly serverPath: string;
  /** The bundle installed at setup. */
  readonly bundle: string;
  readonly admin: Session;
  readonly alice: Session;
  readonly bob: Session;
  readonly teamId: string;
  /** The team's town-square channel. */
  readonly channelId: string;
}

export const STATE_ENV = 'MCP_E2E_STATE';

let cached: World | undefined;

export function world(): World {
  if (cached) return cached;
  const file = process.env[STATE_ENV];
  if (!file)
    throw new Error(
      `${STATE_ENV} is not set: run the end-to-end suite with \`make test-e2e\` (its jest config starts Mattermost).`,
    );
  cached = JSON.parse(readFileSync(file, 'utf8')) as World;
  return cached;
}

export function api(): MattermostApi {
  return new MattermostApi(world().siteURL);
}

/** A path under the plugin's own routes: `/plugins/mattermost-mcp/<path>`. */
export const pluginPath = (path: string) => `/plugins/mattermost-mcp${path.startsWith('/') ? path : `/${path}`}`;
