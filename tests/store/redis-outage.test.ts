import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createStore, generateKeyringEntry, StoreUnavailableError, type Store } from '../../server/store/index.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';

/** A private, memory-only redis-server on `port`, so stopping it disturbs no other test. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await eventually(() => expect(output).toContain('Ready to accept connections'), 10_000);
  return child;
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

describe('a Redis store while its server goes away and comes back', () => {
  let port: number;
  let server: ChildProcess | undefined;
  let store: Store | undefined;
  const backgroundErrors: StoreUnavailableError[] = [];

  beforeAll(async () => {
    port = await freePort();
    server = await startRedis(port);
    store = await createStore(`redis://127.0.0.1:${port}`, {
      encryptionKeys: generateKeyringEntry(),
      onBackgroundError: (error) => backgroundErrors.push(error),
    });
  });
  afterAll(async () => {
    await store?.close();
    await stop(server);
  });

  it('fails operations with StoreUnavailableError instead of queueing them, then recovers', async () => {
    const records = store!.records<string>('discovery');
    await records.set('before', 'value');
    await stop(server);

    await expect(records.get('before')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store!.acquireLease('refresh', 1000, 0)).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
      backend: 'redis',
    });
    expect(backgroundErrors.length).toBeGreaterThan(0);
    expect(backgroundErrors[0]).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', operation: 'background' });

    server = await startRedis(port);
    await eventually(async () => {
      await records.set('after', 'value');
      expect(await records.get('after')).toBe('value');
    }, 15_000);
  });
});
