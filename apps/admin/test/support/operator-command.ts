import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export interface CommandRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the built `npm run operator -- …` script (dist/apps/cli/src/main.js operator …) as
 * a child process, as someone with shell access to the deployment would.
 */
export async function runOperatorCommand(env: Record<string, string>, ...args: string[]): Promise<CommandRun> {
  const script = resolve('dist/apps/cli/src/main.js');
  if (!existsSync(script)) throw new Error(`${script} is missing: run "npm run build" first (npm test does).`);
  return new Promise((done) => {
    execFile(
      process.execPath,
      [script, 'operator', ...args],
      { env: { NODE_ENV: 'test', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout: stdout.trim(), stderr: stderr.trim() });
      },
    );
  });
}
