/** Jest runs the TypeScript sources as native ESM through SWC; `tsc --noEmit` does the type check. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', tsx: true },
          target: 'es2022',
          transform: { react: { runtime: 'automatic' } },
        },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/tests/**/*.test.ts', '<rootDir>/tests/**/*.test.tsx'],
  testPathIgnorePatterns: ['/node_modules/', '/tests/slow/', '/tests/e2e/'], // `make test-slow`, `make test-e2e`
  testTimeout: 30000,
  // Each spec file gets a fresh worker (any worker holds more than this after a file): process-wide figures such as
  // the load spec's heap and open handles are then that file's own, not what earlier files left to be collected
  // (it also makes jest use a worker on 2 cores instead of running in band).
  workerIdleMemoryLimit: '1MB',
};
