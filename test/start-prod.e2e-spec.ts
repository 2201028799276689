import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { freePort } from '../bench/support/server-process.js';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from './support/scratch-database.js';

// `npm run start:prod` (scripts/start-prod.mjs, on the built apps): one SIGTERM stops both apps
// within the shutdown timeout and frees both ports; when one app dies, the other is stopped too.

const SHUTDOWN_TIMEOUT_MS = 10_000;

interface Launched {
  readonly child: ChildProcess;
  readonly ports: readonly [number, number];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

async function launch(database: ScratchDatabase): Promise<Launched> {
  const ports = [await freePort(), await freePort()] as const;
  const child = spawn(process.execPath, ['scripts/start-prod.mjs'], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(ports[0]),
      ADMIN_PORT: String(ports[1]),
      DATABASE_URL: database.url,
      JWT_SECRET: TEST_JWT_SECRET,
      PUBLIC_URL: 'https://auth.example.com',
      SMTP_URL: 'smtp://127.0.0.1:2525',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  // The API first (it migrates), then the dashboard.
  for (const port of ports) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`start:prod exited (${child.exitCode}): ${output}`);
      if (
        await fetch(`http://127.0.0.1:${port}/health/ready`).then(
          (response) => response.ok,
          () => false,
        )
      )
        break;
      if (Date.now() > deadline) throw new Error(`port ${port} did not get ready: ${output}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }
  return { child, ports, exited, output: () => output };
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

function pidsOf(launched: Launched): Promise<number[]> {
  // The apps are the launcher's children; `ps` names them by their main.js.
  return new Promise((done) => {
    const ps = spawn('ps', ['-o', 'pid=', '--ppid', String(launched.child.pid)]);
    let text = '';
    ps.stdout.on('data', (chunk) => (text += chunk));
    ps.on('exit', () => done(text.split(/\s+/).filter(Boolean).map(Number)));
  });
}

/** Whatever a failed test left running: the launcher and its apps, killed outright. */
async function killAll(launched: Launched | undefined): Promise<void> {
  if (!launched || launched.child.exitCode !== null || launched.child.signalCode !== null) return;
  for (const pid of await pidsOf(launched)) process.kill(pid, 'SIGKILL');
  launched.child.kill('SIGKILL');
}

describe('npm run start:prod (scripts/start-prod.mjs)', () => {
  let database: ScratchDatabase;
  let launched: Launched | undefined;

  beforeEach(async () => {
    database = await scratchDatabase();
  });

  afterEach(async () => {
    await killAll(launched);
    await database.remove();
  });

  it('stops both apps on SIGTERM within the shutdown timeout, exit code 0, both ports free', async () => {
    launched = await launch(database);
    expect(await pidsOf(launched)).toHaveLength(2);
    const started = Date.now();
    launched.child.kill('SIGTERM');
    const exit = await Promise.race([launched.exited, new Promise((done) => setTimeout(() => done('still running'), SHUTDOWN_TIMEOUT_MS))]);
    expect({ exit, output: launched.output() }).toEqual({ exit: { code: 0, signal: null }, output: expect.any(String) });
    expect(Date.now() - started).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(await portIsFree(launched.ports[0])).toBe(true);
    expect(await portIsFree(launched.ports[1])).toBe(true);
  }, 60_000);

  it('stops the other app and exits non-zero when one app dies', async () => {
    launched = await launch(database);
    const [first] = await pidsOf(launched);
    process.kill(first, 'SIGKILL');
    const exit = await launched.exited;
    expect(exit.code).toBe(1);
    expect(launched.output()).toContain('stopping the other app');
    expect(await portIsFree(launched.ports[0])).toBe(true);
    expect(await portIsFree(launched.ports[1])).toBe(true);
  }, 60_000);
});
