/**
 * The end-to-end suite (`make test-e2e`): one real Mattermost server for the whole run, started by
 * the global setup and stopped by the global teardown; spec files run one after another.
 */
import base from '../../jest.config.js';

export default {
  ...base,
  rootDir: '../..',
  testMatch: ['<rootDir>/tests/e2e/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  globalSetup: '<rootDir>/tests/e2e/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/e2e/support/global-teardown.ts',
  reporters: ['default', '<rootDir>/tests/e2e/support/server-log-reporter.js'],
  maxWorkers: 1,
  testTimeout: 90_000,
};
