// Packages the sidecar for the plugin bundle: server/main.ts and everything it imports in one ESM file
// (esbuild), plus a small node_modules with the packages that cannot be bundled and their runtime
// dependencies: the storage layer (keyv and its adapters) and the PostgreSQL driver, which
// @keyv/postgres loads through createRequire at run time. No native addon: SQLite is Node's own
// node:sqlite, so the same files run on every platform's Node.
// Usage: node server/build.mjs <out dir>   (writes <out>/server/main.js, <out>/package.json, <out>/node_modules)
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Shipped as packages, not bundled. */
export const EXTERNAL_PACKAGES = ['keyv', '@keyv/postgres', '@keyv/redis', 'pg', '@redis/client'];

/** esbuild's ESM output needs `require`, `__filename` and `__dirname` for the CommonJS it bundles. */
const BANNER = [
  "import { createRequire as __mcpCreateRequire } from 'node:module';",
  "import { fileURLToPath as __mcpFileURLToPath } from 'node:url';",
  "import { dirname as __mcpDirname } from 'node:path';",
  'const require = __mcpCreateRequire(import.meta.url);',
  'const __filename = __mcpFileURLToPath(import.meta.url);',
  'const __dirname = __mcpDirname(__filename);',
].join('\n');

function packageDir(name, fromDir) {
  const requireFrom = createRequire(join(fromDir, 'noop.js'));
  try {
    return dirname(requireFrom.resolve(`${name}/package.json`));
  } catch {
    // Packages whose "exports" hide package.json: walk up from the entry point.
    let dir = dirname(requireFrom.resolve(name));
    while (
      !existsSync(join(dir, 'package.json')) ||
      JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name
    ) {
      const parent = dirname(dir);
      if (parent === dir) throw new Error(`cannot find the package directory of ${name}`);
      dir = parent;
    }
    return dir;
  }
}

/**
 * Every package directory the externals need at run time: dependencies, optional ones when installed, required peers.
 */
export function runtimeClosure(names, fromDir = root) {
  const found = new Map();
  const queue = names.map((name) => ({ name, fromDir, optional: false }));
  while (queue.length > 0) {
    const { name, fromDir: from, optional } = queue.shift();
    let dir;
    try {
      dir = packageDir(name, from);
    } catch (error) {
      if (optional) continue;
      throw error;
    }
    if (found.has(dir)) continue;
    found.set(dir, name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys(manifest.dependencies ?? {}))
      queue.push({ name: dep, fromDir: dir, optional: false });
    for (const dep of Object.keys(manifest.optionalDependencies ?? {}))
      queue.push({ name: dep, fromDir: dir, optional: true });
    const optionalPeers = manifest.peerDependenciesMeta ?? {};
    for (const dep of Object.keys(manifest.peerDependencies ?? {}))
      if (!optionalPeers[dep]?.optional) queue.push({ name: dep, fromDir: dir, optional: false });
  }
  return [...found].map(([dir, name]) => ({ dir, name }));
}

function copyPackage({ dir, name }, outDir) {
  // Resolution yields real paths, so compare with the real node_modules (it may be a symlink).
  const modules = realpathSync(join(root, 'node_modules'));
  const inside = relative(modules, dir);
  if (inside.startsWith('..')) throw new Error(`${name} is not under ${modules}: ${dir}`);
  const target = join(outDir, 'node_modules', inside);
  // Nested node_modules are copied as packages of their own when something needs them.
  cpSync(dir, target, {
    recursive: true,
    filter: (source) => !relative(dir, source).split('/').includes('node_modules'),
  });
}

export async function buildSidecar(outDir) {
  outDir = resolve(outDir);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'server'), { recursive: true });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  await build({
    entryPoints: [join(root, 'server', 'main.ts')],
    outfile: join(outDir, 'server', 'main.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: [`node${pkg.engines.node.replace(/^\D*/, '').split('.')[0]}`],
    external: [...EXTERNAL_PACKAGES, ...EXTERNAL_PACKAGES.map((name) => `${name}/*`)],
    banner: { js: BANNER },
    legalComments: 'linked',
    logLevel: 'warning',
  });
  writeFileSync(
    join(outDir, 'package.json'),
    `${JSON.stringify({ name: `${pkg.name}-sidecar`, version: pkg.version, private: true, type: 'module', engines: pkg.engines }, null, 2)}\n`,
  );
  const packages = runtimeClosure(EXTERNAL_PACKAGES);
  for (const entry of packages) copyPackage(entry, outDir);
  return { packages: packages.map((p) => p.name), mainBytes: statSync(join(outDir, 'server', 'main.js')).size };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node server/build.mjs <out dir>');
    process.exit(2);
  }
  const { packages, mainBytes } = await buildSidecar(out);
  console.log(
    `sidecar: server/main.js ${(mainBytes / 1024 / 1024).toFixed(1)} MiB + ${packages.length} packages in node_modules`,
  );
}
