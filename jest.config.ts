import { readFileSync } from 'node:fs';
import type { Config } from 'jest';
import { pathsToModuleNameMapper } from 'ts-jest';

/** The library aliases (`@app/*`, `@device-auth/verifier/core`): tsconfig.json's paths are the one list. */
const { compilerOptions } = JSON.parse(readFileSync('tsconfig.json', 'utf8')) as {
  compilerOptions: { paths: Record<string, string[]> };
};

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
    ...pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

// Suites whose behaviour is driven by time (sync intervals, retry schedules, leases, lifetimes,
// several processes): they poll within generous deadlines, but on a busy machine they still
// compete for the CPU with every other suite's apps, so `npm test` runs them one at a time
// after the rest (TEST_SUITES=serial, one worker; TEST_SUITES=parallel leaves them out).
// Jest has no per-project maxWorkers, hence two runs rather than a project.
const TIME_SENSITIVE = [
  'access-token-clock',
  'dpop-processes',
  'graceful-shutdown',
  'mail-delivery',
  'multi-process',
  'multi-process-attacks',
  'orders-service',
  'outage',
  'refused-proof-flood',
  'request-log-durability',
  'revocation-feed',
  'revocation-push',
  'scale-out',
  'security-webhook',
  'server-limits',
  'signing-keys',
  'ssf-crash',
  'ssf-delivery',
];
const timeSensitive = `/(${TIME_SENSITIVE.join('|')})\\.(e2e-spec|browser-spec)\\.ts$`;
const suites = process.env.TEST_SUITES;
if (suites !== undefined && suites !== 'serial' && suites !== 'parallel')
  throw new Error(`TEST_SUITES is "serial" or "parallel", not "${suites}"`);

// With TEST_DATABASE_URL (a PostgreSQL server the tests may create databases on), every e2e
// suite runs a second time against PostgreSQL, each suite on a fresh database of its own.
const postgresUrl = process.env.TEST_DATABASE_URL;
if (!postgresUrl) {
  // The PostgreSQL-only tests (push notifications, scale-out, the feed's transaction order, …) are
  // reported as skipped; say why, once per run.
  process.stderr.write('TEST_DATABASE_URL is unset: e2e suites run on SQLite only, and the PostgreSQL-only tests are skipped.\n');
}

// A generous deadline, not a latency bound (that is the benchmark's): e2e tests start apps and
// migrate scratch databases, which on a busy 2-core machine can take longer than Jest's 5 s.
// Top level: Jest ignores testTimeout inside a project.
const TEST_TIMEOUT_MS = 30_000;

/** Narrows a project to the suites TEST_SUITES asks for. */
function select(project: Config): Config {
  if (suites === 'serial') return { ...project, testRegex: timeSensitive };
  if (suites === 'parallel') return { ...project, testPathIgnorePatterns: ['/node_modules/', timeSensitive] };
  return project;
}

// Where the time of `npm test` went (measured in the README, *Development*): Jest's default on
// a 2-core machine is one worker, and ESM test files leak their module graphs into it (about
// 40 MB per e2e suite), so late in the run a suite took five to ten times as long as alone.
// Two workers for the parallel part; one for the serial part (a worker rather than --runInBand,
// so that it can be recycled); every worker is recycled once it holds more than 768 MB.
const runner: Config = { maxWorkers: suites === 'serial' ? 1 : 2, workerIdleMemoryLimit: '768MB' };

const sqlite = select(base);
const config: Config = postgresUrl
  ? {
      ...runner,
      testTimeout: TEST_TIMEOUT_MS,
      projects: [
        { ...sqlite, displayName: 'sqlite' },
        {
          ...select({ ...base, testRegex: '.*\\.e2e-spec\\.ts$' }),
          ...(suites === 'serial' ? { testRegex: timeSensitive.replace('(e2e-spec|browser-spec)', 'e2e-spec') } : {}),
          displayName: 'postgres',
          globals: { __TEST_DATABASE_URL__: postgresUrl },
        },
      ],
    }
  : { ...sqlite, ...runner, testTimeout: TEST_TIMEOUT_MS };

export default config;
