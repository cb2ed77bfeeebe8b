// Makes a plugin bundle folder one platform's: plugin.json lists only that platform's shim, and the
// official Node runtime for it (the npm registry's node-linux-<cpu> package, pinned with its integrity
// in package-lock.json) goes to server/dist/node/, where the shim starts the sidecar with it.
// Usage: node server/platform-bundle.mjs <linux-amd64|linux-arm64> <bundle folder>
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Mattermost's platform names → the npm packages' `cpu`. */
const NPM_CPU = { 'linux-amd64': 'x64', 'linux-arm64': 'arm64' };
/** Where fetched runtime tarballs are kept between builds (`make clean` removes it; `npm ci` does not). */
const CACHE = join(root, 'dist', '.cache', 'node-runtime');
/** Inside the bundle; the shim's default runtime (server/shim/sidecar_env.go). */
export const RUNTIME_DIR = 'server/dist/node';

/** The pinned package for `platform` as package-lock.json records it. */
export function pinnedRuntime(platform) {
  const cpu = NPM_CPU[platform];
  if (!cpu) throw new Error(`no Node runtime package for ${platform}: use one of ${Object.keys(NPM_CPU).join(', ')}`);
  const name = `node-linux-${cpu}`;
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const entry = lock.packages?.[`node_modules/${name}`];
  if (!entry?.version || !entry.integrity?.startsWith('sha512-')) {
    throw new Error(
      `package-lock.json pins no ${name} with a sha512 integrity: add it to optionalDependencies and run npm install`,
    );
  }
  return { name, version: entry.version, integrity: entry.integrity };
}

function integrityOf(file) {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

/** The package tarball from the cache or the registry (`npm pack`), checked against the lockfile's integrity. */
function verifiedTarball({ name, version, integrity }) {
  const tarball = join(CACHE, `${name}-${version}.tgz`);
  if (!existsSync(tarball) || integrityOf(tarball) !== integrity) {
    mkdirSync(CACHE, { recursive: true });
    const pack = spawnSync('npm', ['pack', `${name}@${version}`, '--pack-destination', CACHE, '--silent'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (pack.status !== 0)
      throw new Error(
        `npm pack ${name}@${version} failed (exit ${pack.status}): the bundle needs it from the npm registry`,
      );
  }
  const found = integrityOf(tarball);
  if (found !== integrity) {
    rmSync(tarball, { force: true });
    throw new Error(
      `${name}@${version} from the registry does not match package-lock.json (got ${found}, pinned ${integrity}): refusing to bundle it`,
    );
  }
  return tarball;
}

/** Extracts bin/node and Node's LICENSE into `<bundle>/server/dist/node/`. */
export function addRuntime(platform, bundle) {
  const pinned = pinnedRuntime(platform);
  const tarball = verifiedTarball(pinned);
  const scratch = mkdtempSync(join(dirname(tarball), 'extract-'));
  try {
    const untar = spawnSync('tar', ['-xzf', tarball, '-C', scratch, 'package/bin/node', 'package/LICENSE'], {
      stdio: 'inherit',
    });
    if (untar.status !== 0) throw new Error(`cannot extract bin/node from ${tarball}`);
    const target = join(bundle, RUNTIME_DIR);
    rmSync(target, { recursive: true, force: true });
    mkdirSync(join(target, 'bin'), { recursive: true });
    cpSync(join(scratch, 'package/bin/node'), join(target, 'bin/node'));
    chmodSync(join(target, 'bin/node'), 0o755);
    cpSync(join(scratch, 'package/LICENSE'), join(target, 'LICENSE'));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return pinned;
}

/** plugin.json with `server.executables` narrowed to `platform`. */
export function writeManifest(platform, bundle) {
  const manifest = JSON.parse(readFileSync(join(root, 'plugin.json'), 'utf8'));
  const executable = manifest.server?.executables?.[platform];
  if (!executable) throw new Error(`plugin.json lists no server executable for ${platform}`);
  manifest.server.executables = { [platform]: executable };
  writeFileSync(join(bundle, 'plugin.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [platform, bundle] = process.argv.slice(2);
  if (!platform || !bundle) {
    console.error('usage: node server/platform-bundle.mjs <linux-amd64|linux-arm64> <bundle folder>');
    process.exit(2);
  }
  writeManifest(platform, bundle);
  const { name, version } = addRuntime(platform, bundle);
  console.log(`${platform}: plugin.json for ${platform} only, Node ${version} (${name}) in ${RUNTIME_DIR}/bin/node`);
}
