/**
 * Store: OAuth token writes and reads per second on SQLite, Redis and PostgreSQL, through `records('tokens')`
 * (sealed with JWE), against the same operations on an unsealed kind (`discovery`) on the same backend. Each
 * backend gets its own namespace and table (tests/support/store-fixtures.ts), removed afterwards.
 */
import type { RecordStore } from '../server/store/index.js';
import { BACKENDS, storeTarget, type BackendName } from '../tests/support/store-fixtures.js';
import { interleavedSamples, nowMs, summarize, type Summary } from './stats.js';

export interface OperationFigures {
  /** One operation at a time: latency, and operations per second it allows. */
  readonly sequential: Summary & { readonly perSecond: number };
  /** `inFlight` operations at once: operations per second. */
  readonly concurrentPerSecond: number;
}

export interface BackendFigures {
  readonly backend: BackendName;
  readonly write?: { readonly sealed: OperationFigures; readonly plain: OperationFigures };
  readonly read?: { readonly sealed: OperationFigures; readonly plain: OperationFigures };
  readonly error?: string;
}

export interface StoreThroughputResult {
  readonly backends: readonly BackendFigures[];
  readonly plan: {
    readonly sequentialOps: number;
    readonly concurrentOps: number;
    readonly inFlight: number;
    readonly valueBytes: number;
  };
}

export interface StoreThroughputOptions {
  readonly sequentialOps?: number;
  readonly concurrentOps?: number;
  readonly inFlight?: number;
}

/** What the token vault stores per user and server (server/oauth/records.ts `StoredTokens`). */
function tokenRecord(i: number) {
  return {
    tokens: {
      access_token: `at-${i}-${'x'.repeat(600)}`,
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: `rt-${i}-${'y'.repeat(120)}`,
      scope: 'issues:read issues:write',
    },
    serverURL: 'https://tools.example.com/mcp',
    issuer: 'https://auth.example.com',
    clientId: 'mattermost-mcp-client',
    authMethod: 'client_secret_basic',
    tokenEndpoint: 'https://auth.example.com/oauth/token',
    resource: 'https://tools.example.com/mcp',
    savedAt: 1_750_000_000_000 + i,
  };
}

export async function measureStoreThroughput(options: StoreThroughputOptions = {}): Promise<StoreThroughputResult> {
  const { sequentialOps = 600, concurrentOps = 2000, inFlight = 16 } = options;
  const backends: BackendFigures[] = [];
  for (const backend of BACKENDS) {
    backends.push(
      await measureBackend(backend, sequentialOps, concurrentOps, inFlight).catch((error: unknown) => ({
        backend,
        error: error instanceof Error ? error.message : String(error),
      })),
    );
  }
  return {
    backends,
    plan: { sequentialOps, concurrentOps, inFlight, valueBytes: JSON.stringify(tokenRecord(0)).length },
  };
}

async function measureBackend(
  backend: BackendName,
  sequentialOps: number,
  concurrentOps: number,
  inFlight: number,
): Promise<BackendFigures> {
  const target = await storeTarget(backend);
  try {
    const store = await target.open();
    const sealed = store.records<ReturnType<typeof tokenRecord>>('tokens');
    const plain = store.records<ReturnType<typeof tokenRecord>>('discovery');
    const keys = Math.max(sequentialOps, concurrentOps);
    const key = (i: number) => `user${i % keys}:tools`;
    // Warm-up: connections, statements, JIT.
    for (let i = 0; i < 50; i++)
      await Promise.all([
        sealed.set(key(i), tokenRecord(i)),
        plain.set(key(i), tokenRecord(i)),
        sealed.get(key(i)),
        plain.get(key(i)),
      ]);
    const counter = { sealed: 0, plain: 0 };
    const writer = (records: RecordStore<ReturnType<typeof tokenRecord>>, name: 'sealed' | 'plain') => () => {
      const i = counter[name]++;
      return records.set(key(i), tokenRecord(i));
    };
    const reader = (records: RecordStore<ReturnType<typeof tokenRecord>>, name: 'sealed' | 'plain') => async () => {
      const i = counter[name]++;
      if ((await records.get(key(i))) === undefined)
        throw new Error(`${backend}: ${name} record ${key(i)} was not read back`);
    };
    const rounds = 6;
    const perRound = Math.ceil(sequentialOps / rounds);
    const writes = await interleavedSamples(
      { sealed: writer(sealed, 'sealed'), plain: writer(plain, 'plain') },
      rounds,
      perRound,
    );
    const writesConcurrent = {
      sealed: await perSecond(writer(sealed, 'sealed'), concurrentOps, inFlight),
      plain: await perSecond(writer(plain, 'plain'), concurrentOps, inFlight),
    };
    counter.sealed = counter.plain = 0;
    const reads = await interleavedSamples(
      { sealed: reader(sealed, 'sealed'), plain: reader(plain, 'plain') },
      rounds,
      perRound,
    );
    const readsConcurrent = {
      sealed: await perSecond(reader(sealed, 'sealed'), concurrentOps, inFlight),
      plain: await perSecond(reader(plain, 'plain'), concurrentOps, inFlight),
    };
    const figures = (samples: number[], concurrent: number): OperationFigures => {
      const summary = summarize(samples);
      return { sequential: { ...summary, perSecond: 1000 / summary.mean }, concurrentPerSecond: concurrent };
    };
    return {
      backend,
      write: {
        sealed: figures(writes.sealed, writesConcurrent.sealed),
        plain: figures(writes.plain, writesConcurrent.plain),
      },
      read: {
        sealed: figures(reads.sealed, readsConcurrent.sealed),
        plain: figures(reads.plain, readsConcurrent.plain),
      },
    };
  } finally {
    await target.cleanUp();
  }
}

/** Runs `ops` operations with `inFlight` at a time and returns operations per second. */
async function perSecond(operation: () => Promise<unknown>, ops: number, inFlight: number): Promise<number> {
  let next = 0;
  const start = nowMs();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < ops) await operation();
    }),
  );
  return ops / ((nowMs() - start) / 1000);
}
