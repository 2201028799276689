// `npm run start:prod`: both built apps (dist/) with NODE_ENV=production, the dashboard leaving
// migrations to the API. One process to stop: SIGTERM or SIGINT is passed to both apps (each
// drains and exits within SHUTDOWN_TIMEOUT), and when either app exits, for any reason, the other
// is stopped too and this exits with the first one's code (1 if it was killed by a signal).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const APPS = [
  { name: 'api', main: 'dist/apps/api/src/main.js', env: {} },
  { name: 'admin', main: 'dist/apps/admin/src/main.js', env: { MIGRATIONS_RUN: 'false' } },
];
for (const { main } of APPS) {
  if (!existsSync(main)) {
    console.error(`${main} is missing: run "npm run build" first.`);
    process.exit(1);
  }
}

let exitCode;
let stopping = false;
const children = APPS.map(({ name, main, env }) => {
  const child = spawn(process.execPath, [main], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production', ...env } });
  child.on('exit', (code, signal) => {
    if (exitCode === undefined) {
      exitCode = code ?? 1;
      if (!stopping) console.error(`${name} exited (${signal ?? code}): stopping the other app`);
      stopAll('SIGTERM');
    }
    if (children.every((other) => other.exitCode !== null || other.signalCode !== null)) process.exit(exitCode);
  });
  return child;
});

function stopAll(signal) {
  stopping = true;
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => stopAll(signal));
