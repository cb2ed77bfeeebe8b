import { expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';

// The webapp has its own compiler settings (DOM only, classic JSX for the host's React), so the
// root `tsc -p tsconfig.json` does not see it.
it('type-checks the webapp against webapp/tsconfig.json', () => {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'webapp/tsconfig.json'], {
    encoding: 'utf8',
  });
  expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
  expect(tsc.status).toBe(0);
}, 60_000);
