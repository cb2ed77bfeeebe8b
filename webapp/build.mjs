// Builds the webapp bundle with esbuild: one IIFE at webapp/dist/main.js that takes React, ReactDOM,
// Redux and ReactRedux from the host page's globals (Mattermost provides them) and uses the classic
// JSX runtime (React.createElement), which works with whichever React the host runs.
// Usage: node webapp/build.mjs [--outfile <path>] [--dev]
import { build } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const HOST_GLOBALS = { react: 'React', 'react-dom': 'ReactDOM', redux: 'Redux', 'react-redux': 'ReactRedux' };

/**
 * Resolves the host's libraries to its globals; a subpath (react/jsx-runtime, react-dom/client) would be bundled, so it
 * is refused.
 */
const hostGlobals = {
  name: 'host-globals',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^(react|react-dom|redux|react-redux)(\/.*)?$/ }, (args) => {
      if (!(args.path in HOST_GLOBALS)) {
        return {
          errors: [
            { text: `"${args.path}" is not provided by Mattermost; import from "${args.path.split('/')[0]}" only` },
          ],
        };
      }
      return { path: args.path, namespace: 'host-global' };
    });
    esbuild.onLoad({ filter: /.*/, namespace: 'host-global' }, (args) => ({
      contents: `module.exports = window.${HOST_GLOBALS[args.path]};`,
      loader: 'js',
    }));
  },
};

export async function buildWebapp({ outfile = join(here, 'dist', 'main.js'), dev = false } = {}) {
  return build({
    entryPoints: [join(here, 'src', 'index.tsx')],
    outfile,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    jsx: 'transform',
    jsxFactory: 'React.createElement',
    jsxFragment: 'React.Fragment',
    plugins: [hostGlobals],
    define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
    minify: !dev,
    legalComments: 'none',
    sourcemap: dev ? 'inline' : false,
    logLevel: 'warning',
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--outfile');
  await buildWebapp({ ...(at >= 0 ? { outfile: resolve(args[at + 1]) } : {}), dev: args.includes('--dev') });
}
