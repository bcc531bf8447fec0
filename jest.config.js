/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  // The synthesized stack IAM is enforced from (test/helpers/stack-template.ts): once per run, before any test's clock starts.
  globalSetup: '<rootDir>/test/global-setup.ts',
  // e2e suites start real processes; keep them from competing for the two cores.
  maxWorkers: 2,
  testTimeout: 60000,
};
