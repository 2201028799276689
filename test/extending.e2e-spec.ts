import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { testPostgresUrl } from './support/scratch-database.js';

// The README's "Extending" walk-through, on every run of the tests: in a copy of this tree (the
// tree itself is left as it is), `npm run new:module -- notes`, then what the README says holds:
// only new files and the one registration line, and the result lints, builds and passes its own
// e2e test (on PostgreSQL too when TEST_DATABASE_URL is set). Once, in the SQLite project: the
// generated test runs in both projects of the inner run.

/** Runs a command in `cwd`; fails with its output if it fails. */
function run(cwd: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** This tree as it is now (tracked files and new ones, nothing ignored) in a fresh git repository, with node_modules linked. */
function copyOfTheTree(): string {
  const copy = mkdtempSync(join(tmpdir(), 'device-auth-extending-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' })
    .split('\0')
    .filter((file) => file && existsSync(file));
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    copyFileSync(file, join(copy, file));
  }
  symlinkSync(resolve('node_modules'), join(copy, 'node_modules'));
  const git = ['-c', 'user.name=walk-through', '-c', 'user.email=walk-through@example.com'];
  run(copy, 'git', ['init', '-q']);
  run(copy, 'git', [...git, 'add', '-A']);
  run(copy, 'git', [...git, 'commit', '-q', '-m', 'the tree']);
  return copy;
}

(testPostgresUrl() ? describe.skip : describe)('README, "Extending": npm run new:module -- notes', () => {
  let copy: string;

  beforeAll(() => {
    copy = copyOfTheTree();
  });

  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('adds new files and the one registration line; they lint and build', () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    run(copy, npm, ['run', 'new:module', '--', 'notes']);
    const changed = run(copy, 'git', ['status', '--porcelain']).trimEnd().split('\n').sort();
    expect(changed).toEqual([' M libs/features/src/registered.ts', '?? libs/notes/']);
    const diff = run(copy, 'git', ['diff', '--unified=0', 'libs/features/src/registered.ts'])
      .split('\n')
      .filter((line) => /^[+-][^+-]/.test(line));
    expect(diff).toEqual(["+export { notesFeature } from '@app/notes';"]);

    // A second run with the same name changes nothing.
    const again = spawnSync(npm, ['run', 'new:module', '--', 'notes'], { cwd: copy, encoding: 'utf8' });
    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain('libs/notes exists already');
    expect(run(copy, 'git', ['status', '--porcelain']).trimEnd().split('\n').sort()).toEqual(changed);

    // `npm run lint`'s checks on what changed (CI lints the rest of the tree anyway).
    run(copy, 'node_modules/.bin/prettier', ['--check', 'libs/notes', 'libs/features']);
    run(copy, 'node_modules/.bin/eslint', ['--max-warnings', '0', 'libs/notes', 'libs/features']);
    run(copy, 'node_modules/.bin/depcruise', ['--config', '.dependency-cruiser.cjs', 'apps', 'libs']);
    run(copy, npm, ['run', 'build']);
    expect(existsSync(join(copy, 'dist/libs/notes/src/index.js'))).toBe(true);
  }, 600_000);

  it("passes the module's own e2e test", () => {
    const output = spawnSync(
      process.execPath,
      ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', 'node_modules/jest/bin/jest.js', 'libs/notes'],
      { cwd: copy, encoding: 'utf8', env: { ...process.env, TEST_SUITES: 'parallel' } },
    );
    const report = `${output.stdout}\n${output.stderr}`;
    expect({ status: output.status, report }).toEqual({ status: 0, report: expect.stringContaining('Tests:') });
    // With TEST_DATABASE_URL, in both projects.
    expect(report.match(/PASS .*libs\/notes\/test\/notes\.e2e-spec\.ts/g)).toHaveLength(process.env.TEST_DATABASE_URL ? 2 : 1);
  }, 600_000);

  it('refuses names that are not module names or are taken, and writes nothing', () => {
    for (const [name, why] of [
      ['Notes', 'is not a module name'],
      ['../x', 'is not a module name'],
      ['devices', 'is a route of the product'],
      ['auth', 'exists already'],
      ['users', 'has a table "users"'],
    ]) {
      const result = spawnSync(process.execPath, ['scripts/new-module.mjs', name], { cwd: copy, encoding: 'utf8' });
      expect({ name, status: result.status, stderr: result.stderr }).toEqual({ name, status: 2, stderr: expect.stringContaining(why) });
    }
    expect(readFileSync(join(copy, 'libs/features/src/registered.ts'), 'utf8').match(/^export \{ \w+ \}/gm)).toEqual([
      'export { notesFeature }',
    ]);
  });
});
