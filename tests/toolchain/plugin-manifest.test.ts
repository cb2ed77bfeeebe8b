/**
 * plugin.json is the one truth for the plugin's id and version: server/manifest.mjs writes them into the
 * sidecar, the webapp and the shim, and `make check-style` fails while a generated file is out of date.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PLUGIN_ID, PLUGIN_VERSION } from '../../server/plugin-manifest.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GENERATED = ['server/plugin-manifest.ts', 'webapp/src/plugin-manifest.ts', 'server/shim/manifest.go'];

function run(root: string, ...args: string[]) {
  return spawnSync(process.execPath, [join(root, 'server/manifest.mjs'), ...args], { encoding: 'utf8' });
}

describe('the plugin manifest constants', () => {
  it("are plugin.json's id and version in this checkout", () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'plugin.json'), 'utf8'));
    expect({ id: PLUGIN_ID, version: PLUGIN_VERSION }).toEqual({ id: manifest.id, version: manifest.version });
    expect(run(ROOT, '--check').status).toBe(0);
  });

  it('fail the check after plugin.json changes, naming the stale files, until they are generated again', () => {
    const copy = mkdtempSync(join(tmpdir(), 'manifest-'));
    try {
      for (const path of ['plugin.json', 'server/manifest.mjs', ...GENERATED]) {
        mkdirSync(dirname(join(copy, path)), { recursive: true });
        copyFileSync(join(ROOT, path), join(copy, path));
      }
      const manifest = JSON.parse(readFileSync(join(copy, 'plugin.json'), 'utf8'));
      writeFileSync(
        join(copy, 'plugin.json'),
        JSON.stringify({ ...manifest, id: 'com.example.tools', version: '2.3.4' }),
      );

      const stale = run(copy, '--check');
      expect(stale.status).toBe(1);
      for (const path of GENERATED) expect(stale.stderr).toContain(path);
      expect(stale.stderr).toContain('make manifest');

      expect(run(copy).status).toBe(0);
      expect(run(copy, '--check').status).toBe(0);
      expect(readFileSync(join(copy, 'server/plugin-manifest.ts'), 'utf8')).toContain(
        "export const PLUGIN_VERSION = '2.3.4';",
      );
      expect(readFileSync(join(copy, 'webapp/src/plugin-manifest.ts'), 'utf8')).toContain(
        "export const PLUGIN_ID = 'com.example.tools';",
      );
      expect(readFileSync(join(copy, 'server/shim/manifest.go'), 'utf8')).toContain(
        'const pluginID = "com.example.tools"',
      );
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
