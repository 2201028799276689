import type { Config } from 'jest';

const base: Config = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  rootDir: '.',
  testRegex: '.*\\.(spec|e2e-spec|browser-spec)\\.ts$',
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  moduleNameMapper: {
    '^@app/(platform|persistence|security-events|mail|auth|revocation-feed|accounts)$': '<rootDir>/libs/$1/src/index.ts',
    '^@device-auth/verifier/core$': '<rootDir>/libs/verifier/src/core/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

// With TEST_DATABASE_URL (a PostgreSQL server the tests may create databases on), every e2e
// suite runs a second time against PostgreSQL, each suite on a fresh database of its own.
const postgresUrl = process.env.TEST_DATABASE_URL;

// A generous deadline, not a latency bound (that is the benchmark's): e2e tests start apps and
// migrate scratch databases, which on a busy 2-core machine can take longer than Jest's 5 s.
// Top level: Jest ignores testTimeout inside a project.
const TEST_TIMEOUT_MS = 30_000;

const config: Config = postgresUrl
  ? {
      testTimeout: TEST_TIMEOUT_MS,
      projects: [
        { ...base, displayName: 'sqlite' },
        { ...base, displayName: 'postgres', testRegex: '.*\\.e2e-spec\\.ts$', globals: { __TEST_DATABASE_URL__: postgresUrl } },
      ],
    }
  : { ...base, testTimeout: TEST_TIMEOUT_MS };

export default config;
