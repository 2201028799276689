import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from '../../bench/support/server-process.js';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from './scratch-database.js';

/** An `apps/api` or `apps/admin` process started as the README starts it (the built `main.js`). */
export interface ApiProcess {
  readonly url: string;
  /** What the process has written so far: its log (stdout) and stderr. */
  output(): { readonly stdout: string; readonly stderr: string };
  /** Sends SIGTERM (a graceful stop) and resolves once the process has exited. */
  stop(): Promise<ProcessExit>;
  /** Kills the process outright (SIGKILL: no shutdown hook runs, as when a machine dies) and resolves once it has exited. */
  kill(): Promise<ProcessExit>;
  /** Sends `signal` and resolves once the process has exited (for a signal that ends it). */
  signal(signal: NodeJS.Signals): Promise<ProcessExit>;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export function startApiProcess(env: Record<string, string>, options: { port?: number } = {}): Promise<ApiProcess> {
  return startAppProcess('api', env, options);
}

export async function startAppProcess(
  app: 'api' | 'admin',
  env: Record<string, string>,
  // `port`: to start a process again where a stopped one listened (an outage, then recovery).
  options: { cwd?: string; port?: number } = {},
): Promise<ApiProcess> {
  const main = resolve(`dist/apps/${app}/src/main.js`);
  if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first (npm test does).`);
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [main], {
    env: { NODE_ENV: 'test', HOST: '127.0.0.1', [app === 'api' ? 'PORT' : 'ADMIN_PORT']: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: options.cwd,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<ProcessExit>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  const started = Date.now();
  while (Date.now() - started < 20_000) {
    if (child.exitCode !== null) throw new Error(`${app} process exited (${child.exitCode}): ${stderr}${stdout.slice(-2000)}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return {
    url,
    output: () => ({ stdout, stderr }),
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
    signal: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** API processes sharing one scratch database, stopped (and the database dropped) together. */
export interface ApiCluster {
  readonly processes: ApiProcess[];
  readonly database: ScratchDatabase;
  stop(): Promise<void>;
}

/**
 * `count` API processes on one fresh database: the first starts alone (it migrates), then the
 * others at once; `overrides[i]` adds to process i's environment (a skewed clock, say).
 */
export async function startApiCluster(
  count: number,
  env: Record<string, string>,
  overrides: Record<string, string>[] = [],
): Promise<ApiCluster> {
  const database = await scratchDatabase();
  const envOf = (index: number) => ({ DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET, ...env, ...overrides[index] });
  const processes = [await startApiProcess(envOf(0))];
  processes.push(...(await Promise.all(Array.from({ length: count - 1 }, (_, index) => startApiProcess(envOf(index + 1))))));
  return {
    processes,
    database,
    async stop() {
      await Promise.all(processes.map((process) => process.stop()));
      await database.remove();
    },
  };
}
