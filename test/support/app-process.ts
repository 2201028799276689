import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from '../../bench/support/server-process.js';

/** An `apps/api` or `apps/admin` process started as the README starts it (the built `main.js`). */
export interface ApiProcess {
  readonly url: string;
  stop(): Promise<void>;
}

export function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  return startAppProcess('api', env);
}

export async function startAppProcess(
  app: 'api' | 'admin',
  env: Record<string, string>,
  options: { cwd?: string } = {},
): Promise<ApiProcess> {
  const main = resolve(`dist/apps/${app}/src/main.js`);
  if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first (npm test does).`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [main], {
    env: { NODE_ENV: 'test', HOST: '127.0.0.1', [app === 'api' ? 'PORT' : 'ADMIN_PORT']: String(port), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    cwd: options.cwd,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const started = Date.now();
  while (Date.now() - started < 20_000) {
    if (child.exitCode !== null) throw new Error(`${app} process exited (${child.exitCode}): ${stderr}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
