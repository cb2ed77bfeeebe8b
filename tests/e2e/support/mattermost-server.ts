/**
 * A real Mattermost team-edition server for the end-to-end suite: built by
 * tests/e2e/mattermost/build.sh (cached outside the clone), running on a database of its own on the
 * machine's PostgreSQL, listening on a free 127.0.0.1 port, with a PATH that holds no `node`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  constants,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { freePort } from '../../support/free-port.js';

const POSTGRES = process.env.MCP_E2E_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432';
const DB_PREFIX = 'mme2e_';
const WORK_PREFIX = '/tmp/mme2e-';

export interface MattermostServer {
  readonly siteURL: string;
  readonly pid: number;
  /** Where the server runs: config/, data/, plugins/, client/plugins/. */
  readonly workDir: string;
  readonly pluginDir: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly database: string;
  /** The PATH the server (and so the plugin and its sidecar) runs with. */
  readonly path: string;
  stop(): Promise<void>;
}

/** Builds (or reuses) the pinned Mattermost (tests/e2e/mattermost/build.sh under `rootDir`); returns its directory. */
export function buildMattermost(rootDir: string): string {
  const started = Date.now();
  const result = spawnSync(join(rootDir, 'tests', 'e2e', 'mattermost', 'build.sh'), {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (result.status !== 0)
    throw new Error(`tests/e2e/mattermost/build.sh failed (exit ${result.status}); see its output above`);
  const dir = result.stdout.trim().split('\n').pop()!;
  process.stderr.write(`e2e: Mattermost build ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return dir;
}

/** The directories of `path` that hold no executable named `node` (the server must not find one). */
export function pathWithoutNode(path = process.env.PATH ?? ''): string {
  return path
    .split(':')
    .filter((dir) => dir !== '' && !isExecutable(join(dir, 'node')))
    .join(':');
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface StartOptions {
  /** The build directory from `buildMattermost`. */
  readonly buildDir: string;
  /** The server's PATH (default: this process's PATH without any `node`). */
  readonly path?: string;
}

export async function startMattermost({ buildDir, path = pathWithoutNode() }: StartOptions): Promise<MattermostServer> {
  removeAbandonedRuns();
  const database = `${DB_PREFIX}${process.pid}_${Date.now()}`;
  psql(`CREATE DATABASE ${database}`);

  // Short: the plugin's unix sockets live under plugins/<id>/ and sun_path holds 108 bytes.
  const workDir = mkdtempSync(`${WORK_PREFIX}${process.pid}-`);
  for (const dir of ['config', 'data', 'plugins', 'client/plugins', 'logs'])
    mkdirSync(join(workDir, dir), { recursive: true });
  for (const dir of ['i18n', 'templates', 'fonts']) symlinkSync(join(buildDir, dir), join(workDir, dir));
  const port = await freePort();
  const siteURL = `http://127.0.0.1:${port}`;
  const logFile = join(workDir, 'logs', 'mattermost.log');
  const env: Record<string, string> = {
    PATH: path,
    HOME: workDir,
    MM_SQLSETTINGS_DRIVERNAME: 'postgres',
    MM_SQLSETTINGS_DATASOURCE: `${POSTGRES}/${database}?sslmode=disable`,
    MM_SERVICESETTINGS_SITEURL: siteURL,
    MM_SERVICESETTINGS_LISTENADDRESS: `127.0.0.1:${port}`,
    MM_SERVICESETTINGS_ENABLEDEVELOPER: 'true',
    MM_SERVICESETTINGS_ENABLETESTING: 'true',
    MM_SERVICESETTINGS_ENABLEUSERACCESSTOKENS: 'true',
    MM_SERVICESETTINGS_ALLOWEDUNTRUSTEDINTERNALCONNECTIONS: '127.0.0.1 localhost',
    MM_SERVICESETTINGS_ENABLELOCALMODE: 'false',
    MM_TEAMSETTINGS_ENABLEOPENSERVER: 'true',
    MM_PLUGINSETTINGS_ENABLE: 'true',
    MM_PLUGINSETTINGS_ENABLEUPLOADS: 'true',
    MM_PLUGINSETTINGS_DIRECTORY: join(workDir, 'plugins'),
    MM_PLUGINSETTINGS_CLIENTDIRECTORY: join(workDir, 'client', 'plugins'),
    MM_FILESETTINGS_DIRECTORY: join(workDir, 'data'),
    MM_LOGSETTINGS_ENABLEFILE: 'false',
    MM_LOGSETTINGS_CONSOLELEVEL: 'INFO',
    MM_EMAILSETTINGS_SENDEMAILNOTIFICATIONS: 'false',
    MM_METRICSSETTINGS_ENABLE: 'false',
  };
  const log = createWriteStream(logFile);
  await once(log, 'open');
  const child: ChildProcess = spawn(
    join(buildDir, 'mattermost'),
    ['server', '--config', join(workDir, 'config', 'config.json')],
    {
      cwd: workDir,
      env,
      stdio: ['ignore', log, log],
    },
  );
  const exited = once(child, 'exit');
  // Jest killed or interrupted: take the server down with it (the next run drops its database).
  const killServer = () => child.kill('SIGKILL');
  const onSignal = (signal: NodeJS.Signals) => {
    killServer();
    process.kill(process.pid, signal);
  };
  process.once('exit', killServer);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, onSignal);
  const server: MattermostServer = {
    siteURL,
    pid: child.pid!,
    workDir,
    pluginDir: join(workDir, 'plugins'),
    dataDir: join(workDir, 'data'),
    logFile,
    database,
    path,
    async stop() {
      process.off('exit', killServer);
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      log.end();
      psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      if (process.env.MCP_E2E_KEEP !== '1') rmSync(workDir, { recursive: true, force: true });
    },
  };
  try {
    await waitForPing(siteURL, child, logFile);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

async function waitForPing(siteURL: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`Mattermost exited with ${child.exitCode} before answering; see ${logFile}`);
    try {
      const response = await fetch(`${siteURL}/api/v4/system/ping`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Mattermost did not answer /api/v4/system/ping within 120 s; see ${logFile}`);
}

/** Runs SQL on the server's `postgres` database with psql; returns its unaligned, tuples-only output. */
function psql(sql: string): string {
  const result = spawnSync(
    'psql',
    [`${POSTGRES}/postgres`, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    { encoding: 'utf8' },
  );
  if (result.error) throw new Error(`psql is needed to create the suite's database: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`psql ${POSTGRES}: ${sql}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Databases and working directories of earlier runs whose process is gone (killed before its teardown). */
function removeAbandonedRuns(): void {
  const gone = (pid: number) => pid > 0 && !existsSync(`/proc/${pid}`);
  for (const datname of psql(`SELECT datname FROM pg_database WHERE datname LIKE '${DB_PREFIX}%'`)
    .split('\n')
    .filter(Boolean)) {
    if (gone(Number(/^mme2e_(\d+)_/.exec(datname)?.[1]))) psql(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  }
  for (const name of readdirSync('/tmp').filter((n) => n.startsWith('mme2e-'))) {
    if (gone(Number(/^mme2e-(\d+)-/.exec(name)?.[1]))) rmSync(join('/tmp', name), { recursive: true, force: true });
  }
}
