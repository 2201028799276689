import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startApiCluster, type ApiCluster } from '../../../test/support/app-process.js';

// The package as its users get it: `npm pack`, installed from the tarball into a fresh Node
// ESM project, running the README's integration example against a started API.

const run = promisify(execFile);
const packageDir = resolve('libs/client');

let cluster: ApiCluster;
let workDir: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'device-auth-client-pack-'));
  cluster = await startApiCluster(1, { LOGIN_RATE_LIMIT: '1000/15m' });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** The first ```js block after `heading` in a README. */
function exampleIn(readmePath: string, heading: string): string {
  const readme = readFileSync(readmePath, 'utf8');
  const match = /```js\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf(heading)));
  if (!match) throw new Error(`no js example under "${heading}" in ${readmePath}`);
  return match[1];
}

const readmeExample = () => exampleIn(join(packageDir, 'README.md'), '## Integration');

it('shows the same integration example in the repository README', () => {
  expect(exampleIn(resolve('README.md'), '## Client SDK')).toBe(readmeExample());
});

it('packs into a tarball that installs in a plain Node ESM project and runs the README example against the API', async () => {
  const { stdout: packed } = await run('npm', ['pack', '--json', '--pack-destination', workDir], { cwd: packageDir });
  const [{ filename, files }] = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
  const paths = files.map((file) => file.path);
  expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/auth-client.js']));
  expect(paths.filter((path) => path.includes('test') || (path.endsWith('.ts') && !path.endsWith('.d.ts')))).toEqual([]);

  const project = join(workDir, 'app');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'sdk-consumer', private: true, type: 'module' }));
  await run('npm', ['install', join(workDir, filename), '--no-audit', '--no-fund', '--prefer-offline'], { cwd: project });
  writeFileSync(join(project, 'example.mjs'), readmeExample());

  const api = cluster.processes[0].url;
  const account = { email: `readme-${Date.now()}@example.com`, password: 'correct horse battery' };
  const registered = await fetch(`${api}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(account),
  });
  expect(registered.status).toBe(201);

  const { stdout } = await run(process.execPath, ['example.mjs'], {
    cwd: project,
    env: { PATH: process.env.PATH ?? '', API_URL: api, EMAIL: account.email, PASSWORD: account.password },
    timeout: 20_000,
  });

  expect(stdout.trim().split('\n')).toEqual([
    expect.stringMatching(/^me 200 [0-9a-f-]{36}$/),
    'signed out: logout',
    'after logout: logout',
  ]);
  // What the installed package exports at run time: the client, its storage and every typed error.
  const { stdout: exported } = await run(
    process.execPath,
    ['--input-type=module', '-e', "console.log(Object.keys(await import('@device-auth/client')).sort().join(' '))"],
    { cwd: project },
  );
  expect(exported.trim().split(' ')).toEqual([
    'AuthClient',
    'AuthClientError',
    'AuthHttpError',
    'AuthNetworkError',
    'DpopNotSupportedError',
    'InvalidCodeError',
    'MemoryStorage',
    'MfaExpiredError',
    'MfaRequiredError',
    'PasskeyRejectedError',
    'SignedOutError',
    'StepUpRequiredError',
  ]);
  // The example's logout revoked its device at the server.
  const checker = (await (
    await fetch(`${api}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...account, device: { name: 'Checker' } }),
    })
  ).json()) as { access_token: string };
  const list = (await (await fetch(`${api}/devices`, { headers: { authorization: `Bearer ${checker.access_token}` } })).json()) as {
    devices: { name: string }[];
  };
  expect(list.devices.map((device) => device.name)).toEqual(['Checker']);
}, 90_000);
