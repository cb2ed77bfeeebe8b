/** Jest runs the TypeScript sources as native ESM through SWC; `tsc --noEmit` does the type check. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', {
      jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es2022', transform: { react: { runtime: 'automatic' } } },
      module: { type: 'es6' },
      sourceMaps: 'inline',
    }],
  },
  transformIgnorePatterns: ['/node_modules/'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/tests/**/*.test.ts', '<rootDir>/tests/**/*.test.tsx'],
  testPathIgnorePatterns: ['/node_modules/', '/tests/slow/', '/tests/e2e/'], // `make test-slow`, `make test-e2e`
  testTimeout: 30000,
  // A worker holding more than this after a spec file is replaced: the load spec's heap figures are then its own, not
  // what earlier files left behind (it also makes jest use a worker on 2 cores instead of running in band).
  workerIdleMemoryLimit: '300MB',
};
